(module
  (import "env" "seed" (global $seed i32))
  (global (export "base") i32 (i32.add (global.get $seed) (i32.const 2)))
  (global (export "wide") i64 (i64.const -3))
  (table (export "table") 16 funcref)
  (memory (export "memory") 1))
