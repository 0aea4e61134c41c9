;; An empty active segment still checks its offset at instantiation: this
;; one is past the end of the table, so instantiation traps (after the
;; builtin's start) although it copies nothing.
(module
  (import "first" "f" (func $f))
  (import "env" "log_i32" (func $log (param i32)))
  (table 2 funcref)
  (memory 1)
  (data (i32.const 65536) "")
  (elem (i32.const 3) func)
  (func $start (call $log (i32.const 2)))
  (start $start)
  (func (export "f") (call $f)))
