;; A virtualizer that is not valid text is reported like a builtin.
(module
  (import "env" "log_i32" (func (param i32))))
