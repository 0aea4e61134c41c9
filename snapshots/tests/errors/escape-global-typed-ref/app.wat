(module
  (type $load (func (param i64) (result i64)))
  (import "leaky" "g" (global (ref $load)))
  (func (export "peek") (param i64) (result i64)
    (call_ref $load (local.get 0) (global.get 0))))
