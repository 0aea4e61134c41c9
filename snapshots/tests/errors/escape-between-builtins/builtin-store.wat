;; Takes no intrinsic itself, but keeps what it is given in its exported
;; table.
(module
  (table (export "tab") 1 funcref)
  (func (export "put") (param funcref) (table.set (i32.const 0) (local.get 0))))
