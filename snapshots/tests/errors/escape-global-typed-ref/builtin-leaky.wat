;; An exported global of a typed function reference.
(module
  (type $load (func (param i64) (result i64)))
  (import "unsafe-intrinsics" "u64-native-load" (func $load (type $load)))
  (global (export "g") (ref $load) (ref.func $load)))
