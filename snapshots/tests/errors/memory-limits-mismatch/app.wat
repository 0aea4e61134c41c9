;; The builtin's maximum (100 pages) exceeds the 2 the app accepts.
(module (import "lib" "memory" (memory 1 2)))
