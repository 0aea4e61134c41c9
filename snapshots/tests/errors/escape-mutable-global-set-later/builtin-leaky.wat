;; An exported mutable global starts null; an exported function sets it.
(module
  (import "unsafe-intrinsics" "u64-native-load" (func $load (param i64) (result i64)))
  (global (export "slot") (mut funcref) (ref.null func))
  (elem declare func $load)
  (func (export "arm") (global.set 0 (ref.func $load))))
