;; Callees with several parameters and several results: the inlined body
;; needs a block type `[] -> results` (a new type when no function type
;; fits), parameters are stored last-first, and early returns carry all
;; results.
(module
  (func (export "divmod") (param $a i32) (param $b i32) (result i32 i32)
    (if (i32.eqz (local.get $b)) (then (return (i32.const 0) (i32.const 0))))
    (i32.div_u (local.get $a) (local.get $b))
    (i32.rem_u (local.get $a) (local.get $b)))

  (func (export "rotate") (param i64 f64 i32) (result i32 i64 f64)
    (local.get 2) (local.get 0) (local.get 1))

  ;; A block with parameters inside the body.
  (func (export "minmax") (param $a i32) (param $b i32) (result i32 i32)
    (local.get $a) (local.get $b)
    (block $sorted (param i32 i32) (result i32 i32)
      (br_if $sorted (i32.le_s (local.get $a) (local.get $b)))
      (drop) (drop) (local.get $b) (local.get $a)))

  ;; No parameters: its own type already fits the block.
  (func (export "constants") (result f32 i64 v128)
    (f32.const 0.5) (i64.const -9) (v128.const i32x4 1 2 3 4))

  ;; A helper with results, flattened into its caller first.
  (func $split (param i64) (result i32 i32)
    (i32.wrap_i64 (local.get 0))
    (i32.wrap_i64 (i64.shr_u (local.get 0) (i64.const 32))))
  (func (export "split-sum") (param i64) (result i32)
    (call $split (local.get 0))
    (i32.add)))
