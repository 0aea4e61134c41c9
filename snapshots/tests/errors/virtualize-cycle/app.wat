;; The virtualizer of `env` imports builtin `lib`, and `lib` imports the
;; virtualized `env.log_i32`: a cycle.
(module
  (import "env" "log_i32" (func $log_i32 (param i32)))
  (import "lib" "double" (func $double (param i32) (result i32)))
  (import "lib" "report" (func $report (param i32)))
  (func (export "run") (param $v i32)
    (call $log_i32 (local.get $v))
    (call $report (call $double (local.get $v)))))
