;; Custom sections of a builtin, including DWARF: only the app's custom
;; sections are kept (and wit-bindgen metadata); DWARF is rewritten for the
;; merged code, and this builtin's, a line table without units, describes
;; nothing.
(module
  (@custom "builtin-note" "dropped")
  (@custom ".debug_line" "\00\01\02")
  (func (export "f") (result i32) (i32.const 1)))
