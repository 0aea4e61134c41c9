(module
  (type $step (func (param i64) (result i64)))
  (import "deep" "count" (func $count (param i64) (result i64)))
  (import "deep" "bounce" (func $bounce (param i64) (result i64)))
  (import "deep" "bounce-ref" (func $bounce-ref (param i64 (ref $step)) (result i64)))
  (import "deep" "steps" (table $steps 1 funcref))
  (elem (table $steps) (i32.const 0) func $app-step)
  (elem declare func $ref-step)

  ;; App and builtin take turns, every call a tail call.
  (func $app-step (type $step) (return_call $bounce (local.get 0)))
  (func $ref-step (type $step)
    (return_call $bounce-ref (local.get 0) (ref.func $ref-step)))

  (func (export "count") (param i64) (result i64) (call $count (local.get 0)))
  (func (export "count-tail") (param i64) (result i64) (return_call $count (local.get 0)))
  (func (export "bounce") (param i64) (result i64) (call $app-step (local.get 0)))
  (func (export "bounce-direct") (param i64) (result i64) (call $bounce (local.get 0)))
  (func (export "bounce-ref") (param i64) (result i64) (return_call $ref-step (local.get 0))))
