;; Two re-exports stand between the app and the intrinsic.
(module
  (import "inner" "sda" (func $sda (result i64)))
  (export "address" (func $sda)))
