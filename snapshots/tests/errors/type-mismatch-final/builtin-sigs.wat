(module
  (type $open (sub (func (param i32))))
  (func (export "f") (type $open)))
