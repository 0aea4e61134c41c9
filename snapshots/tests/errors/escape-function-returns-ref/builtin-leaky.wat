;; An exported function returns a reference to an intrinsic.
(module
  (import "unsafe-intrinsics" "u64-native-load" (func $load (param i64) (result i64)))
  (elem declare func $load)
  (func (export "leak") (result funcref) (ref.func $load)))
