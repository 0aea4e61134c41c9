;; Recursion that crosses the boundary on every level: the builtin calls
;; back into the app through a shared table, the app calls the builtin.
(module
  (type $step (func (param i64) (result i64)))
  (table (export "steps") 1 funcref)
  (func (export "down") (param $n i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n))
      (then (i64.const 0))
      (else
        (i64.add (i64.const 1)
          (call_indirect (type $step) (i64.sub (local.get $n) (i64.const 1)) (i32.const 0))))))
  ;; Unbounded recursion within the builtin alone.
  (func $forever (export "forever") (param i32) (result i32)
    (i32.add (call $forever (i32.add (local.get 0) (i32.const 1))) (i32.const 1))))
