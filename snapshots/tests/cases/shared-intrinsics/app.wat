(module
  (import "reader" "read" (func $read (param i64) (result i32)))
  (import "writer" "write" (func $write (param i64 i32)))
  (func (export "read") (param i64) (result i32) (call $read (local.get 0)))
  (func (export "write-read") (param i64 i32) (result i32)
    (call $write (local.get 0) (local.get 1))
    (call $read (local.get 0))))
