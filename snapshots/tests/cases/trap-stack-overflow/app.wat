(module
  (import "rec" "down" (func $down (param i64) (result i64)))
  (import "rec" "forever" (func $forever (param i32) (result i32)))
  (import "rec" "steps" (table $steps 1 funcref))
  (func $step (param i64) (result i64) (call $down (local.get 0)))
  (elem (table $steps) (i32.const 0) func $step)
  (func (export "down") (param i64) (result i64) (call $down (local.get 0)))
  (func (export "forever") (result i32) (call $forever (i32.const 0))))
