(module
  (import "unsafe-intrinsics" "u32-checked-native-store" (func $cs32 (param i64 i64 i64 i32)))
  (import "unsafe-intrinsics" "u64-native-load" (func $l64 (param i64) (result i64)))
  (import "unsafe-intrinsics" "store-data-address" (func $sda (result i64)))
  (import "env" "log_i32" (func $log (param i32)))
  (func $start
    ;; Runs before the app: the app's first read sees it.
    (call $cs32 (call $l64 (call $sda)) (i64.const 12)
      (call $l64 (i64.add (call $sda) (i64.const 8))) (i32.const 0xcafe))
    (call $log (i32.const 1)))
  (start $start)
  (func (export "write") (param i64 i32)
    (call $cs32
      (call $l64 (call $sda))
      (local.get 0)
      (call $l64 (i64.add (call $sda) (i64.const 8)))
      (local.get 1))))
