(module
  (import "env" "log_i32" (func $log (param i32)))
  (global $v (mut i32) (i32.const 0))
  (func $start
    (call $log (i32.const 1))
    (global.set $v (i32.const 42)))
  (start $start)
  (func (export "value") (result i32)
    (global.set $v (i32.add (global.get $v) (i32.const 1)))
    (global.get $v)))
