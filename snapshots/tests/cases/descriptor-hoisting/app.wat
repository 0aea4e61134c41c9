;; Loops over the host buffer for a linker that hoists loads of the
;; store-data descriptor to function entry (`--store-data-descriptor`):
;; where nothing in the function can change the store data the loads may
;; move; where the loop itself stores a new length, by any of three routes,
;; the length must be read anew after every store.
(module
  (import "buf" "len" (func $len (result i64)))
  (import "buf" "get" (func $get (param i64) (result i32)))
  (import "buf" "set" (func $set (param i64 i32)))
  (import "buf" "shrink" (func $shrink))
  (import "buf" "shrink-checked" (func $shrink-checked))
  (import "buf" "set-len" (func $set-len (param i64)))
  (import "buf" "remember" (func $remember))
  (import "buf" "shrink-remembered" (func $shrink-remembered))
  (export "len" (func $len))
  (export "set-len" (func $set-len))

  ;; Reads and writes every byte: the loads of pointer and length may move.
  (func (export "increment-all")
    (local $i i64) (local $n i64)
    (local.set $n (call $len))
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (call $set (local.get $i) (i32.add (call $get (local.get $i)) (i32.const 1)))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next))))

  (func (export "sum") (result i64)
    (local $i i64) (local $sum i64)
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (call $len)))
        (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_u (call $get (local.get $i)))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (local.get $sum))

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

  (func (export "mark-while-shrinking-checked") (result i64)
    (local $i i64)
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (call $len)))
        (call $set (local.get $i) (i32.const 0xdd))
        (call $shrink-checked)
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (local.get $i)))
