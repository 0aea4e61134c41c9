//! What a declared store-data descriptor lets `FunctionLowering::finish`
//! do, and what it must not: counted in the translated CLIF of one function
//! per case, on a 64-bit and a 32-bit target, through both ways of plugging
//! the lowering in.
//!
//! Every case has the host-buffer API inlined (`ptr` at store data + 0,
//! `len` at + 8, a 16-byte descriptor). Three counts per function: the
//! conditional branches left (a loop's own exit plus one per bounds check
//! kept), the native `i64` loads marked `readonly`, and those not marked.

mod support;

use support::{isa, translate, Mode, ModuleInfo};
use wasm_prelink_lowering::{Config, Lowering};

/// The descriptor of the host-buffer convention: `{ ptr: u64, len: u64 }`.
const DESCRIPTOR: u32 = 16;

/// `$get` of the index `$i` inlined as the linker emits it: the buffer
/// pointer at store data + 0, the length at + 8.
const GET: &str = "(local.set $b (call $get (call $load64 (call $sda)) (local.get $i)
                               (call $load64 (i64.add (call $sda) (i64.const 8)))))";

/// `$set` of the index `$i` to `$b + 1`, inlined.
const SET: &str = "(call $set (call $load64 (call $sda)) (local.get $i)
                 (call $load64 (i64.add (call $sda) (i64.const 8)))
                 (i32.add (local.get $b) (i32.const 1)))";

/// A function looping `$i` from 0 while `exit` is false, running `body`;
/// `prelude` comes first (loading the bound `$n`, say).
fn looping(params: &str, prelude: &str, exit: &str, body: &str) -> String {
    format!(
        "(func {params} (local $i i64) (local $n i64) (local $b i32)
    {prelude}
    (block $done (loop $next
      (br_if $done {exit})
      {body}
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $next))))"
    )
}

/// `$get` and `$set` inlined, as the linker emits them, into loops and
/// straight-line code that differ in one respect each.
fn cases() -> String {
    let load_length = "(local.set $n (call $load64 (i64.add (call $sda) (i64.const 8))))";
    let below_length = "(i64.ge_u (local.get $i) (local.get $n))";
    let increment = |before: &str, between: &str| {
        looping(
            "",
            load_length,
            below_length,
            &format!("{before}\n{GET}\n{between}\n{SET}"),
        )
    };
    let functions = [
        // 0. `increment-all` as linked: nothing can change the descriptor,
        // so its loads are readonly and shared, and the loop's exit test
        // covers both checks.
        increment("", ""),
        // 1. A call in the loop: the host may change the descriptor there.
        // The `set` still shares the `get`'s loads (the byte store between
        // them writes the buffer, not the descriptor), and its check.
        increment("(call $nothing)", ""),
        // 2. The builtin writes the length between `get` and `set`:
        // everything is loaded and checked again.
        increment(
            "",
            "(call $store64 (i64.add (call $sda) (i64.const 8)) (local.get $i))",
        ),
        // 3. A store through an address that cannot be traced (read from
        // linear memory, where the store-data address may have been
        // saved): it might write the descriptor.
        increment(
            "",
            "(call $store8 (i64.add (i64.load (i32.const 0)) (i64.const 8)) (i32.const 0))",
        ),
        // 4. A store to the store data past the descriptor changes nothing
        // in it; a load past it is not a descriptor load.
        "(func (result i64)
    (call $store64 (i64.add (call $sda) (i64.const 16)) (i64.const 0))
    (i64.add (call $load64 (i64.add (call $sda) (i64.const 8)))
             (call $load64 (i64.add (call $sda) (i64.const 12)))))"
            .to_owned(),
        // 5. `i <= n` does not make `i < len` true: the check stays.
        looping(
            "",
            load_length,
            "(i64.gt_u (local.get $i) (local.get $n))",
            GET,
        ),
        // 6. The exit test negated (`i32.eqz` of `i < n`): still `i < n`
        // inside.
        looping(
            "",
            load_length,
            "(i32.eqz (i64.lt_u (local.get $i) (local.get $n)))",
            GET,
        ),
        // 7. A loop bound that is not the length: the check stays.
        looping(
            "(param $bound i64)",
            "(local.set $n (local.get $bound))",
            below_length,
            GET,
        ),
        // 8. A tail call ends the function: it changes nothing while it
        // runs.
        "(func (result i64)
    (return_call $id (i64.add (call $load64 (call $sda)) (call $load64 (call $sda)))))"
            .to_owned(),
    ];
    format!(
        r#"(module
  (import "unsafe-intrinsics" "store-data-address" (func $sda (result i64)))
  (import "unsafe-intrinsics" "u64-native-load" (func $load64 (param i64) (result i64)))
  (import "unsafe-intrinsics" "u64-native-store" (func $store64 (param i64 i64)))
  (import "unsafe-intrinsics" "u8-native-store" (func $store8 (param i64 i32)))
  (import "unsafe-intrinsics" "u8-checked-native-load"
    (func $get (param i64 i64 i64) (result i32)))
  (import "unsafe-intrinsics" "u8-checked-native-store"
    (func $set (param i64 i64 i64 i32)))
  (memory 1)
  (func $nothing)
  (func $id (param i64) (result i64) (local.get 0))
  {})"#,
        functions.join("\n  ")
    )
}

/// (branches, readonly native loads, other native loads) per function,
/// `$nothing` and `$id` first.
const EXPECTED: [(usize, usize, usize); 11] = [
    (0, 0, 0),
    (0, 0, 0),
    (1, 2, 0),
    (2, 0, 3),
    (3, 0, 5),
    (3, 0, 5),
    (0, 1, 1),
    (2, 2, 0),
    (1, 2, 0),
    (2, 2, 0),
    (0, 1, 0),
];

/// The two ways of plugging the lowering into a runtime.
#[derive(Clone, Copy, Debug)]
enum Plug {
    Wrapper,
    EntryPoint,
}

fn counts(config: &Config, triple: &str, plug: Plug) -> Vec<(usize, usize, usize)> {
    let wasm = wat::parse_str(cases()).expect("test WAT parses");
    let info = ModuleInfo::parse(&wasm).expect("test module parses");
    let lowering = Lowering::new(&wasm, config).expect("valid intrinsics");
    let isa = isa(triple);
    let mode = match plug {
        Plug::Wrapper => Mode::Wrapper(&lowering),
        Plug::EntryPoint => Mode::EntryPoint(&lowering),
    };
    let functions = translate(&wasm, &info, isa.frontend_config(), mode).expect("translates");
    functions
        .iter()
        .map(|func| {
            let text = func.display().to_string();
            (
                text.matches(" brif ").count(),
                text.matches(" = load.i64 notrap readonly v").count(),
                text.matches(" = load.i64 notrap v").count(),
            )
        })
        .collect()
}

#[test]
fn a_declared_descriptor_is_trusted_exactly_where_nothing_can_change_it() {
    for triple in ["x86_64", "pulley32"] {
        for plug in [Plug::Wrapper, Plug::EntryPoint] {
            for spectre in [false, true] {
                let config = Config::new()
                    .store_data_descriptor(DESCRIPTOR)
                    .spectre_mitigation(spectre);
                assert_eq!(
                    counts(&config, triple, plug),
                    EXPECTED,
                    "{triple}, {plug:?}, Spectre mitigation {spectre}: \
                     (branches, readonly loads, other loads) per function"
                );
            }
        }
    }
}

/// Without a declared descriptor nothing is marked `readonly` and no load
/// crosses a store, as before.
#[test]
fn without_a_descriptor_no_load_is_readonly() {
    let expected_without: [(usize, usize, usize); 11] = [
        (0, 0, 0),
        (0, 0, 0),
        (2, 0, 3),
        (2, 0, 3),
        (3, 0, 5),
        (3, 0, 5),
        (0, 0, 2),
        (2, 0, 3),
        (2, 0, 3),
        (2, 0, 2),
        (0, 0, 1),
    ];
    for triple in ["x86_64", "pulley32"] {
        assert_eq!(
            counts(&Config::new(), triple, Plug::Wrapper),
            expected_without,
            "{triple}: (branches, readonly loads, other loads) per function"
        );
    }
}

/// A descriptor smaller than a load's reach makes that load an ordinary
/// one: with 8 bytes declared, only `ptr` is trusted.
#[test]
fn only_loads_inside_the_declared_size_are_trusted() {
    let config = Config::new().store_data_descriptor(8);
    let first = counts(&config, "x86_64", Plug::Wrapper)[2];
    // The length is loaded before the loop and again in it (the byte store
    // is a native store that might, for all the plugin knows, write it);
    // the pointer once, readonly.
    assert_eq!(first, (2, 1, 2), "(branches, readonly loads, other loads)");
}
