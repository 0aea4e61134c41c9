;; Two builtins importing the same intrinsics (the merged module keeps one
;; import of each) and seeing each other's writes to the host buffer.
(module
  (import "unsafe-intrinsics" "store-data-address" (func $sda (result i64)))
  (import "unsafe-intrinsics" "u64-native-load" (func $l64 (param i64) (result i64)))
  (import "unsafe-intrinsics" "u32-checked-native-load" (func $cl32 (param i64 i64 i64) (result i32)))
  (func (export "read") (param i64) (result i32)
    (call $cl32
      (call $l64 (call $sda))
      (local.get 0)
      (call $l64 (i64.add (call $sda) (i64.const 8))))))
