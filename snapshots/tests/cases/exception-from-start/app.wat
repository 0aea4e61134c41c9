(module
  (import "env" "log_i32" (func $log (param i32)))
  (import "thrower" "boom" (tag $boom (param i32 i64)))
  (func $start (call $log (i32.const 2)))
  (start $start)
  (func (export "run")))
