;; Passes an intrinsic to another builtin's function.
(module
  (import "unsafe-intrinsics" "u64-native-load" (func $load (param i64) (result i64)))
  (import "store" "put" (func $put (param funcref)))
  (elem declare func $load)
  (func (export "init") (call $put (ref.func $load))))
