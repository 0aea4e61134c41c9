;; The same function signature, once `final` (the default) and once open
;; to subtyping: different types, spelled differently.
(module
  (import "sigs" "f" (func (param i32))))
