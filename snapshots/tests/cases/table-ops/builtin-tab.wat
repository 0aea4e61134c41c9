;; Table instructions on a table shared by builtin and app.
(module
  (type $thunk (func (result i32)))
  (table $t (export "t") 2 6 funcref)
  (func $one (result i32) (i32.const 1))
  (func $two (result i32) (i32.const 2))
  (elem declare func $one $two)
  (func (export "grow") (param i32) (result i32)
    (table.grow $t (ref.func $one) (local.get 0)))
  (func (export "fill") (param i32 i32)
    (table.fill $t (local.get 0) (ref.func $two) (local.get 1)))
  (func (export "size") (result i32) (table.size $t))
  (func (export "call") (param i32) (result i32) (call_indirect $t (type $thunk) (local.get 0))))
