;; A virtualizer of WASI preview 1 (`wasi_snapshot_preview1`): it makes the
;; app reproducible and marks what it prints, and passes everything else to
;; the host.
;;
;; - `random_get` fills the buffer from a fixed-seed xorshift generator;
;; - `clock_time_get` reads a virtual clock that starts at a fixed instant
;;   (2023-11-14T22:13:20Z for the real-time clock, 0 for the others) and
;;   advances one millisecond per reading;
;; - `fd_write` to stdout or stderr puts `[virt] ` before every line and
;;   writes through the host's real `fd_write`; other descriptors pass
;;   through unchanged.
;;
;; Every other WASI function the app imports is the host's. The app's
;; buffers are in the memory both import as `env.memory`; the virtualizer
;; re-exports it as `memory`, because a WASI host reads the buffers of a
;; call from its caller's `memory` export. Its own scratch data lives below
;; address 1024, where wasm-ld places nothing of the app (`--global-base`).
(module
  (import "env" "memory" (memory $memory 1))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $host_fd_write (param i32 i32 i32 i32) (result i32)))

  (export "memory" (memory $memory))

  ;; Scratch layout: one iovec at 0, the host's byte count at 8, the prefix
  ;; at 16.
  (global $iovec i32 (i32.const 0))
  (global $written i32 (i32.const 8))
  (global $prefix i32 (i32.const 16))
  (global $prefix_len i32 (i32.const 7))
  (data (i32.const 16) "[virt] ")

  (global $random (mut i32) (i32.const 0x2545f491))
  (global $ticks (mut i64) (i64.const 0))
  ;; 1,700,000,000 s in nanoseconds.
  (global $epoch i64 (i64.const 1700000000000000000))
  ;; Whether the next byte written to stdout (1) or stderr (2) starts a line.
  (global $stdout_line (mut i32) (i32.const 1))
  (global $stderr_line (mut i32) (i32.const 1))

  (func (export "random_get") (param $buf i32) (param $len i32) (result i32)
    (local $state i32)
    (local.set $state (global.get $random))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $len)))
        (local.set $state (i32.xor (local.get $state) (i32.shl (local.get $state) (i32.const 13))))
        (local.set $state (i32.xor (local.get $state) (i32.shr_u (local.get $state) (i32.const 17))))
        (local.set $state (i32.xor (local.get $state) (i32.shl (local.get $state) (i32.const 5))))
        (i32.store8 (local.get $buf) (local.get $state))
        (local.set $buf (i32.add (local.get $buf) (i32.const 1)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $next)))
    (global.set $random (local.get $state))
    (i32.const 0))

  (func (export "clock_time_get")
    (param $id i32) (param $precision i64) (param $out i32) (result i32)
    (global.set $ticks (i64.add (global.get $ticks) (i64.const 1000000)))
    (i64.store (local.get $out)
      (select
        (i64.add (global.get $epoch) (global.get $ticks))
        (global.get $ticks)
        (i32.eqz (local.get $id))))
    (i32.const 0))

  ;; Writes `len` bytes at `ptr` to `fd` through the host; returns its errno.
  (func $write (param $fd i32) (param $ptr i32) (param $len i32) (result i32)
    (i32.store (global.get $iovec) (local.get $ptr))
    (i32.store offset=4 (global.get $iovec) (local.get $len))
    (call $host_fd_write (local.get $fd) (global.get $iovec) (i32.const 1) (global.get $written)))

  ;; Writes one iovec's bytes, a prefix before each line; returns the errno.
  (func $write_lines (param $fd i32) (param $ptr i32) (param $len i32) (result i32)
    (local $end i32) (local $chunk_end i32) (local $errno i32)
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
        (if (call $at_line_start (local.get $fd))
          (then
            (local.set $errno
              (call $write (local.get $fd) (global.get $prefix) (global.get $prefix_len)))
            (if (local.get $errno) (then (return (local.get $errno))))
            (call $set_line_start (local.get $fd) (i32.const 0))))
        ;; The chunk runs to the next newline, inclusive, or to the end.
        (local.set $chunk_end (local.get $ptr))
        (block $found
          (loop $scan
            (br_if $found (i32.ge_u (local.get $chunk_end) (local.get $end)))
            (local.set $chunk_end (i32.add (local.get $chunk_end) (i32.const 1)))
            (br_if $scan
              (i32.ne (i32.load8_u (i32.sub (local.get $chunk_end) (i32.const 1)))
                      (i32.const 10)))
            (call $set_line_start (local.get $fd) (i32.const 1))))
        (local.set $errno
          (call $write (local.get $fd) (local.get $ptr)
            (i32.sub (local.get $chunk_end) (local.get $ptr))))
        (if (local.get $errno) (then (return (local.get $errno))))
        (local.set $ptr (local.get $chunk_end))
        (br $next)))
    (i32.const 0))

  (func $at_line_start (param $fd i32) (result i32)
    (select (global.get $stdout_line) (global.get $stderr_line)
      (i32.eq (local.get $fd) (i32.const 1))))

  (func $set_line_start (param $fd i32) (param $value i32)
    (if (i32.eq (local.get $fd) (i32.const 1))
      (then (global.set $stdout_line (local.get $value)))
      (else (global.set $stderr_line (local.get $value)))))

  (func (export "fd_write")
    (param $fd i32) (param $iovs i32) (param $iovs_len i32) (param $nwritten i32)
    (result i32)
    (local $total i32) (local $len i32) (local $errno i32)
    (if (i32.or (i32.lt_s (local.get $fd) (i32.const 1)) (i32.gt_s (local.get $fd) (i32.const 2)))
      (then
        (return (call $host_fd_write
          (local.get $fd) (local.get $iovs) (local.get $iovs_len) (local.get $nwritten)))))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $iovs_len)))
        (local.set $len (i32.load offset=4 (local.get $iovs)))
        (local.set $errno
          (call $write_lines (local.get $fd) (i32.load (local.get $iovs)) (local.get $len)))
        (if (local.get $errno) (then (return (local.get $errno))))
        (local.set $total (i32.add (local.get $total) (local.get $len)))
        (local.set $iovs (i32.add (local.get $iovs) (i32.const 8)))
        (local.set $iovs_len (i32.sub (local.get $iovs_len) (i32.const 1)))
        (br $next)))
    (i32.store (local.get $nwritten) (local.get $total))
    (i32.const 0)))
