;; A tail call leaves every handler of its frame before the callee runs.
;; `leave` tail-calls a thrower from inside its own try_table: the throw
;; must escape `leave`, which an inlined copy that turned the tail call into
;; a plain call would catch. `guarded` is small and plain; it is what the
;; app tail-calls from inside the app's own handler.
(module
  (import "env" "log_i32" (func $log (param i32)))
  (tag $e (export "e") (param i32))

  (func $throw (param $x i32) (result i32)
    (call $log (local.get $x))
    (throw $e (local.get $x)))

  ;; Caught here, the result would be the payload plus 1000.
  (func (export "leave") (param $x i32) (result i32)
    (block $caught (result i32)
      (try_table (result i32) (catch $e $caught)
        (return_call $throw (local.get $x))))
    (i32.add (i32.const 1000)))

  (func (export "guarded") (param $x i32) (result i32)
    (call $throw (local.get $x))))
