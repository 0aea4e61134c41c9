;; Only the table is reported: `arm` takes and returns nothing.
(module
  (type $load (func (param i64) (result i64)))
  (import "leaky" "arm" (func $arm))
  (import "leaky" "tab" (table 1 funcref))
  (func (export "peek") (param i64) (result i64)
    (call $arm)
    (call_indirect (type $load) (local.get 0) (i32.const 0))))
