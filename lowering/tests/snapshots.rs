//! The CLIF the plugin produces, pinned by insta snapshots.
//!
//! For every intrinsic, a one-function module calls it with the function's
//! parameters; the snapshot holds the function as translated (before
//! Cranelift's optimizer) and after `Context::optimize` at `opt_level=speed`,
//! for a 64-bit target (`x86_64`) and a 32-bit one (`pulley32`, the only
//! 32-bit-pointer ISA in this Cranelift release). Checked intrinsics also
//! show the Spectre-mitigated form. A reviewer reads these to see the exact
//! memory flags, truncations, extensions and bounds checks; `cargo insta
//! review` blesses a deliberate change.
//!
//! Two more snapshots show the code that matters in practice: the host-buffer
//! builtin after stage 1 has inlined it into an application loop (written by
//! hand here, as the linker would emit it), where the optimizer should hoist
//! the store-data load out of the loop; and a `return_call` of an intrinsic.

mod support;

use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir;
use cranelift_codegen::isa::TargetIsa;
use cranelift_codegen::Context;
use support::{isa, translate, Mode, ModuleInfo};
use wasm_prelink_lowering::{Config, Intrinsic, Lowering, Shape};

const TARGETS: [(&str, &str); 2] = [("x86_64", "64"), ("pulley32", "32")];

/// A module exporting `f`, which passes its parameters to `intrinsic`.
fn call_module(intrinsic: Intrinsic) -> String {
    let params: Vec<String> = intrinsic.params().iter().map(|p| p.to_string()).collect();
    let results: Vec<String> = intrinsic.results().iter().map(|r| r.to_string()).collect();
    let sig = format!(
        "(param {}) (result {})",
        params.join(" "),
        results.join(" ")
    );
    let gets: String = (0..params.len())
        .map(|i| format!("local.get {i} "))
        .collect();
    format!(
        r#"(module
  (import "unsafe-intrinsics" "{name}" (func $i {sig}))
  (func (export "f") {sig} {gets}call $i))"#,
        name = intrinsic.name()
    )
}

/// Translates `wat` with the wrapper and renders each function before and
/// after optimization.
fn render(wat: &str, isa: &dyn TargetIsa, config: &Config) -> String {
    let wasm = wat::parse_str(wat).expect("test WAT parses");
    let info = ModuleInfo::parse(&wasm).expect("test module parses");
    let lowering = Lowering::new(&wasm, config).expect("valid intrinsics");
    let functions = translate(
        &wasm,
        &info,
        isa.frontend_config(),
        Mode::Wrapper(&lowering),
    )
    .expect("translation succeeds");
    let mut out = String::new();
    for func in functions {
        out.push_str(";; translated\n");
        out.push_str(&func.display().to_string());
        out.push_str("\n;; optimized (opt_level=speed)\n");
        out.push_str(&optimize(func, isa).display().to_string());
    }
    out
}

fn optimize(func: ir::Function, isa: &dyn TargetIsa) -> ir::Function {
    let mut ctx = Context::for_function(func);
    ctx.optimize(isa, &mut ControlPlane::default())
        .expect("optimizer succeeds");
    ctx.verify(isa).expect("optimized CLIF verifies");
    ctx.func
}

#[test]
fn every_intrinsic_on_both_pointer_widths() {
    for (triple, bits) in TARGETS {
        let isa = isa(triple);
        for &intrinsic in Intrinsic::ALL {
            let wat = call_module(intrinsic);
            let mut text = render(&wat, &*isa, &Config::new());
            if matches!(
                Shape::of(intrinsic),
                wasm_prelink_lowering::Shape::CheckedLoad { .. }
                    | wasm_prelink_lowering::Shape::CheckedStore { .. }
            ) {
                text.push_str("\n;; ---- with Spectre mitigation ----\n");
                text.push_str(&render(
                    &wat,
                    &*isa,
                    &Config::new().spectre_mitigation(true),
                ));
            }
            insta::assert_snapshot!(format!("{}_{bits}", intrinsic.name()), text);
        }
    }
}

/// The host-buffer builtin's `get`/`set` (checked accesses to a buffer whose
/// address and length live in the store data) inlined into an app loop that
/// sums the buffer and writes back doubled bytes.
const HOST_BUFFER_INLINED: &str = r#"(module
  (import "unsafe-intrinsics" "store-data-address" (func $data (result i64)))
  (import "unsafe-intrinsics" "u64-native-load" (func $load64 (param i64) (result i64)))
  (import "unsafe-intrinsics" "u8-checked-native-load"
    (func $get (param i64 i64 i64) (result i32)))
  (import "unsafe-intrinsics" "u8-checked-native-store"
    (func $set (param i64 i64 i64 i32)))
  (func (export "double-and-sum") (param $n i32) (result i32)
    (local $i i32) (local $sum i32) (local $byte i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        ;; inlined `host-buf::get`: buffer pointer at store data + 0,
        ;; length at store data + 8
        (local.set $byte
          (call $get
            (call $load64 (call $data))
            (i64.extend_i32_u (local.get $i))
            (call $load64 (i64.add (call $data) (i64.const 8)))))
        (local.set $sum (i32.add (local.get $sum) (local.get $byte)))
        ;; inlined `host-buf::set`
        (call $set
          (call $load64 (call $data))
          (i64.extend_i32_u (local.get $i))
          (call $load64 (i64.add (call $data) (i64.const 8)))
          (i32.shl (local.get $byte) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $sum)))"#;

#[test]
fn host_buffer_builtin_after_inlining() {
    for (triple, bits) in TARGETS {
        let isa = isa(triple);
        let text = render(HOST_BUFFER_INLINED, &*isa, &Config::new());
        insta::assert_snapshot!(format!("host_buffer_inlined_{bits}"), text);
    }
}

/// The same loop with the store data declared a 16-byte descriptor: the
/// pointer and length loads are `readonly`, shared by `get` and `set`, and
/// hoisted out of the loop by the optimizer. (The bounds check stays: the
/// loop's bound is a parameter, not the length.)
#[test]
fn host_buffer_builtin_after_inlining_with_a_descriptor() {
    for (triple, bits) in TARGETS {
        let isa = isa(triple);
        let config = Config::new().store_data_descriptor(16);
        let text = render(HOST_BUFFER_INLINED, &*isa, &config);
        insta::assert_snapshot!(format!("host_buffer_inlined_descriptor_{bits}"), text);
    }
}

#[test]
fn return_call_of_an_intrinsic_returns_its_result() {
    let wat = r#"(module
  (import "unsafe-intrinsics" "u16-native-load" (func $load (param i64) (result i32)))
  (func (export "f") (param i64) (result i32) local.get 0 return_call $load))"#;
    let isa = isa("x86_64");
    insta::assert_snapshot!("return_call_64", render(wat, &*isa, &Config::new()));
}

#[test]
fn wrapper_and_entry_point_emit_the_same_code() {
    let isa = isa("x86_64");
    let mut wat = String::from("(module\n");
    for (index, &intrinsic) in Intrinsic::ALL.iter().enumerate() {
        let params: Vec<String> = intrinsic.params().iter().map(|p| p.to_string()).collect();
        let results: Vec<String> = intrinsic.results().iter().map(|r| r.to_string()).collect();
        wat.push_str(&format!(
            "(import \"unsafe-intrinsics\" \"{}\" (func $i{index} (param {}) (result {})))\n",
            intrinsic.name(),
            params.join(" "),
            results.join(" ")
        ));
    }
    for (index, &intrinsic) in Intrinsic::ALL.iter().enumerate() {
        let params: Vec<String> = intrinsic.params().iter().map(|p| p.to_string()).collect();
        let results: Vec<String> = intrinsic.results().iter().map(|r| r.to_string()).collect();
        let gets: String = (0..params.len())
            .map(|i| format!("local.get {i} "))
            .collect();
        wat.push_str(&format!(
            "(func (param {}) (result {}) {gets} call $i{index})\n",
            params.join(" "),
            results.join(" ")
        ));
    }
    wat.push(')');
    let wasm = wat::parse_str(&wat).expect("test WAT parses");
    let info = ModuleInfo::parse(&wasm).expect("parses");
    let lowering = Lowering::new(&wasm, &Config::new()).expect("valid intrinsics");
    let config = isa.frontend_config();
    let wrapper = translate(&wasm, &info, config, Mode::Wrapper(&lowering)).expect("translates");
    let entry = translate(&wasm, &info, config, Mode::EntryPoint(&lowering)).expect("translates");
    let plain = translate(&wasm, &info, config, Mode::Plain).expect("translates");
    assert_eq!(wrapper.len(), Intrinsic::ALL.len());
    for ((wrapper, entry), plain) in wrapper.iter().zip(&entry).zip(&plain) {
        let (wrapper, entry, plain) = (
            wrapper.display().to_string(),
            entry.display().to_string(),
            plain.display().to_string(),
        );
        assert_eq!(wrapper, entry);
        // Without the plugin the intrinsic stays a call; with it, none is left.
        assert!(plain.contains(" call fn"), "{plain}");
        assert!(!wrapper.contains(" call fn"), "{wrapper}");
    }
}

#[test]
fn ref_func_keeps_the_import() {
    let wat = r#"(module
  (import "unsafe-intrinsics" "u8-native-load" (func $load (param i64) (result i32)))
  (elem declare func $load)
  (func (export "f") (param i64) (result i32)
    ref.func $load
    drop
    local.get 0
    call $load))"#;
    let wasm = wat::parse_str(wat).expect("test WAT parses");
    let lowering = Lowering::new(&wasm, &Config::new()).expect("valid intrinsics");
    assert_eq!(lowering.intrinsics().indirect_uses().len(), 1);
    // The direct call is still lowered; the reference goes to the runtime.
    let isa = isa("x86_64");
    let text = render(wat, &*isa, &Config::new());
    assert!(text.contains("uload8.i32 notrap"), "{text}");
    assert!(!text.contains(" call fn"), "{text}");
}

/// What `FunctionLowering::finish` may and may not remove, counted in the
/// translated CLIF of one function per case.
#[test]
fn only_repeats_with_nothing_in_between_are_removed() {
    let wat = r#"(module
  (import "unsafe-intrinsics" "u8-checked-native-load"
    (func $get8 (param i64 i64 i64) (result i32)))
  (import "unsafe-intrinsics" "u32-checked-native-load"
    (func $get32 (param i64 i64 i64) (result i32)))
  (import "unsafe-intrinsics" "u64-native-load" (func $load (param i64) (result i64)))
  (import "unsafe-intrinsics" "u64-native-store" (func $store (param i64 i64)))
  (memory 1)
  ;; the same check twice: the second is implied
  (func (param $b i64) (param $o i64) (param $l i64) (result i32)
    (i32.add (call $get32 (local.get $b) (local.get $o) (local.get $l))
             (call $get8 (local.get $b) (local.get $o) (local.get $l))))
  ;; a narrower access first: the wider one is checked again
  (func (param $b i64) (param $o i64) (param $l i64) (result i32)
    (i32.add (call $get8 (local.get $b) (local.get $o) (local.get $l))
             (call $get32 (local.get $b) (local.get $o) (local.get $l))))
  ;; another length: checked again
  (func (param $b i64) (param $o i64) (param $l i64) (result i32)
    (i32.add (call $get8 (local.get $b) (local.get $o) (local.get $l))
             (call $get8 (local.get $b) (local.get $o) (i64.const 7))))
  ;; a Wasm heap store in between cannot touch native memory: one load
  (func (param $p i64) (result i64)
    (local $first i64)
    (local.set $first (call $load (local.get $p)))
    (i64.store (i32.const 0) (local.get $first))
    (i64.add (local.get $first) (call $load (local.get $p))))
  ;; a native store in between: two loads
  (func (param $p i64) (param $q i64) (result i64)
    (local $first i64)
    (local.set $first (call $load (local.get $p)))
    (call $store (local.get $q) (i64.const 0))
    (i64.add (local.get $first) (call $load (local.get $p))))
  ;; a call in between: two loads
  (func (param $p i64) (result i64)
    (local $first i64)
    (local.set $first (call $load (local.get $p)))
    (drop (call 7 (local.get $p)))
    (i64.add (local.get $first) (call $load (local.get $p))))
  ;; a different offset from the same base: two loads
  (func (param $p i64) (result i64)
    (i64.add (call $load (local.get $p))
             (call $load (i64.add (local.get $p) (i64.const 8)))))
  ;; the low half of the address is another address: two loads
  (func (param $p i64) (result i64)
    (i64.add (call $load (local.get $p))
             (call $load (i64.extend_i32_u (i32.wrap_i64 (local.get $p))))))
  ;; the same address spelled two ways: one load
  (func (param $p i64) (result i64)
    (i64.add (call $load (i64.add (local.get $p) (i64.const 8)))
             (call $load (i64.add (i64.add (local.get $p) (i64.const 4)) (i64.const 4))))))"#;
    let wasm = wat::parse_str(wat).expect("test WAT parses");
    let info = ModuleInfo::parse(&wasm).expect("test module parses");
    let lowering = Lowering::new(&wasm, &Config::new()).expect("valid intrinsics");
    let isa = isa("x86_64");
    for mode in [Mode::Wrapper(&lowering), Mode::EntryPoint(&lowering)] {
        let functions =
            translate(&wasm, &info, isa.frontend_config(), mode).expect("translation succeeds");
        let counts: Vec<(usize, usize)> = functions
            .iter()
            .map(|func| {
                let text = func.display().to_string();
                (
                    text.matches(" brif ").count(),
                    text.matches(" = load.i64 notrap v").count(),
                )
            })
            .collect();
        assert_eq!(
            counts,
            [
                (1, 0),
                (2, 0),
                (2, 0),
                (0, 1),
                (0, 2),
                (0, 2),
                (0, 2),
                (0, 2),
                (0, 1)
            ],
            "(checks, native loads) per function"
        );
    }
}
