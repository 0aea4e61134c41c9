;; A global of a concrete reference type: both types are spelled out by
;; their structure, never by an internal id.
(module
  (type $cell (struct (field (mut i32))))
  (import "cells" "cell" (global (ref null $cell))))
