;; Traps in its start function after a visible effect.
(module
  (import "env" "log_i32" (func $log (param i32)))
  (import "env" "counter" (global $c (mut i32)))
  (import "env" "memory" (memory 1))
  (data (i32.const 0) "broken builtin data")
  (func $start
    (call $log (i32.const 2))
    (global.set $c (i32.add (global.get $c) (i32.const 1)))
    (drop (i32.div_u (i32.const 1) (i32.const 0)))
    (call $log (i32.const 3)))
  (start $start)
  (func (export "g") (result i32) (i32.const 2)))
