;; Its start function is a host import.
(module
  (import "env" "tick" (func $tick))
  (start $tick)
  (func (export "nothing")))
