;; GC allocations and typed references in constant expressions: global
;; initializers, table initializers and element segment items, all of
;; which carry type and function indices the linker must renumber.
(module
  (type $op (func (param i32) (result i32)))
  (type $point (struct (field i32) (field i32)))
  (type $row (array (mut i32)))
  (type $box (struct (field (ref $point))))
  (func $neg (type $op) (i32.sub (i32.const 0) (local.get 0)))
  (func $sq (type $op) (i32.mul (local.get 0) (local.get 0)))
  (global $origin (export "origin") (ref $point) (struct.new $point (i32.const 3) (i32.const 4)))
  (global (export "boxed") (ref $box) (struct.new $box (global.get $origin)))
  (global (export "row") (ref $row) (array.new_fixed $row 3 (i32.const 1) (i32.const 2) (i32.const 3)))
  (global (export "zeros") (ref $row) (array.new_default $row (i32.const 2)))
  (global (export "small") i31ref (ref.i31 (i32.const -5)))
  (global (export "neg") (ref $op) (ref.func $neg))
  ;; A non-nullable typed table, initialized by an expression.
  (table $ops (export "ops") 4 (ref $op) (ref.func $sq))
  (table $things (export "things") 4 anyref)
  (elem (table $ops) (i32.const 1) (ref $op) (item ref.func $neg))
  (elem (table $things) (i32.const 0) anyref
    (item (struct.new $point (i32.const 7) (i32.const 8)))
    (item (ref.i31 (i32.const 9)))
    (item ref.null any)
    (item (array.new_fixed $row 1 (i32.const 10))))
  (func (export "apply") (param i32 i32) (result i32)
    (call_indirect $ops (type $op) (local.get 1) (local.get 0)))
  (func (export "thing") (param i32) (result anyref) (table.get $things (local.get 0))))
