;; The app's `$point` is one of two types of a rec group; the builtin's
;; is alone in its own. Both spell `(struct (field i32))`, so only the rec
;; group tells them apart.
(module
  (rec
    (type $point (struct (field i32)))
    (type $other (struct (field i64))))
  (import "shapes" "make" (func (result (ref $point)))))
