;; Intrinsics used other than by a direct call: through ref.func and
;; call_ref, and from a private table through call_indirect. The merged
;; module keeps them as imports, so the host implementation answers.
(module
  (type $load (func (param i64 i64 i64) (result i32)))
  (type $addr (func (result i64)))
  (import "unsafe-intrinsics" "u8-checked-native-load" (func $cl8 (type $load)))
  (import "unsafe-intrinsics" "store-data-address" (func $sda (type $addr)))
  (import "unsafe-intrinsics" "u64-native-load" (func $l64 (param i64) (result i64)))
  (table $private 2 funcref)
  (elem (table $private) (i32.const 0) func $sda)
  (elem declare func $cl8)
  (func $ptr (result i64)
    (call $l64 (call_indirect $private (type $addr) (i32.const 0))))
  (func $len (result i64)
    (call $l64 (i64.add (call_ref $addr (ref.func $sda)) (i64.const 8))))
  (func (export "get") (param i64) (result i32)
    (call_ref $load (call $ptr) (local.get 0) (call $len) (ref.func $cl8))))
