;; The start function copies a passive segment naming an intrinsic into the
;; exported table.
(module
  (import "unsafe-intrinsics" "u64-native-load" (func $load (param i64) (result i64)))
  (table (export "tab") 1 funcref)
  (elem $segment func $load)
  (func $start (table.init $segment (i32.const 0) (i32.const 0) (i32.const 1)))
  (start $start))
