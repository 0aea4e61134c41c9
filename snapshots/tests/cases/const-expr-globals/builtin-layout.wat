;; Immutable globals the app's constant expressions read.
(module
  (global (export "base") i32 (i32.const 100))
  (global (export "step") i32 (i32.const 7))
  (global (export "wide") i64 (i64.const 0x100000000))
  ;; An extended-const initializer within the builtin itself.
  (global (export "slot") i32 (i32.add (i32.const 1) (i32.mul (i32.const 2) (i32.const 1))))
  (global (export "mutable") (mut i32) (i32.const 5))
  (memory (export "mem") 1)
  (table (export "table") 8 funcref)
  (func (export "bump") (global.set 4 (i32.add (global.get 4) (i32.const 1)))))
