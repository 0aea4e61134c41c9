(module (func (export "store-data-address") (result i64) (i64.const 0)))
