;; Callees with locals that have no default value (non-nullable
;; references, set before every use), GC values as parameters and results,
;; and `ref.func` of builtin functions that only a builtin item declared —
;; once the callee is inlined into the app and the builtin's declarations
;; are removed as dead, the function must still be declared.
(module
  (type $unary (func (param i32) (result i32)))
  (type $point (struct (field $x (mut i32)) (field $y i32)))
  (func $double (type $unary) (i32.mul (local.get 0) (i32.const 2)))
  (func $negate (type $unary) (i32.sub (i32.const 0) (local.get 0)))
  (elem declare func $double)
  ;; The only declaration of $negate is this global's initializer; the
  ;; global itself is never read.
  (global $unused (ref null func) (ref.func $negate))

  (func (export "apply-double") (param $x i32) (result i32)
    (local $f (ref $unary))
    (local.set $f (ref.func $double))
    (call_ref $unary (local.get $x) (local.get $f)))
  (func (export "apply-negate") (param $x i32) (result i32)
    (local $f (ref $unary))
    (local.set $f (ref.func $negate))
    (call_ref $unary (local.get $x) (local.get $f)))
  (func (export "make") (param i32 i32) (result (ref $point))
    (struct.new $point (local.get 0) (local.get 1)))
  (func (export "bump") (param $p (ref null $point)) (result i32)
    (local $q (ref $point))
    (local.set $q (ref.as_non_null (local.get $p)))
    (struct.set $point $x (local.get $q)
      (i32.add (struct.get $point $x (local.get $q)) (i32.const 1)))
    (i32.add (struct.get $point $x (local.get $q)) (struct.get $point $y (local.get $q)))))
