;; Loops over the host buffer whose bounds checks and length loads a
;; runtime might be tempted to share: only where nothing changes the store
;; data, and only where the loop's own test implies the check, may they go.
(module
  (import "buf" "len" (func $len (result i64)))
  (import "buf" "get" (func $get (param i64) (result i32)))
  (import "buf" "set" (func $set (param i64 i32)))
  (import "buf" "shrink" (func $shrink))
  (import "buf" "set-len" (func $set-len (param i64)))
  (import "buf" "remember" (func $remember))
  (import "buf" "shrink-remembered" (func $shrink-remembered))
  (export "len" (func $len))
  (export "set-len" (func $set-len))

  ;; Every byte, the exit test negated with `i32.eqz`.
  (func (export "sum") (result i64)
    (local $i i64) (local $n i64) (local $sum i64)
    (local.set $n (call $len))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (i64.lt_u (local.get $i) (local.get $n))))
        (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_u (call $get (local.get $i)))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (local.get $sum))

  ;; One byte too many: `i <= n` lets `i` reach the length, and the
  ;; checked load traps there.
  (func (export "sum-inclusive") (result i64)
    (local $i i64) (local $n i64) (local $sum i64)
    (local.set $n (call $len))
    (block $done
      (loop $next
        (br_if $done (i64.gt_u (local.get $i) (local.get $n)))
        (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_u (call $get (local.get $i)))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (local.get $sum))

  ;; A bound from the caller, which may exceed the length.
  (func (export "sum-first") (param $n i64) (result i64)
    (local $i i64) (local $sum i64)
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_u (call $get (local.get $i)))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (local.get $sum))

  ;; Marks bytes from the front while the buffer shrinks from the back,
  ;; until they meet: the length must be read anew after every shrink.
  (func (export "mark-while-shrinking") (result i64)
    (local $i i64)
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (call $len)))
        (call $set (local.get $i) (i32.const 0xaa))
        (call $shrink)
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (local.get $i))

  ;; The same, shrinking through the remembered address.
  (func (export "mark-while-shrinking-remembered") (result i64)
    (local $i i64)
    (call $remember)
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (call $len)))
        (call $set (local.get $i) (i32.const 0xbb))
        (call $shrink-remembered)
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (local.get $i))

  ;; The bound is the length before the loop; the loop shrinks the
  ;; buffer, so halfway through `set` is out of bounds and traps, although
  ;; the loop's own test still passes.
  (func (export "fill-past-the-shrunk-end")
    (local $i i64) (local $n i64)
    (local.set $n (call $len))
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (call $set (local.get $i) (i32.const 0xcc))
        (call $shrink)
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))))
