(module
  (type $load (func (param i64) (result i64)))
  (import "holder" "init" (func $init))
  (import "store" "tab" (table 1 funcref))
  (func (export "peek") (param i64) (result i64)
    (call $init)
    (call_indirect (type $load) (local.get 0) (i32.const 0))))
