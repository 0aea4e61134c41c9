(module
  (type $cb (func (param funcref)))
  (import "leaky" "visit" (func $visit (param (ref $cb))))
  (table 1 funcref)
  (elem declare func $keep)
  (func $keep (param funcref) (table.set (i32.const 0) (local.get 0)))
  (func (export "grab") (call $visit (ref.func $keep))))
