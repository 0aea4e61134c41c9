;; A stack of i32s in the builtin's own memory, with its depth in a global:
;; state that must persist across calls and be shared by every caller.
(module
  (memory 1)
  (global $depth (export "depth") (mut i32) (i32.const 0))
  (global $pushes (mut i64) (i64.const 0))

  (func (export "push") (param $v i32)
    (i32.store (i32.mul (global.get $depth) (i32.const 4)) (local.get $v))
    (global.set $depth (i32.add (global.get $depth) (i32.const 1)))
    (global.set $pushes (i64.add (global.get $pushes) (i64.const 1))))

  ;; Traps (out of bounds) when the stack is empty, since depth-1 wraps.
  (func (export "pop") (result i32)
    (global.set $depth (i32.sub (global.get $depth) (i32.const 1)))
    (i32.load (i32.mul (global.get $depth) (i32.const 4))))

  (func (export "pushes") (result i64) (global.get $pushes))

  (func (export "sum") (result i32)
    (local $i i32) (local $s i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (global.get $depth)))
        (local.set $s (i32.add (local.get $s)
          (i32.load (i32.mul (local.get $i) (i32.const 4)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $s)))
