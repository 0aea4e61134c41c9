(module (import "lib" "memory" (memory 1)))
