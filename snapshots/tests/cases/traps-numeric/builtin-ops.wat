;; Every numeric trap, raised inside the builtin and seen by the app's caller.
(module
  (import "env" "log_i32" (func $log (param i32)))
  (func (export "unreachable") (call $log (i32.const 1)) (unreachable))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "rem") (param i64 i64) (result i64) (i64.rem_u (local.get 0) (local.get 1)))
  (func (export "trunc") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
  (func (export "trunc-sat") (param f64) (result i32) (i32.trunc_sat_f64_s (local.get 0)))
  (func (export "trunc64") (param f32) (result i64) (i64.trunc_f32_u (local.get 0))))
