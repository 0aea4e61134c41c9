;; GC types declared identically in both modules (same rec groups, same
;; subtyping), so values flow across the boundary and casts agree.
(module
  (rec
    (type $shape (sub (struct (field $id i32))))
    (type $circle (sub final $shape (struct (field $id i32) (field $r f64))))
    (type $rect (sub final $shape (struct (field $id i32) (field $w i32) (field $h i32)))))
  (type $shapes (array (mut (ref null $shape))))
  ;; A recursive type: a linked list.
  (rec (type $node (struct (field $v i32) (field $next (ref null $node)))))

  (func (export "circle") (param i32 f64) (result (ref $circle))
    (struct.new $circle (local.get 0) (local.get 1)))
  (func (export "rect") (param i32 i32 i32) (result (ref $rect))
    (struct.new $rect (local.get 0) (local.get 1) (local.get 2)))
  (func (export "id") (param (ref $shape)) (result i32)
    (struct.get $shape $id (local.get 0)))
  ;; 1 for a circle, 2 for a rect, 0 for a plain shape, -1 for null.
  (func (export "kind") (param (ref null $shape)) (result i32)
    (if (ref.is_null (local.get 0)) (then (return (i32.const -1))))
    (if (ref.test (ref $circle) (local.get 0)) (then (return (i32.const 1))))
    (if (ref.test (ref $rect) (local.get 0)) (then (return (i32.const 2))))
    (i32.const 0))
  (func (export "area") (param $s (ref $shape)) (result f64)
    (local $c (ref null $circle))
    (drop (block $not-circle (result (ref $shape))
      (local.set $c (br_on_cast_fail $not-circle (ref $shape) (ref $circle) (local.get $s)))
      (return (f64.mul (f64.const 3)
        (f64.mul (struct.get $circle $r (local.get $c)) (struct.get $circle $r (local.get $c)))))))
    (f64.convert_i32_s (i32.mul
      (struct.get $rect $w (ref.cast (ref $rect) (local.get $s)))
      (struct.get $rect $h (ref.cast (ref $rect) (local.get $s))))))
  (func (export "total-ids") (param $all (ref $shapes)) (result i32)
    (local $i i32) (local $sum i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (array.len (local.get $all))))
        (local.set $sum (i32.add (local.get $sum)
          (struct.get $shape $id (array.get $shapes (local.get $all) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $sum))
  (func (export "cons") (param i32 (ref null $node)) (result (ref $node))
    (struct.new $node (local.get 0) (local.get 1)))
  (func (export "same") (param eqref eqref) (result i32)
    (ref.eq (local.get 0) (local.get 1))))
