;; GC structs with a funcref field, exported as anyref, as externref and as
;; a typed global; the numeric struct and function exports stay allowed.
(module
  (type $box (struct (field funcref)))
  (type $plain (struct (field i32)))
  (import "unsafe-intrinsics" "u64-native-load" (func $load (param i64) (result i64)))
  (elem declare func $load)
  (global (export "box") (ref $box) (struct.new $box (ref.func $load)))
  (global (export "plain") (ref $plain) (struct.new $plain (i32.const 7)))
  (func (export "boxed") (result anyref) (struct.new $box (ref.func $load)))
  (func (export "wrapped") (result externref)
    (extern.convert_any (struct.new $box (ref.func $load))))
  (func (export "count") (result i32) (i32.const 1)))
