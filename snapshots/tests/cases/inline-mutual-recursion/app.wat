(module
  (import "rec" "ping" (func $ping (param i32) (result i32)))
  (import "rec" "cycle" (func $cycle (param i32) (result i32)))
  (import "rec" "sum" (func $sum (param i64) (result i64)))
  (import "rec" "forever" (func $forever (param i32) (result i32)))
  (func (export "ping") (param i32) (result i32) (call $ping (local.get 0)))
  (func (export "cycle") (param i32) (result i32) (call $cycle (local.get 0)))
  (func (export "sum") (param i64) (result i64) (call $sum (local.get 0)))
  (func (export "forever") (param i32) (result i32) (call $forever (local.get 0))))
