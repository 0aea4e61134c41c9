;; Its start function has effects on the log, the host memory and the host
;; buffer; they must all be visible although the app fails to instantiate.
(module
  (import "env" "log_i32" (func $log (param i32)))
  (import "env" "memory" (memory 1 2))
  (import "unsafe-intrinsics" "store-data-address" (func $sda (result i64)))
  (import "unsafe-intrinsics" "u64-native-load" (func $l64 (param i64) (result i64)))
  (import "unsafe-intrinsics" "u8-native-store" (func $s8 (param i64 i32)))
  (data (i32.const 0) "builtin")
  (func $start
    (call $log (i32.const 1))
    (i32.store8 (i32.const 7) (i32.const 33))
    (call $s8 (call $l64 (call $sda)) (i32.const 0xee)))
  (start $start)
  (func (export "noop")))
