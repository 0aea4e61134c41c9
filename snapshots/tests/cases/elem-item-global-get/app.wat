;; Element items that are `global.get` expressions (Wasm 2.0 allows an
;; imported immutable global there), in an active and a passive segment.
(module
  (type $thunk (func (result i32)))
  (import "lib" "nine-ref" (global $nine funcref))
  (func $one (result i32) (i32.const 1))
  (table $t 4 funcref)
  (elem (table $t) (i32.const 1) funcref (global.get $nine) (ref.func $one))
  (elem $passive funcref (ref.func $one) (global.get $nine))
  (func (export "call") (param i32) (result i32)
    (call_indirect $t (type $thunk) (local.get 0)))
  (func (export "init") (table.init $t $passive (i32.const 2) (i32.const 0) (i32.const 2))))
