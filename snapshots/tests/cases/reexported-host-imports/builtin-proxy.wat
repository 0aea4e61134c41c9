;; Re-exports host items it imports: the app reaching them through the
;; builtin and the app importing them directly must reach the same items.
(module
  (import "env" "log_i32" (func $log (param i32)))
  (import "env" "memory" (memory $mem 1 2))
  (import "env" "counter" (global $counter (mut i32)))
  (import "env" "table" (table $table 10 funcref))
  (import "env" "seed" (global $seed i32))
  (export "log" (func $log))
  (export "memory" (memory $mem))
  (export "counter" (global $counter))
  (export "table" (table $table))
  (export "seed" (global $seed))
  (func (export "bump") (global.set $counter (i32.add (global.get $counter) (i32.const 1)))))
