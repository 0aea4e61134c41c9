;; The app's start function, which the merged module runs from a
;; synthesized start after the builtin's, calls host functions that look
;; at the calling instance's exports while it is still being instantiated.
(module
  (import "env" "log_str" (func $log_str (param i32 i32)))
  (import "env" "call_back" (func $call_back (param i32) (result i32)))
  (import "env" "log_i32" (func $log (param i32)))
  (import "lib" "count" (func $count (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "hello from the app's start")
  (func (export "callback") (param i32) (result i32) (call $count (local.get 0)))
  (func $start
    (call $log_str (i32.const 0) (i32.const 26))
    (call $log (call $call_back (i32.const 100))))
  (start $start)
  (func (export "again") (result i32) (call $call_back (i32.const 200))))
