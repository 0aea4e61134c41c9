;; Nobody imports this builtin; it is still instantiated, after the ones
;; given before it, and its start function's effects are visible.
(module
  (import "env" "log_str" (func $log_str (param i32 i32)))
  (import "env" "log_i32" (func $log (param i32)))
  (import "env" "memory" (memory 1))
  (data (i32.const 100) "unused")
  (func $start
    (call $log (i32.const 3))
    (i32.store8 (i32.const 106) (i32.const 33)))
  (start $start))
