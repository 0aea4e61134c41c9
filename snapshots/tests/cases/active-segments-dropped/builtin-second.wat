(module
  (import "first" "mem" (memory 1))
  (import "first" "table" (table 4 funcref))
  (func $g (result i32) (i32.const 2))
  (data $d (i32.const 8) "second")
  (elem $e (table 0) (i32.const 1) func $g)
  (func (export "init") (param i32) (memory.init $d (i32.const 40) (i32.const 0) (local.get 0)))
  (func (export "table-init") (param i32) (table.init $e (i32.const 3) (i32.const 0) (local.get 0)))
  (func (export "drop") (data.drop $d) (elem.drop $e)))
