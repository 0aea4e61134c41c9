;; Mutable globals are invariant: not even a matching width is enough.
(module (import "lib" "counter" (global (mut i32))))
