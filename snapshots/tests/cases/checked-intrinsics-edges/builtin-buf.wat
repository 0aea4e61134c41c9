;; Every width of checked load and store over the host buffer, with the
;; offset and (for `*-len`) the length chosen by the caller, so the script
;; can probe the bounds rule exactly: offset + width <= length, no overflow.
(module
  (import "unsafe-intrinsics" "store-data-address" (func $sda (result i64)))
  (import "unsafe-intrinsics" "u64-native-load" (func $load64 (param i64) (result i64)))
  (import "unsafe-intrinsics" "u8-checked-native-load" (func $cl8 (param i64 i64 i64) (result i32)))
  (import "unsafe-intrinsics" "u16-checked-native-load" (func $cl16 (param i64 i64 i64) (result i32)))
  (import "unsafe-intrinsics" "u32-checked-native-load" (func $cl32 (param i64 i64 i64) (result i32)))
  (import "unsafe-intrinsics" "u64-checked-native-load" (func $cl64 (param i64 i64 i64) (result i64)))
  (import "unsafe-intrinsics" "u8-checked-native-store" (func $cs8 (param i64 i64 i64 i32)))
  (import "unsafe-intrinsics" "u16-checked-native-store" (func $cs16 (param i64 i64 i64 i32)))
  (import "unsafe-intrinsics" "u32-checked-native-store" (func $cs32 (param i64 i64 i64 i32)))
  (import "unsafe-intrinsics" "u64-checked-native-store" (func $cs64 (param i64 i64 i64 i64)))
  (func $ptr (result i64) (call $load64 (call $sda)))
  (func $len (result i64) (call $load64 (i64.add (call $sda) (i64.const 8))))
  (func (export "load8") (param i64) (result i32) (call $cl8 (call $ptr) (local.get 0) (call $len)))
  (func (export "load16") (param i64) (result i32) (call $cl16 (call $ptr) (local.get 0) (call $len)))
  (func (export "load32") (param i64) (result i32) (call $cl32 (call $ptr) (local.get 0) (call $len)))
  (func (export "load64") (param i64) (result i64) (call $cl64 (call $ptr) (local.get 0) (call $len)))
  (func (export "store8") (param i64 i32) (call $cs8 (call $ptr) (local.get 0) (call $len) (local.get 1)))
  (func (export "store16") (param i64 i32) (call $cs16 (call $ptr) (local.get 0) (call $len) (local.get 1)))
  (func (export "store32") (param i64 i32) (call $cs32 (call $ptr) (local.get 0) (call $len) (local.get 1)))
  (func (export "store64") (param i64 i64) (call $cs64 (call $ptr) (local.get 0) (call $len) (local.get 1)))
  ;; A caller-chosen length no larger than the real one: the check must use
  ;; the length given, not the buffer's.
  (func (export "load32-len") (param $offset i64) (param $length i64) (result i32)
    (call $cl32 (call $ptr) (local.get $offset) (local.get $length))))
