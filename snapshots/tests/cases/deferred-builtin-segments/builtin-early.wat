;; The first module with instantiation effects: its segments stay active.
(module
  (import "env" "log_i32" (func $log (param i32)))
  (memory (export "mem") 1)
  (data (i32.const 0) "early")
  (func $start (call $log (i32.load8_u (i32.const 5))))
  (start $start))
