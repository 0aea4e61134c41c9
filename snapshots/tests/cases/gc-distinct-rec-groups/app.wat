(module
  ;; The app declares the types in another order, with other types between,
  ;; and only some of them.
  (type $unrelated (func (param f64)))
  (rec
    (type $a (struct (field (ref null $b))))
    (type $b (struct (field (ref null $a)) (field i32))))
  (rec
    (type $grouped (struct (field i32)))
    (type $other (struct (field i64))))
  (type $open (sub (struct (field i32))))
  (type $plain (struct (field i32)))
  (import "types" "plain" (func $plain (result anyref)))
  (import "types" "open" (func $open (result anyref)))
  (import "types" "grouped" (func $grouped (result anyref)))
  (import "types" "cycle" (func $cycle (result anyref)))
  (import "types" "classify" (func $classify (param anyref) (result i32)))
  (func $classify-here (param anyref) (result i32)
    (i32.or
      (i32.or (ref.test (ref $plain) (local.get 0))
        (i32.shl (ref.test (ref $open) (local.get 0)) (i32.const 1)))
      (i32.or (i32.shl (ref.test (ref $grouped) (local.get 0)) (i32.const 2))
        (i32.shl (ref.test (ref $a) (local.get 0)) (i32.const 3)))))
  ;; Each value classified by the builtin and by the app: both must agree,
  ;; and each value must match only its own type.
  (func (export "builtin-values") (result i32 i32 i32 i32 i32 i32 i32 i32)
    (call $classify (call $plain)) (call $classify-here (call $plain))
    (call $classify (call $open)) (call $classify-here (call $open))
    (call $classify (call $grouped)) (call $classify-here (call $grouped))
    (call $classify (call $cycle)) (call $classify-here (call $cycle)))
  (func (export "app-values") (result i32 i32 i32 i32 i32 i32)
    (call $classify (struct.new $plain (i32.const 1)))
    (call $classify (struct.new $open (i32.const 1)))
    (call $classify (struct.new $grouped (i32.const 1)))
    (call $classify (struct.new $a (ref.null $b)))
    (call $classify (struct.new $other (i64.const 1)))
    (call $classify (ref.i31 (i32.const 1))))
  (func (export "cycle-field") (result i32)
    (struct.get $b 1 (ref.cast (ref $b)
      (struct.get $a 0 (ref.cast (ref $a) (call $cycle)))))))
