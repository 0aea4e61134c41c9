;; Imports the same host items as the app, with identical types: after
;; linking both share one import of each, and must still see each other.
(module
  (import "env" "log_i32" (func $log (param i32)))
  (import "env" "memory" (memory 1 2))
  (import "env" "counter" (global $counter (mut i32)))
  (import "env" "table" (table 10 funcref))
  ;; A second name for the same host function, as another import.
  (import "env" "log_i32" (func $log-again (param i32)))
  (func $seven (result i32) (i32.const 7))
  (elem (table 0) (i32.const 1) func $seven)
  (func (export "write") (param $at i32) (param $v i32)
    (call $log (local.get $v))
    (call $log-again (i32.load (local.get $at)))
    (i32.store (local.get $at) (local.get $v))
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))))
