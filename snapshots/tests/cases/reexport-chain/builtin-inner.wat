(module
  (import "env" "log_i32" (func $log (param i32)))
  (table $t (export "t") 2 funcref)
  (memory $m (export "m") 1)
  (global $g (export "g") (mut i32) (i32.const 1))
  (tag $e (export "e") (param i32))
  (func $f (export "f") (param i32) (call $log (local.get 0)))
  (func (export "throw") (param i32) (throw $e (local.get 0))))
