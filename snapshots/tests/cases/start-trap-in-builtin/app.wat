(module
  (import "env" "log_i32" (func $log (param i32)))
  (import "ok" "f" (func $f (result i32)))
  (import "broken" "g" (func $g (result i32)))
  (func $start (call $log (i32.const 4)))
  (start $start)
  (func (export "run") (result i32) (i32.add (call $f) (call $g))))
