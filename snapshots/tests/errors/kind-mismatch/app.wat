;; Imports a global as a function.
(module (import "lib" "value" (func (result i32))))
