;; Re-exports the inner builtin's table.
(module
  (import "inner" "tab" (table $tab 1 funcref))
  (export "tab" (table $tab)))
