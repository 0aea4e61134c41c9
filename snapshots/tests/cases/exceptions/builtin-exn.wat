;; Tags defined by the builtin, thrown on both sides of the boundary and
;; caught on both sides.
(module
  (import "env" "log_i32" (func $log (param i32)))
  (tag $err (export "err") (param i32))
  (tag $pair (export "pair") (param i64 f64))
  (type $thunk (func))
  (func (export "fail") (param i32)
    (call $log (local.get 0))
    (throw $err (local.get 0)))
  (func (export "fail-pair") (param i64 f64)
    (throw $pair (local.get 0) (local.get 1)))
  ;; Runs the app's function and catches `err` from it: the app threw a tag
  ;; it imported from here.
  (func (export "guard") (param $f (ref null $thunk)) (result i32)
    (block $caught (result i32)
      (try_table (catch $err $caught)
        (call_ref $thunk (local.get $f)))
      (i32.const -1)))
  ;; Catches anything as an exnref, logs, and rethrows it unchanged.
  (func (export "relay") (param $f (ref null $thunk))
    (local $e exnref)
    (local.set $e
      (block $caught (result exnref)
        (try_table (catch_all_ref $caught)
          (call_ref $thunk (local.get $f)))
        (return)))
    (call $log (i32.const 777))
    (throw_ref (local.get $e))))
