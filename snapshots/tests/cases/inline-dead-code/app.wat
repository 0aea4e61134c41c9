(module
  (import "lib" "state" (func $state (result i32)))
  (import "env" "counter" (global $counter (mut i32)))
  (global $mine (export "mine") (mut i32) (i32.const 3))
  (func $unused-app-func (result i32) (i32.const 4))
  (func (export "state") (result i32)
    (global.set $mine (i32.add (global.get $mine) (call $state)))
    (global.get $mine)))
