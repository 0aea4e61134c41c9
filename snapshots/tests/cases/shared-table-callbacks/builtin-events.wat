;; An event dispatcher: handlers live in a table the builtin owns and
;; exports; whoever imports the table installs handlers in it.
(module
  (import "env" "log_i32" (func $log (param i32)))
  (type $handler (func (param i32) (result i32)))
  (table $handlers (export "handlers") 8 funcref)

  ;; Calls handler `slot` with `arg` through call_indirect.
  (func (export "dispatch") (param $slot i32) (param $arg i32) (result i32)
    (call_indirect $handlers (type $handler) (local.get $arg) (local.get $slot)))

  ;; Calls every non-null handler in order, summing their results.
  (func (export "broadcast") (param $arg i32) (result i32)
    (local $i i32) (local $sum i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (table.size $handlers)))
        (if (i32.eqz (ref.is_null (table.get $handlers (local.get $i))))
          (then
            (call $log (local.get $i))
            (local.set $sum (i32.add (local.get $sum)
              (call_indirect $handlers (type $handler) (local.get $arg) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $sum))

  (func $builtin-handler (param i32) (result i32)
    (i32.mul (local.get 0) (i32.const 100)))
  (elem (table $handlers) (i32.const 7) func $builtin-handler))
