;; The application of the Wasmtime embedding example: untrusted code that
;; sees only the `sensor` API, never the intrinsics behind it.
(module
  (import "sensor" "count" (func $count (result i64)))
  (import "sensor" "reading" (func $reading (param i64) (result i32)))
  (import "sensor" "publish-max" (func $publish-max (param i32)))

  ;; The sum of all readings.
  (func (export "sum") (result i64)
    (local $i i64) (local $n i64) (local $sum i64)
    (local.set $n (call $count))
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (local.set $sum
          (i64.add (local.get $sum) (i64.extend_i32_u (call $reading (local.get $i)))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (local.get $sum))

  ;; Finds the largest reading and publishes it to the host.
  (func (export "publish-max")
    (local $i i64) (local $n i64) (local $max i32) (local $r i32)
    (local.set $n (call $count))
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (local.set $r (call $reading (local.get $i)))
        (if (i32.gt_u (local.get $r) (local.get $max))
          (then (local.set $max (local.get $r))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (call $publish-max (local.get $max)))

  ;; Reading `index`, trapping when out of range.
  (func (export "reading") (param $index i64) (result i32)
    (call $reading (local.get $index))))
