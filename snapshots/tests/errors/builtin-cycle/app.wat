(module (import "a" "f" (func)))
