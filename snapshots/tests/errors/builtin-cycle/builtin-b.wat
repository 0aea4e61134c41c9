(module (import "a" "f" (func)) (func (export "g")))
