;; Types that look alike but are not the same type: a single-type rec group
;; versus the same struct inside a larger rec group, and final versus
;; non-final. Casts must tell them apart after linking exactly as before.
(module
  (type $plain (struct (field i32)))
  (type $open (sub (struct (field i32))))
  (rec
    (type $grouped (struct (field i32)))
    (type $other (struct (field i64))))
  (rec
    (type $a (struct (field (ref null $b))))
    (type $b (struct (field (ref null $a)) (field i32))))
  (func (export "plain") (result anyref) (struct.new $plain (i32.const 1)))
  (func (export "open") (result anyref) (struct.new $open (i32.const 2)))
  (func (export "grouped") (result anyref) (struct.new $grouped (i32.const 3)))
  (func (export "cycle") (result anyref)
    (struct.new $a (struct.new $b (ref.null $a) (i32.const 4))))
  ;; What the builtin thinks of a value: a bit per type it matches.
  (func (export "classify") (param anyref) (result i32)
    (i32.or
      (i32.or (ref.test (ref $plain) (local.get 0))
        (i32.shl (ref.test (ref $open) (local.get 0)) (i32.const 1)))
      (i32.or (i32.shl (ref.test (ref $grouped) (local.get 0)) (i32.const 2))
        (i32.shl (ref.test (ref $a) (local.get 0)) (i32.const 3))))))
