;; A typo: `gett`. The message lists what the builtin does export.
(module (import "host-buf" "gett" (func (param i64) (result i32))))
