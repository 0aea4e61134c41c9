;; Callees that throw, catch and rethrow. Inlined, a throw must reach the
;; same handler it reached through the call — the callee's own try_table,
;; or the caller's around the call site — and a catch label naming the
;; callee's function label must now land at the end of the inlined body.
(module
  (import "env" "log_i32" (func $log (param i32)))
  (tag $e (export "e") (param i32))
  (tag $other (param i64))

  (func (export "throw-if") (param $x i32) (result i32)
    (if (local.get $x) (then (throw $e (local.get $x))))
    (i32.const 0))

  ;; Catches its own throw.
  (func (export "catch-own") (param $x i32) (result i32)
    (block $h (result i32)
      (try_table (catch $e $h)
        (if (local.get $x) (then (throw $e (local.get $x))))
        (call $log (i32.const 3)))
      (return (i32.const -1)))
    (i32.add (i32.const 1000)))

  ;; Catches everything with its reference, logs, rethrows.
  (func (export "log-rethrow") (param $x i32)
    (block $h (result exnref)
      (try_table (catch_all_ref $h)
        (throw $e (local.get $x)))
      (unreachable))
    (call $log (i32.const 77))
    (throw_ref))

  ;; The catch label is the function's own: a caught $e returns its payload.
  (func (export "catch-to-return") (param $x i32) (result i32)
    (try_table (catch $e 0)
      (call $log (local.get $x))
      (throw $e (i32.mul (local.get $x) (i32.const 2))))
    (unreachable))

  ;; A tag the caller cannot name, thrown through the caller.
  (func (export "throw-other") (param $x i64)
    (throw $other (local.get $x))))
