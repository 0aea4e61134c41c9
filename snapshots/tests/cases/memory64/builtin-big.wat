;; A 64-bit memory owned by the builtin, addressed with i64 everywhere.
(module
  (memory $m (export "mem") i64 1 4)
  (data (i64.const 0x10) "sixty-four")
  (func (export "load") (param i64) (result i64) (i64.load (local.get 0)))
  (func (export "store") (param i64 i64) (i64.store offset=8 (local.get 0) (local.get 1)))
  (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
  (func (export "size") (result i64) (memory.size))
  (func (export "fill") (param i64 i32 i64)
    (memory.fill (local.get 0) (local.get 1) (local.get 2))))
