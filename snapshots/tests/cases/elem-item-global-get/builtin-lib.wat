;; A builtin exporting a function reference as an immutable global.
(module
  (func $nine (result i32) (i32.const 9))
  (global (export "nine-ref") funcref (ref.func $nine)))
