;; A later module with active segments (which the merged module must apply
;; after `early`'s start) mixed with passive ones (whose indices and
;; dropped state must not be confused with them).
(module
  (import "env" "log_i32" (func $log (param i32)))
  (import "early" "mem" (memory 1))
  (table $t 4 funcref)
  (type $thunk (func (result i32)))
  (func $a (result i32) (i32.const 0xa))
  (func $b (result i32) (i32.const 0xb))
  (data $p1 "passive one")
  (data (i32.const 5) "+late")
  (data $p2 "passive two")
  (elem $e1 func $b)
  (elem (table $t) (i32.const 0) func $a)
  (elem $e2 func $a $b)
  (func $start
    (call $log (i32.load8_u (i32.const 5)))
    (data.drop $p1))
  (start $start)
  (func (export "init") (param $which i32) (param $dst i32)
    (if (local.get $which)
      (then (memory.init $p2 (local.get $dst) (i32.const 0) (i32.const 11)))
      (else (memory.init $p1 (local.get $dst) (i32.const 0) (i32.const 11)))))
  (func (export "init-table") (param $which i32)
    (if (local.get $which)
      (then (table.init $t $e2 (i32.const 2) (i32.const 0) (i32.const 2)))
      (else (table.init $t $e1 (i32.const 1) (i32.const 0) (i32.const 1)))))
  (func (export "call") (param i32) (result i32) (call_indirect $t (type $thunk) (local.get 0))))
