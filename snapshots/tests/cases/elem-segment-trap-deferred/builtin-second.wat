;; Its first element segment fits, its second runs past the end of the host
;; table: instantiation traps after `first` started and after the first
;; segment was written; its data segment and start never run.
(module
  (import "env" "log_i32" (func $log (param i32)))
  (import "env" "table" (table 10 funcref))
  (import "env" "memory" (memory 1))
  (func $two (result i32) (i32.const 2))
  (elem (i32.const 1) func $two $two)
  (elem (i32.const 9) func $two $two)
  (data (i32.const 0) "never")
  (func $start (call $log (i32.const 2)))
  (start $start)
  (func (export "g")))
