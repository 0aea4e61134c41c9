(module
  (import "base" "mem" (memory 1))
  (import "base" "g" (global $g (mut i32)))
  (import "base" "bump" (func $bump (result i32)))
  (func (export "write") (param $v i32)
    (global.set $g (local.get $v))
    (i32.store (i32.const 4) (i32.mul (local.get $v) (i32.const 3))))
  (func (export "bump") (result i32) (call $bump)))
