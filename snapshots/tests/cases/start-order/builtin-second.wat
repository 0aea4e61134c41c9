(module
  (import "env" "log_i32" (func $log (param i32)))
  (import "env" "counter" (global $counter (mut i32)))
  (global $seen (export "seen") (mut i32) (i32.const -1))
  (func $start
    (global.set $seen (global.get $counter))
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (call $log (i32.const 100)))
  (start $start))
