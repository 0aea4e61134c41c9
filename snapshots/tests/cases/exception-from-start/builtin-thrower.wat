;; Its start function throws: instantiation fails with an uncaught
;; exception after a logged effect, and the app never starts.
(module
  (import "env" "log_i32" (func $log (param i32)))
  (tag $boom (export "boom") (param i32 i64))
  (func $start
    (call $log (i32.const 1))
    (throw $boom (i32.const 7) (i64.const -7)))
  (start $start))
