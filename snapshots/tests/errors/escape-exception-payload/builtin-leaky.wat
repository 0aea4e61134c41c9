;; Throws an intrinsic in the payload of an exported tag.
(module
  (import "unsafe-intrinsics" "u64-native-load" (func $load (param i64) (result i64)))
  (tag $boom (export "boom") (param funcref))
  (elem declare func $load)
  (func (export "throw") (throw $boom (ref.func $load))))
