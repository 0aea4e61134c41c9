(module (import "lib" "f" (func)))
