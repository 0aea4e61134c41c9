(module
  (import "env" "log_i32" (func $log (param i32)))
  (import "top" "value" (func $top (result i32)))
  (import "base" "value" (func $base (result i32)))
  (func $start
    (call $log (i32.const 4))
    (call $log (call $top)))
  (start $start)
  (func (export "top") (result i32) (call $top))
  (func (export "base") (result i32) (call $base)))
