;; Callees with unreachable code: after `unreachable`, `return`, `br` and
;; `throw` the stack is polymorphic, and code there validates against any
;; types. Inlined into a block, it must keep validating — and call sites in
;; the caller's own unreachable code must too.
(module
  (tag $t)
  (func (export "never") (param i32) (result i32)
    (unreachable)
    (i32.add))
  (func (export "maybe") (param $x i32) (result i32 i64)
    (if (local.get $x) (then (return (i32.const 1) (i64.const 2))))
    (unreachable)
    (drop)
    (i64.const 5))
  (func (export "br-then-junk") (param $x i32) (result i32)
    (br 0 (local.get $x))
    (i32.const 1)
    (select))
  (func (export "throw-then-junk") (param i32) (result f32)
    (if (local.get 0) (then (return (f32.const 1.5))))
    (throw $t)
    (i64.eqz)
    (drop))
  (func (export "returns-early") (param $x i32) (result i32)
    (return (i32.add (local.get $x) (i32.const 1)))
    (local.get $x)))
