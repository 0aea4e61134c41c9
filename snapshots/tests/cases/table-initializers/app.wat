;; Every kind of initializer a table, a global or an element segment can
;; have, each observed through a call: table initializers from `ref.func`,
;; from an imported global and explicitly null; reference-typed globals from
;; `ref.func` and from an imported global; active segments of expression
;; items over an initialized table; a passive segment through `table.init`;
;; a declarative segment.
(module
  (type $thunk (func (result i32)))
  (import "lib" "table" (table $shared 3 funcref))
  (import "lib" "eight-ref" (global $eight funcref))
  (import "lib" "call" (func $lib-call (param i32) (result i32)))
  (func $k (result i32) (i32.const 42))
  (func $m (result i32) (i32.const 43))
  (table $own (export "own-table") 4 funcref (ref.func $k))
  (table $from-global 2 funcref (global.get $eight))
  (table $nulls 2 funcref (ref.null func))
  (table $externs (export "externs") 2 externref (ref.null extern))
  (global $g-k funcref (ref.func $k))
  (global $g-eight funcref (global.get $eight))
  ;; Slots 1 and 2 of $own are overwritten: $m, then null.
  (elem (table $own) (i32.const 1) funcref (ref.func $m) (ref.null func))
  (elem $passive funcref (ref.func $m) (ref.func $k))
  (elem declare func $k)
  (func (export "own") (param i32) (result i32)
    (call_indirect $own (type $thunk) (local.get 0)))
  (func (export "from-global") (param i32) (result i32)
    (call_indirect $from-global (type $thunk) (local.get 0)))
  (func (export "nulls") (param i32) (result i32)
    (call_indirect $nulls (type $thunk) (local.get 0)))
  (func (export "shared") (param i32) (result i32)
    (call_indirect $shared (type $thunk) (local.get 0)))
  (func (export "lib-call") (param i32) (result i32) (call $lib-call (local.get 0)))
  (func (export "global-k-is-null") (result i32) (ref.is_null (global.get $g-k)))
  (func (export "globals-call") (result i32)
    (table.set $nulls (i32.const 0) (global.get $g-k))
    (table.set $nulls (i32.const 1) (global.get $g-eight))
    (i32.add
      (call_indirect $nulls (type $thunk) (i32.const 0))
      (i32.mul (i32.const 100) (call_indirect $nulls (type $thunk) (i32.const 1)))))
  (func (export "init-nulls")
    (table.init $nulls $passive (i32.const 0) (i32.const 0) (i32.const 2)))
  (func (export "ref-func-k") (result i32)
    (call_indirect $own (type $thunk)
      (table.grow $own (ref.func $k) (i32.const 1)))))
