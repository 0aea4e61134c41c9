(module
  (import "stack" "push" (func $push (param i32)))
  (import "stack" "pop" (func $pop (result i32)))
  (import "stack" "sum" (func $sum (result i32)))
  (import "stack" "pushes" (func $pushes (result i64)))
  (import "stack" "depth" (global $depth (mut i32)))
  (import "env" "log_i32" (func $log (param i32)))

  ;; The app's own memory, distinct from the builtin's.
  (memory (export "memory") 1)

  (func (export "push3") (param i32 i32 i32)
    (call $push (local.get 0))
    (call $push (local.get 1))
    (call $push (local.get 2)))

  (func (export "pop") (result i32) (call $pop))
  (func (export "sum") (result i32) (call $sum))
  (func (export "pushes") (result i64) (call $pushes))

  ;; Reads the builtin's global directly and logs it.
  (func (export "log-depth")
    (call $log (global.get $depth)))

  ;; Writes the builtin's global directly: the builtin must see it.
  (func (export "truncate") (param i32)
    (global.set $depth (local.get 0))
    (i32.store (i32.const 0) (local.get 0)))

  (export "depth" (global $depth)))
