;; Exports whose types are subtypes of what the app imports.
(module
  (type $super (sub (func (param i32) (result anyref))))
  (type $sub (sub $super (func (param i32) (result i31ref))))
  (type $point (sub (struct (field i32))))
  (type $point3 (sub $point (struct (field i32) (field i32))))
  (func (export "wrap") (type $sub) (ref.i31 (local.get 0)))
  ;; An immutable global may be imported at a supertype.
  (global (export "origin") (ref $point3) (struct.new $point3 (i32.const 1) (i32.const 2)))
  (global (export "small") (ref i31) (ref.i31 (i32.const 99)))
  ;; A table or memory may have larger minimum and smaller maximum limits.
  (table (export "table") 5 8 funcref)
  (memory (export "memory") 2 3)
  (func (export "table-size") (result i32) (table.size 0)))
