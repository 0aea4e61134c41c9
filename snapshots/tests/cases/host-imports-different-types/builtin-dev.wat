;; Imports the same host items as the app, but at different (still
;; matching) types: the merged module keeps one import per type, and all of
;; them must alias the same host item.
(module
  (import "env" "table" (table $t 5 funcref))
  (import "env" "memory" (memory 1))
  (import "env" "seed" (global $seed i32))
  (type $thunk (func (result i32)))
  (func $five (result i32) (i32.const 5))
  (elem (table $t) (i32.const 4) func $five)
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "call") (param i32) (result i32) (call_indirect $t (type $thunk) (local.get 0)))
  (func (export "seed") (result i32) (global.get $seed))
  (func (export "grow") (result i32) (memory.grow (i32.const 1))))
