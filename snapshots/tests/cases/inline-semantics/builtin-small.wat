;; Small functions an inliner will want to inline, each with a property an
;; inliner can get wrong: locals that must start at zero on every call, an
;; early `return` from inside nested blocks, traps whose kind must not
;; change, multiple results, and recursion that must not be inlined forever.
(module
  (import "env" "log_i32" (func $log (param i32)))
  (global $calls (export "calls") (mut i32) (i32.const 0))
  ;; Relies on $acc starting at 0 on every call.
  (func (export "count-up") (param $n i32) (result i32)
    (local $acc i32)
    (local.set $acc (i32.add (local.get $acc) (local.get $n)))
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (local.get $acc))
  ;; Returns early from two blocks deep.
  (func (export "clamp") (param $x i32) (result i32)
    (block $outer
      (block $inner
        (br_if $inner (i32.ge_s (local.get $x) (i32.const 0)))
        (return (i32.const 0)))
      (br_if $outer (i32.le_s (local.get $x) (i32.const 100)))
      (return (i32.const 100)))
    (local.get $x))
  (func (export "div") (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
  (func (export "pair") (param i32) (result i32 i32)
    (local.get 0) (i32.mul (local.get 0) (i32.const -1)))
  (func $fact (export "fact") (param i64) (result i64)
    (if (result i64) (i64.le_u (local.get 0) (i64.const 1))
      (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fact (i64.sub (local.get 0) (i64.const 1)))))))
  (func $is-even (export "is-even") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 1))
      (else (call $is-odd (i32.sub (local.get 0) (i32.const 1))))))
  (func $is-odd (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (call $is-even (i32.sub (local.get 0) (i32.const 1))))))
  ;; Effects in argument order must stay in order.
  (func (export "log2") (param i32 i32)
    (call $log (local.get 0))
    (call $log (local.get 1))))
