;; Expects a mutable global; the builtin's is immutable.
(module (import "lib" "counter" (global (mut i32))))
