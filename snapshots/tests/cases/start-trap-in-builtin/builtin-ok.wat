(module
  (import "env" "log_i32" (func $log (param i32)))
  (import "env" "counter" (global $c (mut i32)))
  (func $start (call $log (i32.const 1)) (global.set $c (i32.const 10)))
  (start $start)
  (func (export "f") (result i32) (i32.const 1)))
