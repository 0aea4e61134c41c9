;; Every problem is reported at once: three exports can carry the
;; intrinsic; `plain` and `count` cannot.
(module
  (type $box (struct (field funcref)))
  (type $plain (struct (field i32)))
  (import "leaky" "box" (global (ref $box)))
  (import "leaky" "plain" (global (ref $plain)))
  (import "leaky" "boxed" (func (result anyref)))
  (import "leaky" "wrapped" (func (result externref)))
  (import "leaky" "count" (func (result i32))))
