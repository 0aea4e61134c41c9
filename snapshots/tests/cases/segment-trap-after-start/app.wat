(module
  (import "env" "log_i32" (func $log (param i32)))
  (import "env" "memory" (memory $host 1 2))
  (import "init" "noop" (func $noop))
  (memory $own 1)
  ;; The first segment fits, the second is out of bounds: instantiation
  ;; traps after the builtin's start ran and after the first segment was
  ;; written, and the app's start never runs.
  (data (memory $host) (i32.const 16) "app was here")
  (data (memory $own) (i32.const 65530) "too long for the page")
  (func $start (call $log (i32.const 2)))
  (start $start)
  (func (export "run") (call $noop)))
