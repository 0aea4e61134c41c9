;; Every problem is reported at once, across two builtins.
(module
  (import "lib" "f" (func (param i64)))
  (import "lib" "g" (global (mut i32)))
  (import "lib" "m" (table 1 funcref))
  (import "lib" "missing" (func))
  (import "other" "h" (func (result i32)))
  (import "other" "t" (table 1 funcref)))
