;; Passes `middle`'s re-exports on again.
(module
  (import "middle" "table" (table $t 2 funcref))
  (import "middle" "memory" (memory $m 1))
  (import "middle" "global" (global $g (mut i32)))
  (import "middle" "tag" (tag $e (param i32)))
  (import "middle" "func" (func $f (param i32)))
  (import "middle" "catch" (func $catch (param i32) (result i32)))
  (export "table" (table $t))
  (export "memory" (memory $m))
  (export "global" (global $g))
  (export "tag" (tag $e))
  (export "func" (func $f))
  (export "catch" (func $catch)))
