(module
  (type $handler (func (param i32) (result i32)))
  (import "events" "handlers" (table $handlers 8 funcref))
  (import "events" "dispatch" (func $dispatch (param i32 i32) (result i32)))
  (import "events" "broadcast" (func $broadcast (param i32) (result i32)))
  (import "env" "log_i32" (func $log (param i32)))
  (import "env" "call_back" (func $call_back (param i32) (result i32)))

  (func $double (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
  (func $negate (param i32) (result i32) (i32.sub (i32.const 0) (local.get 0)))
  (func $logged (param i32) (result i32)
    (call $log (i32.add (local.get 0) (i32.const 1000)))
    (local.get 0))
  ;; Goes back to the host, which calls `callback` below: a callback from
  ;; the builtin into the app into the host into the app.
  (func $via-host (param i32) (result i32)
    (call $call_back (local.get 0)))
  (func (export "callback") (param i32) (result i32)
    (i32.add (call $dispatch (i32.const 0) (local.get 0)) (i32.const 1)))

  (elem (table $handlers) (i32.const 0) func $double $negate)
  (elem declare func $logged $via-host)

  (func (export "install") (param $slot i32)
    (table.set $handlers (local.get $slot) (ref.func $logged)))
  (func (export "install-via-host") (param $slot i32)
    (table.set $handlers (local.get $slot) (ref.func $via-host)))
  (func (export "dispatch") (param i32 i32) (result i32)
    (call $dispatch (local.get 0) (local.get 1)))
  (func (export "broadcast") (param i32) (result i32)
    (call $broadcast (local.get 0)))
  (export "handlers" (table $handlers)))
