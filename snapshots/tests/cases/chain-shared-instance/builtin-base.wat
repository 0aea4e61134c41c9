;; Shared by `left` and `right`: one instance, so each sees the other's
;; writes to the global and the memory.
(module
  (memory (export "mem") 1)
  (global (export "g") (mut i32) (i32.const 7))
  (func (export "bump") (result i32)
    (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))
    (i32.load (i32.const 0))))
