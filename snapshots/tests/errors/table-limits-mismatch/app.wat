;; Needs at least 10 elements; the builtin's table has 2 and no maximum.
(module (import "lib" "table" (table 10 20 funcref)))
