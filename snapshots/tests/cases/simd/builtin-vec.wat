;; v128 values across the boundary, and relaxed SIMD (deterministic mode).
(module
  (func (export "add") (param v128 v128) (result v128) (i32x4.add (local.get 0) (local.get 1)))
  (func (export "splat") (param f32) (result v128) (f32x4.splat (local.get 0)))
  (func (export "lane") (param v128) (result i64) (i64x2.extract_lane 1 (local.get 0)))
  (func (export "madd") (param v128 v128 v128) (result v128)
    (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))
  (func (export "swizzle") (param v128 v128) (result v128)
    (i8x16.relaxed_swizzle (local.get 0) (local.get 1))))
