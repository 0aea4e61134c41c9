;; After instantiation every active segment counts as dropped: a non-empty
;; memory.init or table.init of it traps, an empty one succeeds. This must
;; hold for the module whose segments stay native and for later modules,
;; whose active segments the merged module turns passive.
(module
  (import "env" "log_i32" (func $log (param i32)))
  (memory (export "mem") 1)
  (table (export "table") 4 funcref)
  (func $f (result i32) (i32.const 1))
  (data $d (i32.const 0) "first")
  (elem $e (table 0) (i32.const 0) func $f)
  (func $start (call $log (i32.const 1)))
  (start $start)
  (func (export "init") (param i32) (memory.init $d (i32.const 32) (i32.const 0) (local.get 0)))
  (func (export "table-init") (param i32) (table.init $e (i32.const 2) (i32.const 0) (local.get 0)))
  (func (export "drop") (data.drop $d) (elem.drop $e)))
