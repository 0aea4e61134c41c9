;; An app of host module `env`: the virtualizer overrides `log_i32` and
;; `counter`'s reader; `log_i64`, `tick` and the memory stay the host's.
(module
  (import "env" "log_i32" (func $log_i32 (param i32)))
  (import "env" "log_i64" (func $log_i64 (param i64)))
  (import "env" "tick" (func $tick))
  (import "env" "memory" (memory 1 2))
  (func (export "run") (param $v i32)
    (call $tick)
    (call $log_i32 (local.get $v))
    (call $log_i64 (i64.extend_i32_s (local.get $v)))
    (call $log_i32 (i32.load (i32.const 0))))
  (func (export "store") (param $v i32)
    (i32.store (i32.const 0) (local.get $v))))
