;; An active element segment puts an intrinsic into an exported table.
(module
  (import "unsafe-intrinsics" "u64-native-load" (func $load (param i64) (result i64)))
  (table (export "tab") 1 funcref)
  (elem (i32.const 0) func $load))
