;; Custom sections of the app are kept in place; its `.debug_info` is not
;; DWARF, so its debug information is dropped with a warning naming the
;; section, and the link goes on.
(module
  (@custom "app-note" (before first) "kept, before everything")
  (@custom ".debug_info" "\00\01\02\03")
  (@custom "app-trailer" (after code) "kept, after the code")
  (import "lib" "f" (func $f (result i32)))
  (func (export "f") (result i32) (call $f)))
