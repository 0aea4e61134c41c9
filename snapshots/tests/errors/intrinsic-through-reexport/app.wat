(module (import "leaky" "load" (func (param i64) (result i64))))
