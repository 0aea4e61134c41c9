(module (import "outer" "address" (func (result i64))))
