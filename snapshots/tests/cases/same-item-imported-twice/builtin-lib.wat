;; Items the app imports twice, under one name and under two names.
(module
  (memory $m (export "mem") (export "mem-alias") 1)
  (global $g (export "g") (export "g-alias") (mut i32) (i32.const 1))
  (func $f (export "f") (export "f-alias") (result i32)
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (global.get $g))
  (func $start (i32.store8 (i32.const 0) (i32.const 0x61)))
  (start $start)
  ;; The start function is also exported: calling it again is an ordinary
  ;; call, not a second instantiation.
  (export "start" (func $start)))
