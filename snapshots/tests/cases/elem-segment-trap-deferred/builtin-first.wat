(module
  (import "env" "log_i32" (func $log (param i32)))
  (import "env" "table" (table 10 funcref))
  (func $one (result i32) (i32.const 1))
  (elem (i32.const 0) func $one)
  (func $start (call $log (i32.const 1)))
  (start $start))
