(module
  (import "unsafe-intrinsics" "store-data-address" (global i64))
  (func (export "f")))
