;; Callees whose locals must read as zero on every call, and which change
;; their parameters: an inliner that forgets to re-zero a local at a call
;; site inside a loop, or that writes through to the caller's argument,
;; changes the results.
(module
  (func $helper (result i32) (i32.const 5))
  (elem declare func $helper)

  ;; Bit k of the result is set when local k was not zero on entry; then
  ;; every local is dirtied. Covers every kind of defaultable local.
  (func (export "probe") (param $x i32) (result i32)
    (local $i i32) (local $l i64) (local $f f32) (local $d f64) (local $v v128)
    (local $r funcref) (local $e externref) (local $a anyref) (local $flags i32)
    (local.set $flags
      (i32.or
        (i32.or
          (i32.or (i32.ne (local.get $i) (i32.const 0))
                  (i32.shl (i64.ne (local.get $l) (i64.const 0)) (i32.const 1)))
          (i32.or (i32.shl (f32.ne (local.get $f) (f32.const 0)) (i32.const 2))
                  (i32.shl (f64.ne (local.get $d) (f64.const 0)) (i32.const 3))))
        (i32.or
          (i32.or (i32.shl (v128.any_true (local.get $v)) (i32.const 4))
                  (i32.shl (i32.eqz (ref.is_null (local.get $r))) (i32.const 5)))
          (i32.or (i32.shl (i32.eqz (ref.is_null (local.get $e))) (i32.const 6))
                  (i32.shl (i32.eqz (ref.is_null (local.get $a))) (i32.const 7))))))
    (local.set $i (local.get $x))
    (local.set $l (i64.extend_i32_u (local.get $x)))
    (local.set $f (f32.const 1.5))
    (local.set $d (f64.const 2.5))
    (local.set $v (i32x4.splat (local.get $x)))
    (local.set $r (ref.func $helper))
    (local.set $e (extern.convert_any (ref.i31 (local.get $x))))
    (local.set $a (ref.i31 (local.get $x)))
    (i32.add (local.get $flags) (i32.mul (local.get $x) (i32.const 256))))

  ;; 1 + 2 + ... + n with an accumulator that must start at zero.
  (func $triangle (export "triangle") (param $n i32) (result i32)
    (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.le_s (local.get $n) (i32.const 0)))
        (local.set $acc (i32.add (local.get $acc) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $acc))

  ;; Squares its parameter in place.
  (func (export "square-in-place") (param $x i32) (result i32)
    (local.set $x (i32.mul (local.get $x) (local.get $x)))
    (local.get $x))

  ;; A builtin calling a builtin twice: flattened first, then inlined.
  (func (export "twice-triangle") (param $n i32) (result i32)
    (local $first i32)
    (local.set $first (call $triangle (local.get $n)))
    (i32.add (i32.mul (local.get $first) (i32.const 1000))
             (call $triangle (i32.add (local.get $n) (local.get $first))))))
