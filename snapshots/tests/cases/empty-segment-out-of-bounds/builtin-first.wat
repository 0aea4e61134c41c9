;; A start function with an effect, so that the app's segments are the
;; ones the merged module must defer to its synthesized start.
(module
  (import "env" "log_i32" (func $log (param i32)))
  (func $start (call $log (i32.const 1)))
  (start $start)
  (func (export "f")))
