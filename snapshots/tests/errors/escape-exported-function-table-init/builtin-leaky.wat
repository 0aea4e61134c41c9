;; An exported function with a harmless type fills the exported table later.
(module
  (import "unsafe-intrinsics" "u64-native-load" (func $load (param i64) (result i64)))
  (table (export "tab") 1 funcref)
  (elem $segment func $load)
  (func (export "arm") (table.init $segment (i32.const 0) (i32.const 0) (i32.const 1))))
