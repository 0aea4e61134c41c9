;; Only the tag is reported: `throw` takes and returns nothing.
(module
  (type $load (func (param i64) (result i64)))
  (import "leaky" "throw" (func $throw))
  (import "leaky" "boom" (tag $boom (param funcref)))
  (table 1 funcref)
  (func (export "peek") (param i64) (result i64)
    (local $caught funcref)
    (local.set $caught
      (block $handler (result funcref)
        (try_table (catch $boom $handler) (call $throw))
        (ref.null func)))
    (table.set (i32.const 0) (local.get $caught))
    (call_indirect (type $load) (local.get 0) (i32.const 0))))
