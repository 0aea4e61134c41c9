;; A builtin whose exported table starts out full through its initializer
;; expression, and a reference-typed global initialized by `ref.func`.
(module
  (type $thunk (func (result i32)))
  (func $seven (result i32) (i32.const 7))
  (func $eight (result i32) (i32.const 8))
  (global (export "eight-ref") funcref (ref.func $eight))
  (table $table (export "table") 3 funcref (ref.func $seven))
  (func (export "call") (param i32) (result i32)
    (call_indirect $table (type $thunk) (local.get 0))))
