(module (import "b" "g" (func)) (func (export "f")))
