(module
  (@custom "app-note" (before first) "kept, before everything")
  (@custom ".debug_info" "\00\01\02\03")
  (@custom "app-trailer" (after code) "kept, after the code")
  (import "lib" "f" (func $f (result i32)))
  (func (export "f") (result i32) (call $f)))
