;; Calls whatever the builtin's table holds: here, the intrinsic.
(module
  (type $load (func (param i64) (result i64)))
  (import "leaky" "tab" (table 1 funcref))
  (func (export "peek") (param i64) (result i64)
    (call_indirect (type $load) (local.get 0) (i32.const 0))))
