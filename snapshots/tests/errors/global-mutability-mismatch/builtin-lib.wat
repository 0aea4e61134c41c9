(module (global (export "counter") i32 (i32.const 0)))
