(module
  (import "acc" "probe" (func $probe (param i32) (result i32)))
  (import "acc" "triangle" (func $triangle (param i32) (result i32)))
  (import "acc" "square-in-place" (func $square (param i32) (result i32)))
  (import "acc" "twice-triangle" (func $twice (param i32) (result i32)))
  (import "env" "log_i32" (func $log (param i32)))

  ;; The same call site, n times.
  (func (export "probe-loop") (param $n i32)
    (loop $again
      (call $log (call $probe (local.get $n)))
      (br_if $again (i32.gt_s (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
                              (i32.const 0)))))

  ;; Two call sites in a row, no loop.
  (func (export "probe-twice") (param $x i32) (result i32 i32)
    (call $probe (local.get $x))
    (call $probe (i32.add (local.get $x) (i32.const 1))))

  (func (export "triangles") (param $n i32) (result i32)
    (local $sum i32)
    (loop $again
      (local.set $sum (i32.add (local.get $sum) (call $triangle (local.get $n))))
      (br_if $again (i32.gt_s (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
                              (i32.const 0))))
    (local.get $sum))

  ;; The caller's local is passed twice and must keep its value.
  (func (export "square-twice") (param $x i32) (result i32 i32 i32)
    (call $square (local.get $x))
    (call $square (local.get $x))
    (local.get $x))

  ;; Arguments are evaluated left to right before the body runs.
  (func (export "square-args") (param $x i32) (result i32)
    (i32.sub
      (call $square (local.tee $x (i32.add (local.get $x) (i32.const 1))))
      (call $square (local.tee $x (i32.add (local.get $x) (i32.const 1))))))

  (func (export "nested") (param $n i32) (result i32)
    (local $sum i32)
    (loop $again
      (local.set $sum (i32.add (local.get $sum) (call $twice (local.get $n))))
      (br_if $again (i32.gt_s (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
                              (i32.const 0))))
    (local.get $sum)))
