;; Reads the inner builtin's table and returns what it finds.
(module
  (import "inner" "tab" (table $tab 1 funcref))
  (func (export "pick") (param i32) (result funcref) (table.get $tab (local.get 0))))
