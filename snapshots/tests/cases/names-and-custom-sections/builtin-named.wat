;; Named items on both sides: the merged name section says where each
;; builtin item came from; the app's custom section survives.
(module $named_builtin
  (func $helper (param $x i32) (result i32) (local $tmp i32)
    (local.set $tmp (i32.mul (local.get $x) (i32.const 3)))
    (local.get $tmp))
  (func $triple (export "triple") (param $value i32) (result i32)
    (call $helper (local.get $value)))
  (global $state (mut i32) (i32.const 0))
  (memory $scratch 1))
