;; Well-formed text, but it does not validate: the body leaves an i64 where
;; the result is an i32.
(module (func (export "f") (result i32) (i64.const 1)))
