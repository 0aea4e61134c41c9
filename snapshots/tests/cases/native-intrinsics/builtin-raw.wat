;; The unchecked intrinsics: the builtin computes addresses itself, and
;; reads and writes the store data as well as the buffer.
(module
  (import "unsafe-intrinsics" "store-data-address" (func $sda (result i64)))
  (import "unsafe-intrinsics" "u8-native-load" (func $l8 (param i64) (result i32)))
  (import "unsafe-intrinsics" "u16-native-load" (func $l16 (param i64) (result i32)))
  (import "unsafe-intrinsics" "u32-native-load" (func $l32 (param i64) (result i32)))
  (import "unsafe-intrinsics" "u64-native-load" (func $l64 (param i64) (result i64)))
  (import "unsafe-intrinsics" "u8-native-store" (func $s8 (param i64 i32)))
  (import "unsafe-intrinsics" "u16-native-store" (func $s16 (param i64 i32)))
  (import "unsafe-intrinsics" "u32-native-store" (func $s32 (param i64 i32)))
  (import "unsafe-intrinsics" "u64-native-store" (func $s64 (param i64 i64)))
  (func $ptr (result i64) (call $l64 (call $sda)))
  (func (export "len") (result i64) (call $l64 (i64.add (call $sda) (i64.const 8))))
  ;; Shrinks the buffer as builtins see it by writing the store data.
  (func (export "set-len") (param i64) (call $s64 (i64.add (call $sda) (i64.const 8)) (local.get 0)))
  ;; The low half of `len` through a 32-bit load of the store data.
  (func (export "len32") (result i32) (call $l32 (i64.add (call $sda) (i64.const 8))))
  (func (export "l8") (param i64) (result i32) (call $l8 (i64.add (call $ptr) (local.get 0))))
  (func (export "l16") (param i64) (result i32) (call $l16 (i64.add (call $ptr) (local.get 0))))
  (func (export "l32") (param i64) (result i32) (call $l32 (i64.add (call $ptr) (local.get 0))))
  (func (export "l64") (param i64) (result i64) (call $l64 (i64.add (call $ptr) (local.get 0))))
  (func (export "s8") (param i64 i32) (call $s8 (i64.add (call $ptr) (local.get 0)) (local.get 1)))
  (func (export "s16") (param i64 i32) (call $s16 (i64.add (call $ptr) (local.get 0)) (local.get 1)))
  (func (export "s32") (param i64 i32) (call $s32 (i64.add (call $ptr) (local.get 0)) (local.get 1)))
  (func (export "s64") (param i64 i64) (call $s64 (i64.add (call $ptr) (local.get 0)) (local.get 1))))
