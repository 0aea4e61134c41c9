(module (global (export "counter") (mut i64) (i64.const 0)))
