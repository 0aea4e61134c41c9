(module $named_app
  (@custom "producer-note" "built by hand for the snapshot suite")
  (import "named" "triple" (func $triple (param i32) (result i32)))
  (func $run (export "run") (param $n i32) (result i32)
    (call $triple (local.get $n))))
