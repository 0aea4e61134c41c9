(module
  ;; Reverses four values of four types.
  (func (export "swap") (param i32 i64 f32 f64) (result f64 f32 i64 i32)
    (local.get 3) (local.get 2) (local.get 1) (local.get 0))
  ;; Quotient and remainder at once.
  (func (export "divmod") (param i32 i32) (result i32 i32)
    (i32.div_u (local.get 0) (local.get 1))
    (i32.rem_u (local.get 0) (local.get 1)))
  ;; Many results, more than fit in registers.
  (func (export "spread") (param i64) (result i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local.get 0)
    (i64.add (local.get 0) (i64.const 1))
    (i64.add (local.get 0) (i64.const 2))
    (i64.add (local.get 0) (i64.const 3))
    (i64.add (local.get 0) (i64.const 4))
    (i64.add (local.get 0) (i64.const 5))
    (i64.add (local.get 0) (i64.const 6))
    (i64.add (local.get 0) (i64.const 7))
    (i64.add (local.get 0) (i64.const 8))
    (i64.mul (local.get 0) (i64.const -1))))
