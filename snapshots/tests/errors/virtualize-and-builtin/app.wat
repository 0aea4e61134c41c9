;; `env` given both as a builtin and as a virtualizer.
(module
  (import "env" "log_i32" (func (param i32))))
