(module
  (import "indirect" "get" (func $get (param i64) (result i32)))
  (func (export "get") (param i64) (result i32) (call $get (local.get 0))))
