;; Re-exports an intrinsic import: the app must not reach it this way.
(module
  (import "unsafe-intrinsics" "u64-native-load" (func $load (param i64) (result i64)))
  (export "load" (func $load)))
