(module
  (import "refs" "tick-ref" (func $tick-ref (result funcref)))
  (type $void (func))
  (table $slots 1 funcref)
  (func (export "run")
    (table.set $slots (i32.const 0) (call $tick-ref))
    (call_indirect $slots (type $void) (i32.const 0))
    (call_indirect $slots (type $void) (i32.const 0))))
