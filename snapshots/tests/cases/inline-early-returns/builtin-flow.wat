;; Callees that leave early: `return` from nested blocks, loops and
;; try_tables, `br_table` and `br` aimed at the function's own label. An
;; inliner must turn each into a branch to the end of the inlined body at
;; the right depth, and must not skip the caller's code after the call.
(module
  (import "env" "log_i32" (func $log (param i32)))
  (tag $stop (param i32))

  ;; br_table into three nested blocks, two of which return.
  (func (export "classify") (param $x i32) (result i32)
    (block $two
      (block $one
        (block $zero
          (br_table $zero $one $two (local.get $x)))
        (return (i32.const 100)))
      (call $log (i32.const 1))
      (return (i32.const 200)))
    (i32.const 300))

  ;; br_table whose default is the function label itself, carrying a value.
  (func (export "table-return") (param $x i32) (result i32)
    (block $a (result i32)
      (block $b (result i32)
        (br_table $a $b 2 (i32.const 7) (local.get $x)))
      (i32.add (i32.const 10)))
    (i32.add (i32.const 1000)))

  ;; `br` to the function label from two blocks deep.
  (func (export "br-out") (param $x i32) (result i32)
    (block
      (block
        (br_if 2 (i32.const -1) (i32.lt_s (local.get $x) (i32.const 0)))
        (br_if 1 (i32.eqz (local.get $x)))
        (return (i32.mul (local.get $x) (i32.const 3)))))
    (i32.const 0))

  ;; `return` from inside a loop inside an if.
  (func (export "find-root") (param $n i32) (param $target i32) (result i32)
    (local $i i32)
    (if (i32.gt_s (local.get $n) (i32.const 0))
      (then
        (loop $l
          (if (i32.eq (i32.mul (local.get $i) (local.get $i)) (local.get $target))
            (then (return (local.get $i))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_s (local.get $i) (local.get $n))))))
    (i32.const -1))

  ;; `return` from inside a try_table, and a throw caught by it.
  (func (export "try-return") (param $x i32) (result i32)
    (block $caught (result i32)
      (try_table (catch $stop $caught)
        (if (i32.eq (local.get $x) (i32.const 1)) (then (return (i32.const 11))))
        (if (i32.eq (local.get $x) (i32.const 2)) (then (throw $stop (i32.const 22))))
        (call $log (local.get $x)))
      (i32.const 33))
    (i32.add (i32.const 1000)))

  ;; No result: `return` alone.
  (func (export "maybe-log") (param $x i32)
    (if (i32.eqz (local.get $x)) (then (return)))
    (call $log (local.get $x))))
