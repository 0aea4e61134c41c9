(module
  (import "unsafe-intrinsics" "store-data-address" (func $sda (result i64)))
  (export "sda" (func $sda)))
