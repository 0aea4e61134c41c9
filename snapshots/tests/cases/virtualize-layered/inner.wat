;; Layer 1: wraps the host's `log_i32` (times ten) and `log_i64` (negated).
;; Its start function calls the host, so instantiation order shows.
(module
  (import "env" "log_i32" (func $log_i32 (param i32)))
  (import "env" "log_i64" (func $log_i64 (param i64)))
  (import "env" "tick" (func $tick))
  (func $start (call $log_i32 (i32.const -1)))
  (start $start)
  (func (export "log_i32") (param $v i32)
    (call $log_i32 (i32.mul (local.get $v) (i32.const 10))))
  (func (export "log_i64") (param $v i64)
    (call $tick)
    (call $log_i64 (i64.sub (i64.const 0) (local.get $v)))))
