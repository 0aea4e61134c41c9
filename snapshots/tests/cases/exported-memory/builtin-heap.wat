;; Owns the memory the app re-exports as its own `memory`.
(module
  (memory (export "mem") 1 3)
  (data (i32.const 0) "builtin heap")
  (func (export "grow") (param i32) (result i32)
    (memory.grow (local.get 0)))
  (func (export "fill") (param $at i32) (param $byte i32) (param $n i32)
    (memory.fill (local.get $at) (local.get $byte) (local.get $n))))
