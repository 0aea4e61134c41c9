;; Three layers of `env`: the host, `inner` over it, `outer` over both.
(module
  (import "env" "log_i32" (func $log_i32 (param i32)))
  (import "env" "log_i64" (func $log_i64 (param i64)))
  (import "env" "log_f64" (func $log_f64 (param f64)))
  (import "env" "tick" (func $tick))
  (func (export "run") (param $v i32)
    (call $log_i32 (local.get $v))
    (call $log_i64 (i64.extend_i32_s (local.get $v)))
    (call $log_f64 (f64.convert_i32_s (local.get $v)))
    (call $tick)))
