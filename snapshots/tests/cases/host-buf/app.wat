;; An application using the host buffer through the `host-buf` API.
(module
  (import "host-buf" "get" (func $get (param i64) (result i32)))
  (import "host-buf" "set" (func $set (param i64 i32)))
  (import "host-buf" "len" (func $len (result i64)))

  ;; Adds one to every byte of the buffer, wrapping at 256.
  (func (export "increment-all")
    (local $i i64) (local $n i64)
    (local.set $n (call $len))
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (call $set (local.get $i) (i32.add (call $get (local.get $i)) (i32.const 1)))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next))))

  ;; Sum of all bytes of the buffer.
  (func (export "checksum") (result i64)
    (local $i i64) (local $n i64) (local $sum i64)
    (local.set $n (call $len))
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (local.set $sum
          (i64.add (local.get $sum) (i64.extend_i32_u (call $get (local.get $i)))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (local.get $sum))

  ;; The byte at `index`, trapping when out of range.
  (func (export "peek") (param $index i64) (result i32)
    (call $get (local.get $index))))
