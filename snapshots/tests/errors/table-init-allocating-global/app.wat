;; A table initialized from an imported global whose value the builtin
;; allocates: linked in, the global's initializer would run twice and the
;; table would hold another object than the global (`ref.eq` tells them
;; apart), so the link is refused.
(module
  (import "lib" "cell" (global $cell anyref))
  (table $cells (export "cells") 1 anyref (global.get $cell)))
