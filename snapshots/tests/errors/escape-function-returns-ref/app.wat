(module
  (type $load (func (param i64) (result i64)))
  (import "leaky" "leak" (func $leak (result funcref)))
  (table 1 funcref)
  (func (export "peek") (param i64) (result i64)
    (table.set (i32.const 0) (call $leak))
    (call_indirect (type $load) (local.get 0) (i32.const 0))))
