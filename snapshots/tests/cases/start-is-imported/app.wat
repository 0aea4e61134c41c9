;; The app's start is a builtin's function, imported.
(module
  (import "lib" "init" (func $init))
  (import "lib" "log-indirect" (func $log-indirect (param i32)))
  (import "env" "tick" (func $tick))
  (import "env" "log_i32" (func $log (param i32)))
  (memory 1)
  (data (i32.const 0) "app")
  (start $init)
  (table $t 2 funcref)
  (elem (table $t) (i32.const 0) func $tick $init)
  (type $thunk (func))
  (func (export "log-indirect") (param i32) (call $log-indirect (local.get 0)))
  (func (export "call") (param i32) (call_indirect $t (type $thunk) (local.get 0))))
