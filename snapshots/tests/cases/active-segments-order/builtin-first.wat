;; Writes the shared memory and table with active segments; its start
;; function logs what it sees, before later modules' segments exist.
(module
  (import "env" "log_str" (func $log_str (param i32 i32)))
  (import "env" "log_i32" (func $log (param i32)))
  (memory (export "mem") 1)
  (table (export "table") 4 funcref)
  (type $thunk (func (result i32)))
  (func $one (result i32) (i32.const 1))
  (data (i32.const 0) "AAAAAAAA")
  (elem (i32.const 0) func $one $one)
  (func $start
    (call $log (i32.load8_u (i32.const 0)))
    (call $log (i32.load8_u (i32.const 2)))
    (call $log (i32.load8_u (i32.const 4)))
    (call $log (ref.is_null (table.get (i32.const 1)))))
  (start $start)
  (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "call") (param i32) (result i32) (call_indirect (type $thunk) (local.get 0))))
