(module
  (type $pred (func (param i64) (result i32)))
  (import "parity" "even" (func $even (param i64) (result i32)))
  (import "parity" "fns" (table $fns 2 funcref))
  (import "parity" "sum-to" (func $sum-to (param i64 i64) (result i64)))
  ;; Slot 0 is the builtin's `even`, slot 1 the app's `odd`.
  (elem (table $fns) (i32.const 0) func $even $odd)
  (func $odd (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0))
      (then (i32.const 0))
      (else (return_call_indirect $fns (type $pred)
        (i64.sub (local.get 0) (i64.const 1)) (i32.const 0)))))
  ;; A direct tail call to a builtin function.
  (func (export "even") (param i64) (result i32) (return_call $even (local.get 0)))
  (func (export "odd") (param i64) (result i32) (return_call $odd (local.get 0)))
  ;; Loops through the app until n is 0, then tail-calls the builtin.
  (func $sum (export "sum") (param $n i64) (param $acc i64) (result i64)
    (if (i64.eqz (local.get $n))
      (then (return_call $sum-to (local.get $n) (local.get $acc))))
    (return_call $sum
      (i64.sub (local.get $n) (i64.const 1))
      (i64.add (local.get $acc) (local.get $n))))
  ;; A tail call through a typed function reference to the builtin.
  (elem declare func $even)
  (func (export "even-ref") (param i64) (result i32)
    (return_call_ref $pred (local.get 0) (ref.func $even))))
