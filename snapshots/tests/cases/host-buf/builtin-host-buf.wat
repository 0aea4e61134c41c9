;; The `host-buf` builtin: a bounds-checked byte API over a buffer the host
;; owns, written in Wasm on top of the unsafe intrinsics.
;;
;; The host's store data is `#[repr(C)] struct { ptr: u64, len: u64 }`
;; describing the buffer; `store-data-address` returns its address.
(module
  (import "unsafe-intrinsics" "store-data-address" (func $store-data-address (result i64)))
  (import "unsafe-intrinsics" "u64-native-load" (func $u64-native-load (param i64) (result i64)))
  (import "unsafe-intrinsics" "u8-checked-native-load"
    (func $u8-checked-native-load (param i64 i64 i64) (result i32)))
  (import "unsafe-intrinsics" "u8-checked-native-store"
    (func $u8-checked-native-store (param i64 i64 i64 i32)))

  (func $buffer-ptr (result i64)
    (call $u64-native-load (call $store-data-address)))

  (func $buffer-len (result i64)
    (call $u64-native-load (i64.add (call $store-data-address) (i64.const 8))))

  ;; The byte at `index`; traps when `index` is out of range.
  (func (export "get") (param $index i64) (result i32)
    (call $u8-checked-native-load (call $buffer-ptr) (local.get $index) (call $buffer-len)))

  ;; Stores the low 8 bits of `value` at `index`; traps when out of range.
  (func (export "set") (param $index i64) (param $value i32)
    (call $u8-checked-native-store
      (call $buffer-ptr) (local.get $index) (call $buffer-len) (local.get $value)))

  ;; The buffer's length in bytes.
  (func (export "len") (result i64)
    (call $buffer-len)))
