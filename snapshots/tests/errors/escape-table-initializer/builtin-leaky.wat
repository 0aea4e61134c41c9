;; The table's initializer expression fills it with an intrinsic.
(module
  (import "unsafe-intrinsics" "u64-native-load" (func $load (param i64) (result i64)))
  (table (export "tab") 1 funcref (ref.func $load)))
