;; v128 values across the boundary, relaxed SIMD (deterministic mode), and
;; SIMD memory instructions on the builtin's own memory, whose index moves
;; when merged (the app has a memory of its own).
(module
  (memory $scratch 1)
  (memory $vecs 1)
  (data (memory $vecs) (i32.const 0) "\00\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10\11")
  (func (export "add") (param v128 v128) (result v128) (i32x4.add (local.get 0) (local.get 1)))
  (func (export "splat") (param f32) (result v128) (f32x4.splat (local.get 0)))
  (func (export "lane") (param v128) (result i64) (i64x2.extract_lane 1 (local.get 0)))
  (func (export "madd") (param v128 v128 v128) (result v128)
    (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))
  (func (export "swizzle") (param v128 v128) (result v128)
    (i8x16.relaxed_swizzle (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result v128) (v128.load $vecs (local.get 0)))
  (func (export "load-lane") (param i32 v128) (result v128)
    (v128.load8_lane $vecs 15 (local.get 0) (local.get 1)))
  (func (export "load-zero") (param i32) (result v128) (v128.load32_zero $vecs (local.get 0)))
  (func (export "load-splat") (param i32) (result v128) (v128.load16_splat $vecs (local.get 0)))
  (func (export "store-lane") (param i32 v128)
    (v128.store32_lane $vecs 1 (local.get 0) (local.get 1)))
  (func (export "store") (param i32 v128) (v128.store $vecs offset=1 (local.get 0) (local.get 1))))
