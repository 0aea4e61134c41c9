;; A builtin with much more than the app uses: after inlining, dead-code
;; removal may drop what nothing reaches, but never what has an effect —
;; its start function and what that uses, its active segments (which
;; write, and could trap, at instantiation), its host imports.
(module
  (import "env" "log_i32" (func $log (param i32)))
  (import "env" "counter" (global $counter (mut i32)))
  (import "unsafe-intrinsics" "store-data-address" (func $store-data (result i64)))
  (import "unsafe-intrinsics" "u8-native-store" (func $store8 (param i64 i32)))
  (memory $mem 1)
  (memory $unused-memory 1)
  (table $unused-table 4 funcref)
  (global $state (mut i32) (i32.const 0))
  (global $unused-global (mut i64) (i64.const 7))
  (tag $unused-tag (param i32))
  (data (memory $mem) (i32.const 16) "\2a")
  (data $unused-passive "never")
  (elem $unused-elem func $unused-helper)
  (func $unused-helper (result i32) (global.get $state))
  (func $init
    (global.set $state (i32.load8_u $mem (i32.const 16)))
    (call $log (i32.const 1000)))
  (start $init)
  (func $bump (param i32)
    (global.set $counter (i32.add (global.get $counter) (local.get 0))))
  (func (export "state") (result i32)
    (call $bump (i32.const 1))
    (global.get $state))
  (func (export "poke") (param i32)
    (call $store8 (call $store-data) (local.get 0)))
  (func (export "unused-export") (result i64) (global.get $unused-global)))
