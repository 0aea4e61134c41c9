(module (import "lib" "f" (func (result i32))))
