;; Its start function is another builtin's export; it puts an imported host
;; function and another builtin's function into its table.
(module
  (import "env" "log_i32" (func $log (param i32)))
  (import "ticker" "nothing" (func $nothing))
  (type $unary (func (param i32)))
  (table $t 2 funcref)
  (elem (table $t) (i32.const 0) func $log $nothing)
  (start $nothing)
  (func (export "init") (call $log (i32.const 7)))
  (func (export "log-indirect") (param i32)
    (call_indirect $t (type $unary) (local.get 0) (i32.const 0))))
