(module
  (type $load (func (param i64) (result i64)))
  (import "leaky" "g" (global funcref))
  (table 1 funcref)
  (func (export "peek") (param i64) (result i64)
    (table.set (i32.const 0) (global.get 0))
    (call_indirect (type $load) (local.get 0) (i32.const 0))))
