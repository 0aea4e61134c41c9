(module
  (type $thunk (func))
  (import "env" "log_i32" (func $log (param i32)))
  (import "exn" "err" (tag $err (param i32)))
  (import "exn" "pair" (tag $pair (param i64 f64)))
  (import "exn" "fail" (func $fail (param i32)))
  (import "exn" "fail-pair" (func $fail-pair (param i64 f64)))
  (import "exn" "guard" (func $guard (param (ref null $thunk)) (result i32)))
  (import "exn" "relay" (func $relay (param (ref null $thunk))))
  (tag $own (export "own") (param i32))
  (global $arg (mut i32) (i32.const 0))

  ;; The builtin throws, the app catches.
  (func (export "catch") (param i32) (result i32)
    (block $caught (result i32)
      (try_table (catch $err $caught)
        (call $fail (local.get 0)))
      (i32.const -1)))
  (func (export "catch-pair") (param i64 f64) (result i64 f64)
    (block $caught (result i64 f64)
      (try_table (catch $pair $caught)
        (call $fail-pair (local.get 0) (local.get 1)))
      (i64.const 0) (f64.const 0)))
  ;; Not caught here: escapes to the host.
  (func (export "uncaught") (param i32) (call $fail (local.get 0)))

  ;; The app throws the builtin's tag, the builtin catches.
  (func $throw-err (throw $err (global.get $arg)))
  (func $throw-own (throw $own (global.get $arg)))
  (elem declare func $throw-err $throw-own)
  (func (export "guarded") (param i32) (result i32)
    (global.set $arg (local.get 0))
    (call $guard (ref.func $throw-err)))
  ;; A tag the builtin does not know passes through its handler.
  (func (export "guarded-own") (param i32) (result i32)
    (global.set $arg (local.get 0))
    (call $guard (ref.func $throw-own)))

  ;; exnref: the builtin catches the app's exception by reference and
  ;; rethrows it; the app catches it again with its payload intact.
  (func (export "relayed") (param i32) (result i32)
    (global.set $arg (local.get 0))
    (block $caught (result i32)
      (try_table (catch $own $caught)
        (call $relay (ref.func $throw-own)))
      (i32.const -1)))
  (func (export "relayed-uncaught") (param i32)
    (global.set $arg (local.get 0))
    (call $relay (ref.func $throw-err)))
  (func (export "null-thunk") (result i32) (call $guard (ref.null $thunk)))
  (export "err" (tag $err)))
