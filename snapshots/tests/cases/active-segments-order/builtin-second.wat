;; Overwrites part of `first`'s memory and table, then logs from its start.
(module
  (import "env" "log_i32" (func $log (param i32)))
  (import "first" "mem" (memory 1))
  (import "first" "table" (table 4 funcref))
  (func $two (result i32) (i32.const 2))
  (data (i32.const 2) "BBBB")
  (elem (table 0) (i32.const 1) func $two $two)
  (func $start
    (call $log (i32.load8_u (i32.const 0)))
    (call $log (i32.load8_u (i32.const 2)))
    (call $log (i32.load8_u (i32.const 4))))
  (start $start))
