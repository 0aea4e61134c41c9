(module (func (export "get")))
