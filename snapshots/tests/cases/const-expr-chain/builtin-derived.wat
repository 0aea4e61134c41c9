;; Its globals and segment offsets are computed from `base`'s globals and
;; the host's, so global layout and const-expr renumbering must agree.
(module
  (import "env" "seed" (global $seed i32))
  (import "base" "base" (global $base i32))
  (import "base" "wide" (global $wide i64))
  (import "base" "table" (table $t 16 funcref))
  (import "base" "memory" (memory 1))
  (global $own i32 (i32.const 1000))
  (global (export "derived") i32
    (i32.add (global.get $own) (i32.mul (global.get $base) (i32.const 10))))
  (global (export "derived64") i64 (i64.mul (global.get $wide) (global.get $wide)))
  (global (export "from-seed") i32 (i32.sub (global.get $seed) (global.get $base)))
  (func $eleven (result i32) (i32.const 11))
  (elem (table $t) (i32.sub (global.get $base) (global.get $seed)) func $eleven)
  (data (i32.add (global.get $base) (i32.const 1)) "derived"))
