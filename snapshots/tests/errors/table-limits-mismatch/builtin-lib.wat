(module (table (export "table") 2 funcref))
