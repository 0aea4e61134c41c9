;; Small callees that trap, each after a host-visible effect: once inlined,
;; the trap must keep its kind and come after the same effects, and the
;; caller's code after the call must not run.
(module
  (import "env" "log_i32" (func $log (param i32)))
  (import "unsafe-intrinsics" "store-data-address" (func $store-data (result i64)))
  (import "unsafe-intrinsics" "u64-native-load" (func $load64 (param i64) (result i64)))
  (import "unsafe-intrinsics" "u8-checked-native-load"
    (func $checked-load (param i64 i64 i64) (result i32)))
  (memory 1)
  (table 2 funcref)
  (type $thunk (func (result i32)))
  (func $one (type $thunk) (i32.const 1))
  (elem (i32.const 0) func $one)

  (func (export "div") (param i32 i32) (result i32)
    (call $log (local.get 0))
    (i32.div_s (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32)
    (call $log (local.get 0))
    (i32.load (local.get 0)))
  (func (export "byte") (param $i i64) (result i32)
    (call $checked-load
      (call $load64 (call $store-data))
      (local.get $i)
      (call $load64 (i64.add (call $store-data) (i64.const 8)))))
  (func (export "indirect") (param i32) (result i32)
    (call $log (local.get 0))
    (call_indirect (type $thunk) (local.get 0)))
  (func (export "trunc") (param f32) (result i32)
    (i32.trunc_f32_s (local.get 0)))
  (func (export "fail") (param i32)
    (call $log (local.get 0))
    (unreachable)))
