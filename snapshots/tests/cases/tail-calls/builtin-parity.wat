;; Mutual recursion through return_call_indirect on a table the app fills:
;; a million levels deep, possible only because every call is a tail call.
(module
  (type $pred (func (param i64) (result i32)))
  (table $fns (export "fns") 2 funcref)
  (func $even (export "even") (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0))
      (then (i32.const 1))
      (else (return_call_indirect $fns (type $pred)
        (i64.sub (local.get 0) (i64.const 1)) (i32.const 1)))))
  (func (export "sum-to") (param $n i64) (param $acc i64) (result i64)
    (local.get $acc)))
