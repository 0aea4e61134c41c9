;; The app logs through `env.log_i32`; a virtualizer records every value in
;; the host buffer with the intrinsics before passing it on.
(module
  (import "env" "log_i32" (func $log_i32 (param i32)))
  (import "env" "tick" (func $tick))
  (func (export "run") (param $n i32)
    (local $i i32)
    (loop $next
      (call $log_i32 (i32.mul (local.get $i) (local.get $n)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 5))))
    (call $tick)))
