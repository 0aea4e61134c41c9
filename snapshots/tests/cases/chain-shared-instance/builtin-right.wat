(module
  (import "base" "mem" (memory 1))
  (import "base" "g" (global $g (mut i32)))
  (import "base" "bump" (func $bump (result i32)))
  (func (export "read") (result i32 i32)
    (global.get $g)
    (i32.load (i32.const 4)))
  (func (export "bump") (result i32) (call $bump)))
