(module (global (export "value") i32 (i32.const 1)))
