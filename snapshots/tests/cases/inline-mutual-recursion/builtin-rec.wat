;; Direct and mutual recursion among builtins, reached through small
;; non-recursive wrappers an inliner will inline. The recursive functions
;; themselves must stay calls: inlining them would never end.
(module
  (import "env" "log_i32" (func $log (param i32)))

  (func $ping (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $pong (i32.sub (local.get $n) (i32.const 1)))))))
  (func $pong (param $n i32) (result i32)
    (call $log (local.get $n))
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 100))
      (else (i32.add (i32.const 2) (call $ping (i32.sub (local.get $n) (i32.const 1)))))))
  (func (export "ping") (param i32) (result i32) (call $ping (local.get 0)))

  ;; A three-function cycle, each member calling a helper outside it.
  (func $triple (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))
  (func $a (param i32) (result i32)
    (if (result i32) (i32.le_s (local.get 0) (i32.const 0))
      (then (call $triple (local.get 0)))
      (else (i32.add (call $triple (i32.const 1)) (call $b (i32.sub (local.get 0) (i32.const 1)))))))
  (func $b (param i32) (result i32)
    (i32.add (i32.const 10) (call $c (local.get 0))))
  (func $c (param i32) (result i32)
    (i32.sub (call $a (local.get 0)) (call $triple (i32.const 2))))
  (func (export "cycle") (param i32) (result i32) (call $a (local.get 0)))

  ;; Direct recursion, deep enough to matter, shallow enough for any engine.
  (func $sum (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 0))
      (else (i64.add (local.get 0) (call $sum (i64.sub (local.get 0) (i64.const 1)))))))
  (func (export "sum") (param i64) (result i64) (call $sum (local.get 0)))

  ;; Recursion with no way out: a stack overflow, whoever calls it.
  (func $forever (param i32) (result i32)
    (i32.add (i32.const 1) (call $forever (local.get 0))))
  (func (export "forever") (param i32) (result i32) (call $forever (local.get 0))))
