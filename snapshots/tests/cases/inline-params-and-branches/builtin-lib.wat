;; Callees that write their parameters, branch to their own outermost label
;; with br_table, and return several values from inside a loop: an inliner
;; must keep each call's parameters private and every exit in place.
(module
  (global $seen (export "seen") (mut i32) (i32.const 0))
  (func (export "mangle") (param $x i32) (param $y i64) (result i32)
    (local.set $x (i32.mul (local.get $x) (i32.const 10)))
    (local.set $y (i64.add (local.get $y) (i64.const 1)))
    (local.tee $x (i32.add (local.get $x) (i32.wrap_i64 (local.get $y)))))
  ;; br_table whose targets include the function body itself.
  (func (export "pick") (param $i i32) (result i32)
    (block $b (result i32)
      (block $a (result i32)
        (i32.const 100)
        (local.get $i)
        (br_table $a $b 2 (local.get $i)))
      (i32.const 1)
      (i32.add))
    (i32.const 2)
    (i32.add))
  ;; Returns two values from inside a loop.
  (func (export "find") (param $target i32) (result i32 i32)
    (local $i i32)
    (loop $next
      (if (i32.eq (i32.mul (local.get $i) (local.get $i)) (local.get $target))
        (then (return (local.get $i) (i32.const 1))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 100))))
    (i32.const -1) (i32.const 0))
  ;; Reads a global the caller writes between calls.
  (func (export "observe") (result i32) (global.get $seen)))
