;; Nothing uses this table, global or segment, but instantiation evaluates
;; their initializers all the same, and an allocation may trap: the table's
;; array is larger than any engine allows, so instantiation must fail in
;; the linked module too, whatever dead-code removal would like to drop.
(module
  (type $bytes (array i8))
  (type $pair (struct (field i32) (field i32)))
  (global $object (ref $pair) (struct.new $pair (i32.const 1) (i32.const 2)))
  (elem $objects anyref (item (array.new_fixed $bytes 0)))
  (table $huge 1 anyref (array.new_default $bytes (i32.const -1)))
  (func (export "answer") (result i32) (i32.const 42)))
