(module (import "lib" "oops" (tag (param i64))))
