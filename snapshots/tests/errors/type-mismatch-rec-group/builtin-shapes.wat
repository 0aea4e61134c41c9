(module
  (type $point (struct (field i32)))
  (func (export "make") (result (ref $point))
    (struct.new $point (i32.const 1))))
