;; The `sensor` builtin of the Wasmtime embedding example: trusted code of
;; the host, written in Wasm on top of Wasmtime's unsafe intrinsics.
;;
;; It reads the host's store data, which `main.rs` declares as
;;
;;   #[repr(C)] struct Sensor { ptr: u64, bytes: u64, max: u32, .. }
;;
;; offset 0: address of the first of the host's 16-bit readings,
;; offset 8: their length in bytes, offset 16: a field the builtin writes.
;; It assumes nothing else: every reading is fetched through a checked
;; intrinsic against the recorded length, so no index the app passes can
;; reach outside the readings.
(module
  (import "unsafe-intrinsics" "store-data-address" (func $store-data-address (result i64)))
  (import "unsafe-intrinsics" "u64-native-load" (func $u64-native-load (param i64) (result i64)))
  (import "unsafe-intrinsics" "u32-native-store" (func $u32-native-store (param i64 i32)))
  (import "unsafe-intrinsics" "u16-checked-native-load"
    (func $u16-checked-native-load (param i64 i64 i64) (result i32)))

  (func $readings-ptr (result i64)
    (call $u64-native-load (call $store-data-address)))

  (func $readings-bytes (result i64)
    (call $u64-native-load (i64.add (call $store-data-address) (i64.const 8))))

  ;; The number of readings.
  (func (export "count") (result i64)
    (i64.shr_u (call $readings-bytes) (i64.const 1)))

  ;; Reading `index`, zero-extended; traps when out of range. An index
  ;; whose byte offset does not fit in 64 bits becomes the offset -1, which
  ;; the checked load rejects like any other out-of-range offset.
  (func (export "reading") (param $index i64) (result i32)
    (call $u16-checked-native-load
      (call $readings-ptr)
      (select
        (i64.const -1)
        (i64.shl (local.get $index) (i64.const 1))
        (i64.gt_u (local.get $index) (i64.const 0x3fff_ffff_ffff_ffff)))
      (call $readings-bytes)))

  ;; Tells the host the largest reading: a plain store into its store data.
  (func (export "publish-max") (param $max i32)
    (call $u32-native-store
      (i64.add (call $store-data-address) (i64.const 16)) (local.get $max))))
