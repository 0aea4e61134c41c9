(module
  (func (export "f") (param i32))
  (global (export "g") i32 (i32.const 0))
  (memory (export "m") 1)
  (table (export "t") 1 funcref))
