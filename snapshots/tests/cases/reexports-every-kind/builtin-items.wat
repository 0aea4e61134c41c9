;; One item of every kind, each re-exported by the app unchanged.
(module
  (type $thunk (func (result i32)))
  (func $answer (export "answer") (result i32) (i32.const 42))
  (func $seven (result i32) (i32.const 7))
  (table (export "table") 3 funcref)
  (elem (i32.const 1) func $answer $seven)
  (memory (export "memory") 1)
  (data (i32.const 0) "builtin memory")
  (global (export "global") (mut i64) (i64.const -9))
  (tag (export "tag") (param i32))
  (func (export "throw") (param i32) (throw 0 (local.get 0)))
  (func (export "set-global") (param i64) (global.set 0 (local.get 0))))
