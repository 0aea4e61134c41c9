;; Tail calls a million deep that pass through inlined code. The recursive
;; function stays a function; the small non-recursive ones around it are
;; inlined, and where they are inlined at a tail call site their own tail
;; calls must stay tail calls, or the chain runs out of stack.
(module
  (type $step (func (param i64) (result i64)))
  (table (export "steps") 1 funcref)

  (func $count (param $n i64) (param $acc i64) (result i64)
    (if (i64.eqz (local.get $n)) (then (return (local.get $acc))))
    (return_call $count (i64.sub (local.get $n) (i64.const 1))
                        (i64.add (local.get $acc) (i64.const 2))))
  ;; Not recursive: tail-calls into the recursion.
  (func (export "count") (param $n i64) (result i64)
    (return_call $count (local.get $n) (i64.const 0)))

  ;; Not recursive on its own: bounces back to the app through the table.
  (func (export "bounce") (param $n i64) (result i64)
    (if (i64.eqz (local.get $n)) (then (return (i64.const 42))))
    (return_call_indirect (type $step) (i64.sub (local.get $n) (i64.const 1)) (i32.const 0)))

  ;; The same through a typed reference.
  (func (export "bounce-ref") (param $n i64) (param $next (ref $step)) (result i64)
    (if (i64.eqz (local.get $n)) (then (return (i64.const 43))))
    (return_call_ref $step (i64.sub (local.get $n) (i64.const 1)) (local.get $next))))
