;; The virtualizer exports `log_i32` with another type than the app
;; imports: an error, not a silent fall-through to the host's `log_i32`.
(module
  (import "env" "log_i32" (func (param i32)))
  (import "env" "tick" (func)))
