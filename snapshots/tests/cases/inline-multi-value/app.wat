(module
  (import "mv" "divmod" (func $divmod (param i32 i32) (result i32 i32)))
  (import "mv" "rotate" (func $rotate (param i64 f64 i32) (result i32 i64 f64)))
  (import "mv" "minmax" (func $minmax (param i32 i32) (result i32 i32)))
  (import "mv" "constants" (func $constants (result f32 i64 v128)))
  (import "mv" "split-sum" (func $split-sum (param i64) (result i32)))

  (func (export "divmod") (param i32 i32) (result i32 i32)
    (call $divmod (local.get 0) (local.get 1)))
  ;; A tail call site with several results.
  (func (export "divmod-tail") (param i32 i32) (result i32 i32)
    (return_call $divmod (local.get 0) (local.get 1)))
  (func (export "rotate") (param i64 f64 i32) (result i32 i64 f64)
    (call $rotate (local.get 0) (local.get 1) (local.get 2)))
  ;; The results of one call are the arguments of the next.
  (func (export "chain") (param i32 i32) (result i32 i32)
    (call $minmax (call $divmod (local.get 0) (local.get 1))))
  (func (export "constants") (result f32 i64 v128) (call $constants))
  (func (export "split-sum") (param i64) (result i32) (call $split-sum (local.get 0))))
