(module (import "a" "f" (func)) (func (export "f")))
