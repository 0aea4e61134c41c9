;; Mutable globals of every value type, shared with the app.
(module
  (global (export "f32") (mut f32) (f32.const 1.25))
  (global (export "f64") (mut f64) (f64.const -0.5))
  (global (export "i64") (mut i64) (i64.const -1))
  (global (export "v128") (mut v128) (v128.const i32x4 1 2 3 4))
  (global (export "funcref") (mut funcref) (ref.null func))
  (global (export "externref") (mut externref) (ref.null extern))
  (global (export "anyref") (mut anyref) (ref.i31 (i32.const 17)))
  (func $seven (result i32) (i32.const 7))
  (elem declare func $seven)
  (func (export "install") (global.set 4 (ref.func $seven)))
  (func (export "halve") (global.set 1 (f64.div (global.get 1) (f64.const 2)))))
