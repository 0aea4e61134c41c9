;; Layer 2: its `env.log_i32` is layer 1's (which it adds one before), its
;; `env.tick` the host's (layer 1 does not export one); it also overrides
;; `tick`. The app's `log_i64` passes through to layer 1, its `log_f64` to
;; the host.
(module
  (import "env" "log_i32" (func $log_i32 (param i32)))
  (import "env" "tick" (func $tick))
  (func $start (call $log_i32 (i32.const -2)))
  (start $start)
  (func (export "log_i32") (param $v i32)
    (call $log_i32 (i32.add (local.get $v) (i32.const 1))))
  (func (export "tick")
    (call $tick)
    (call $tick)))
