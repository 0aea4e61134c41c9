;; Custom sections of a builtin, including DWARF: only the app's custom
;; sections are kept, and DWARF is dropped with a warning since the code
;; offsets it describes change.
(module
  (@custom "builtin-note" "dropped")
  (@custom ".debug_line" "\00\01\02")
  (func (export "f") (result i32) (i32.const 1)))
