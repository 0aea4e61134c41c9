;; GC traps inside the builtin on values the app made.
(module
  (type $pair (struct (field (mut i32)) (field i64)))
  (type $bytes (array (mut i8)))
  (func (export "first") (param (ref null $pair)) (result i32)
    (struct.get $pair 0 (local.get 0)))
  (func (export "at") (param (ref null $bytes)) (param i32) (result i32)
    (array.get_u $bytes (local.get 0) (local.get 1)))
  (func (export "set-at") (param (ref null $bytes)) (param i32 i32)
    (array.set $bytes (local.get 0) (local.get 1) (local.get 2)))
  (func (export "as-pair") (param anyref) (result i32)
    (struct.get $pair 0 (ref.cast (ref $pair) (local.get 0))))
  (func (export "non-null") (param anyref) (result i32)
    (drop (ref.as_non_null (local.get 0))) (i32.const 1)))
