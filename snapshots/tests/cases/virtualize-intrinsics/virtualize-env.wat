;; A virtualizer built on the intrinsics: `log_i32` appends the low byte of
;; each value to the host buffer (bounds-checked: past the end it traps)
;; and then calls the host's `log_i32`. The wrapper is small, so
;; `--inline auto` copies it into the app's loop.
(module
  (import "unsafe-intrinsics" "store-data-address" (func $store-data-address (result i64)))
  (import "unsafe-intrinsics" "u64-native-load" (func $load64 (param i64) (result i64)))
  (import "unsafe-intrinsics" "u8-checked-native-store"
    (func $store8 (param i64 i64 i64 i32)))
  (import "env" "log_i32" (func $host_log_i32 (param i32)))
  (global $next (mut i64) (i64.const 0))
  (func (export "log_i32") (param $v i32)
    (call $store8
      (call $load64 (call $store-data-address))
      (global.get $next)
      (call $load64 (i64.add (call $store-data-address) (i64.const 8)))
      (local.get $v))
    (global.set $next (i64.add (global.get $next) (i64.const 1)))
    (call $host_log_i32 (local.get $v))))
