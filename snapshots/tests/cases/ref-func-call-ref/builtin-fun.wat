;; Higher-order functions: the app hands the builtin typed references to
;; functions — including the builtin's own, imported and taken by ref.func.
(module
  (type $op (func (param i32) (result i32)))
  (import "env" "log_i32" (func $log (param i32)))
  (global $last (export "last") (mut (ref null $op)) (ref.null $op))
  (func $square (export "square") (param i32) (result i32)
    (call $log (local.get 0))
    (i32.mul (local.get 0) (local.get 0)))
  (func (export "apply") (param $f (ref $op)) (param $x i32) (result i32)
    (global.set $last (local.get $f))
    (call_ref $op (local.get $x) (local.get $f)))
  (func (export "twice") (param $f (ref null $op)) (param $x i32) (result i32)
    (call_ref $op (call_ref $op (local.get $x) (local.get $f)) (local.get $f)))
  (func (export "again") (param i32) (result i32)
    (call_ref $op (local.get 0) (global.get $last)))
  (elem declare func $square)
  (func (export "square-ref") (result (ref $op)) (ref.func $square)))
