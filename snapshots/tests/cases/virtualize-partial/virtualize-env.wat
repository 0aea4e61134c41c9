;; Virtualizes `env.log_i32`: logs the value and the running count of
;; calls through the host's own `log_i32`, ticks in between, and writes the
;; count into the host memory it shares with the app (offset 4). Its imports
;; from `env` are the host's; `tick` and `memory` are the same imports the
;; app has, so the linked module shares them.
(module
  (import "env" "log_i32" (func $host_log_i32 (param i32)))
  (import "env" "tick" (func $tick))
  (import "env" "memory" (memory 1 2))
  (global $calls (mut i32) (i32.const 0))
  (func (export "log_i32") (param $v i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (i32.store (i32.const 4) (global.get $calls))
    (call $host_log_i32 (i32.add (local.get $v) (i32.const 1000)))
    (call $tick)
    (call $host_log_i32 (global.get $calls))))
