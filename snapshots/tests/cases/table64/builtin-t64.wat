;; A 64-bit table (memory64 proposal, Wasm 3.0): i64 indices everywhere.
(module
  (type $thunk (func (result i32)))
  (table $t (export "t") i64 4 funcref)
  (func $one (result i32) (i32.const 1))
  (elem (table $t) (i64.const 1) func $one)
  (func (export "call") (param i64) (result i32) (call_indirect $t (type $thunk) (local.get 0)))
  (func (export "grow") (param i64) (result i64) (table.grow $t (ref.null func) (local.get 0)))
  (func (export "size") (result i64) (table.size $t)))
