(module
  (import "env" "log_i32" (func $log (param i32)))
  (import "base" "value" (func $value (result i32)))
  (func $start
    (call $log (i32.const 2))
    (call $log (call $value)))
  (start $start)
  (func (export "value") (result i32) (i32.add (call $value) (i32.const 1000))))
