;; The start function stores an intrinsic into the exported table.
(module
  (import "unsafe-intrinsics" "u64-native-load" (func $load (param i64) (result i64)))
  (table (export "tab") 1 funcref)
  (elem declare func $load)
  (func $start (table.set (i32.const 0) (ref.func $load)))
  (start $start))
