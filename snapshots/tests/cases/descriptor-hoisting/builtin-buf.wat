;; A byte API over the host buffer whose builtin also writes the store
;; data: `shrink` shortens the buffer as builtins see it by storing a new
;; length through an address computed from `store-data-address`, through
;; one remembered in a global, and with a checked store whose base is the
;; store-data address itself.
(module
  (import "unsafe-intrinsics" "store-data-address" (func $sda (result i64)))
  (import "unsafe-intrinsics" "u64-native-load" (func $load64 (param i64) (result i64)))
  (import "unsafe-intrinsics" "u64-native-store" (func $store64 (param i64 i64)))
  (import "unsafe-intrinsics" "u8-checked-native-load"
    (func $checked-load8 (param i64 i64 i64) (result i32)))
  (import "unsafe-intrinsics" "u8-checked-native-store"
    (func $checked-store8 (param i64 i64 i64 i32)))
  (import "unsafe-intrinsics" "u64-checked-native-store"
    (func $checked-store64 (param i64 i64 i64 i64)))
  (global $remembered (mut i64) (i64.const 0))

  (func $ptr (result i64) (call $load64 (call $sda)))
  (func $len-address (result i64) (i64.add (call $sda) (i64.const 8)))

  (func (export "len") (result i64) (call $load64 (call $len-address)))

  (func (export "get") (param $index i64) (result i32)
    (call $checked-load8 (call $ptr) (local.get $index) (call $load64 (call $len-address))))

  (func (export "set") (param $index i64) (param $value i32)
    (call $checked-store8
      (call $ptr) (local.get $index) (call $load64 (call $len-address)) (local.get $value)))

  ;; One byte shorter, as builtins see the buffer.
  (func (export "shrink")
    (call $store64 (call $len-address)
      (i64.sub (call $load64 (call $len-address)) (i64.const 1))))

  (func (export "set-len") (param $len i64)
    (call $store64 (call $len-address) (local.get $len)))

  (func (export "remember") (global.set $remembered (call $sda)))

  ;; `shrink` through the remembered address: nothing shows it is the
  ;; store data's.
  (func (export "shrink-remembered") (local $at i64)
    (local.set $at (i64.add (global.get $remembered) (i64.const 8)))
    (call $store64 (local.get $at) (i64.sub (call $load64 (local.get $at)) (i64.const 1))))

  ;; `shrink` with a checked store into the 16-byte record.
  (func (export "shrink-checked")
    (call $checked-store64 (call $sda) (i64.const 8) (i64.const 16)
      (i64.sub (call $load64 (call $len-address)) (i64.const 1)))))
