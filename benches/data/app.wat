;; The benchmark application: the two workloads of the compile-time
;; builtins benchmark over the `host-buf` API of `examples/host-buf/`.
;;
;; `increment-all` is the example app's in-order workload unchanged;
;; `increment-random` adds the random-access workload, whose indices come
;; from a 64-bit linear congruential generator so that neither the engine
;; nor the hardware prefetcher can predict them, while the host can still
;; recompute exactly which bytes were touched.
(module
  (import "host-buf" "get" (func $get (param i64) (result i32)))
  (import "host-buf" "set" (func $set (param i64 i32)))
  (import "host-buf" "len" (func $len (result i64)))

  ;; Adds one to every byte of the buffer, in order, wrapping at 256.
  (func (export "increment-all")
    (local $i i64) (local $n i64)
    (local.set $n (call $len))
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (call $set (local.get $i) (i32.add (call $get (local.get $i)) (i32.const 1)))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next))))

  ;; Adds one to `count` bytes chosen by the generator started at `seed`:
  ;; `seed = seed * 6364136223846793005 + 1442695040888963407`, index =
  ;; `(seed >> 33) % len`. One `get` and one `set` per step, like above.
  (func (export "increment-random") (param $count i64) (param $seed i64)
    (local $i i64) (local $n i64) (local $at i64)
    (local.set $n (call $len))
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (local.get $count)))
        (local.set $seed
          (i64.add
            (i64.mul (local.get $seed) (i64.const 6364136223846793005))
            (i64.const 1442695040888963407)))
        (local.set $at
          (i64.rem_u (i64.shr_u (local.get $seed) (i64.const 33)) (local.get $n)))
        (call $set (local.get $at) (i32.add (call $get (local.get $at)) (i32.const 1)))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next))))

  ;; The byte at `index`, trapping when out of range: proves every variant
  ;; keeps the bounds check.
  (func (export "peek") (param $index i64) (result i32)
    (call $get (local.get $index))))
