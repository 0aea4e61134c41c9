;; Imports `lib`, whose `env.log_i32` is this virtualizer's: neither can be
;; instantiated first, so the link fails naming the cycle.
(module
  (import "env" "log_i32" (func $log_i32 (param i32)))
  (import "lib" "double" (func $double (param i32) (result i32)))
  (func $start (call $log_i32 (i32.const 100)))
  (start $start)
  (func (export "log_i32") (param $v i32)
    (call $log_i32 (local.get $v))
    (call $log_i32 (call $double (local.get $v)))))
