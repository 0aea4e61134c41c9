(module
  (import "second" "g" (func $g))
  (func (export "g") (call $g)))
