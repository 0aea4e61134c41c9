(module (memory (export "memory") 1 100))
