;; Every way the app can reach `leave` and `guarded`: a plain call, a
;; plain call inside the app's handler (which does catch), a tail call,
;; and a tail call inside the app's handler (which leaves it).
(module
  (import "exn" "e" (tag $e (param i32)))
  (import "exn" "leave" (func $leave (param i32) (result i32)))
  (import "exn" "guarded" (func $guarded (param i32) (result i32)))

  (func (export "plain") (param i32) (result i32)
    (call $leave (local.get 0)))

  ;; Caught here: the payload plus 2000.
  (func (export "plain-in-handler") (param i32) (result i32)
    (block $caught (result i32)
      (try_table (result i32) (catch $e $caught)
        (call $leave (local.get 0)))
      (return))
    (i32.add (i32.const 2000)))

  (func (export "tail") (param i32) (result i32)
    (return_call $leave (local.get 0)))

  ;; The tail call leaves this handler: never the payload plus 3000.
  (func (export "tail-in-handler") (param i32) (result i32)
    (block $caught (result i32)
      (try_table (result i32) (catch $e $caught)
        (return_call $guarded (local.get 0))))
    (i32.add (i32.const 3000))))
