;; An exported function calls the app's callback with an intrinsic.
(module
  (type $cb (func (param funcref)))
  (import "unsafe-intrinsics" "u64-native-load" (func $load (param i64) (result i64)))
  (elem declare func $load)
  (func (export "visit") (param (ref $cb))
    (call_ref $cb (ref.func $load) (local.get 0))))
