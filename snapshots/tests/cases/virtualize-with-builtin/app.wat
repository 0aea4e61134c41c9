;; A builtin and a virtualizer together: the builtin `lib` imports
;; `env.log_i32` too and sees the virtualized one, exactly as the app does,
;; so the virtualizer is instantiated before `lib` although `lib` was given
;; first; `lib`'s `env.tick` is the host's.
(module
  (import "env" "log_i32" (func $log_i32 (param i32)))
  (import "lib" "double" (func $double (param i32) (result i32)))
  (import "lib" "report" (func $report (param i32)))
  (func (export "run") (param $v i32)
    (call $log_i32 (local.get $v))
    (call $report (call $double (local.get $v)))))
