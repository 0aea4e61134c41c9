;; Exports more than the app imports, including names the app also
;; exports: only the app's exports may be visible after linking.
(module
  (func (export "secret") (result i32) (i32.const 13))
  (func (export "run") (result i32) (i32.const -1))
  (memory (export "memory") 1)
  (data (i32.const 0) "builtin")
  (global (export "hidden") i32 (i32.const 5))
  (func (export "answer") (result i32) (i32.const 42)))
