;; Overrides `env.log_i32`: logs the value and then its square. Its start
;; function calls the host, so instantiation order is visible.
(module
  (import "env" "log_i32" (func $log_i32 (param i32)))
  (func $start (call $log_i32 (i32.const 100)))
  (start $start)
  (func (export "log_i32") (param $v i32)
    (call $log_i32 (local.get $v))
    (call $log_i32 (i32.mul (local.get $v) (local.get $v)))))
