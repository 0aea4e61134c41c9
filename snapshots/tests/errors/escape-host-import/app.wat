(module
  (import "leaky" "init" (func $init))
  (func (export "start") (call $init)))
