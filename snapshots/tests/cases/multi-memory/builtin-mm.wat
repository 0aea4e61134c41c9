;; Two memories in the builtin, one of them exported; the app adds its own.
(module
  (memory $a (export "a") 1)
  (memory $b 1)
  (data (memory $a) (i32.const 0) "memory a")
  (data (memory $b) (i32.const 0) "memory b")
  (func (export "a-to-b") (param i32 i32 i32)
    (memory.copy $b $a (local.get 0) (local.get 1) (local.get 2)))
  (func (export "b8") (param i32) (result i32) (i32.load8_u $b (local.get 0)))
  (func (export "grow-b") (result i32) (memory.grow $b (i32.const 1))))
