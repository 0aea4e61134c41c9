(module
  (func (export "log_i32") (param i32)))
