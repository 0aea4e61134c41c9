(module
  (import "layout" "base" (global $base i32))
  (import "layout" "step" (global $step i32))
  (import "layout" "wide" (global $wide i64))
  (import "layout" "slot" (global $slot i32))
  (import "layout" "mutable" (global $mutable (mut i32)))
  (import "layout" "mem" (memory $mem 1))
  (import "layout" "table" (table $table 8 funcref))
  (import "layout" "bump" (func $bump))
  (type $thunk (func (result i32)))
  (global $copy (export "copy") i32 (global.get $base))
  (global $sum (export "sum") i32
    (i32.add (global.get $base) (i32.mul (global.get $step) (i32.const 3))))
  (global $diff (export "diff") i64
    (i64.sub (global.get $wide) (i64.const 1)))
  ;; A defined global reading an earlier defined one (Wasm 3.0).
  (global $chained (export "chained") i32 (i32.sub (global.get $sum) (global.get $copy)))
  (global $counter (export "counter") (mut i32) (global.get $step))
  ;; Segment offsets from builtin globals, with arithmetic.
  (data (memory $mem) (global.get $base) "at base")
  (data (memory $mem) (i32.add (global.get $base) (global.get $step)) "at base+step")
  (func $forty-two (result i32) (i32.const 42))
  (elem (table $table) (global.get $slot) func $forty-two)
  (elem (table $table) (i32.add (global.get $slot) (i32.const 2)) func $forty-two)
  (func (export "call") (param i32) (result i32)
    (call_indirect $table (type $thunk) (local.get 0)))
  (func (export "bump") (result i32) (call $bump) (global.get $mutable))
  (export "memory" (memory $mem)))
