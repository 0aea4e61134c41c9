;; An exported funcref global initialized with an intrinsic.
(module
  (import "unsafe-intrinsics" "u64-native-load" (func $load (param i64) (result i64)))
  (global (export "g") funcref (ref.func $load)))
