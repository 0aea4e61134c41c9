;; Hands an intrinsic to a host function, which the app may import too.
(module
  (import "unsafe-intrinsics" "u64-native-load" (func $load (param i64) (result i64)))
  (import "env" "register" (func $register (param funcref)))
  (elem declare func $load)
  (func (export "init") (call $register (ref.func $load))))
