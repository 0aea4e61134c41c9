;; A function whose declared type is a subtype of the one the app imports
;; it at: runtime signature checks (call_indirect, ref.test, ref.cast) must
;; still see the subtype after linking.
(module
  (type $super (sub (func (param i32) (result i32))))
  (type $sub (sub $super (func (param i32) (result i32))))
  (type $other (sub (func (param i32) (result i32))))
  (func (export "impl") (type $sub) (i32.add (local.get 0) (i32.const 100)))
  (func (export "other") (type $other) (i32.sub (local.get 0) (i32.const 100)))
  ;; What the builtin sees when handed a function.
  (func (export "is-sub") (param funcref) (result i32) (ref.test (ref $sub) (local.get 0))))
