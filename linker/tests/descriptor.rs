//! Which loads of a store-data descriptor the linker hoists, and which it
//! must leave (`Linker::store_data_descriptor`, `linker/src/descriptor.rs`).
//!
//! Each test links a builtin whose one function `f` holds the body under
//! test, without inlining, so the counts are those of `f` alone. That the
//! hoisted modules compute what the originals do is the component
//! differential's job (`snapshots/src/component.rs`, every case with and
//! without a descriptor, and the case `descriptor-hoisting`).

use wasm_prelink::{DescriptorCounts, InlineMode, Linker};

/// Links a builtin whose exported `f` (`(param i64) (result i64)`) has
/// `locals` and `body`, with a 16-byte descriptor; the pass's counts.
fn hoisted_in(locals: &str, body: &str) -> DescriptorCounts {
    let builtin = format!(
        r#"(module
          (import "unsafe-intrinsics" "store-data-address" (func $sda (result i64)))
          (import "unsafe-intrinsics" "u64-native-load" (func $load (param i64) (result i64)))
          (import "unsafe-intrinsics" "u64-native-store" (func $store (param i64 i64)))
          (import "unsafe-intrinsics" "u64-checked-native-store"
            (func $checked-store (param i64 i64 i64 i64)))
          (func $other)
          (func (export "f") (param $p i64) (result i64) {locals}
            {body}))"#
    );
    let app = r#"(module
        (import "lib" "f" (func $f (param i64) (result i64)))
        (export "f" (func $f)))"#;
    let linked = Linker::new()
        .inline(InlineMode::None)
        .store_data_descriptor(16)
        .builtin("lib", builtin)
        .and_then(|linker| linker.link(app.as_bytes()))
        .unwrap_or_else(|e| panic!("links: {e}"));
    linked.report.descriptor
}

fn hoisted(body: &str) -> DescriptorCounts {
    hoisted_in("", body)
}

fn loads(n: usize) -> DescriptorCounts {
    DescriptorCounts {
        functions: usize::from(n > 0),
        loads_hoisted: n,
    }
}

#[test]
fn a_load_written_as_one_sequence_is_hoisted() {
    assert_eq!(hoisted("(call $load (call $sda))"), loads(1));
    assert_eq!(
        hoisted(
            "(i64.add (call $load (call $sda)) (call $load (i64.add (call $sda) (i64.const 8))))"
        ),
        loads(2)
    );
}

#[test]
fn an_address_coming_out_of_a_block_is_followed() {
    assert_eq!(
        hoisted("(call $load (block (result i64) (i64.add (call $sda) (i64.const 8))))"),
        loads(1)
    );
}

#[test]
fn a_block_something_branches_to_may_leave_any_address() {
    // The block's value is the store-data address only when the branch is
    // not taken.
    assert_eq!(
        hoisted(
            "(call $load (block $b (result i64)
               (br_if $b (local.get $p) (i32.wrap_i64 (local.get $p)))
               (drop)
               (call $sda)))"
        ),
        loads(0)
    );
}

#[test]
fn loads_that_reach_past_the_descriptor_stay() {
    // Bytes 12..20 of a 16-byte descriptor.
    assert_eq!(
        hoisted("(call $load (i64.add (call $sda) (i64.const 12)))"),
        loads(0)
    );
}

#[test]
fn an_address_kept_in_a_local_is_not_followed() {
    assert_eq!(
        hoisted_in(
            "(local $a i64)",
            "(local.set $a (call $sda)) (call $load (local.get $a))"
        ),
        loads(0)
    );
}

#[test]
fn a_call_may_change_the_descriptor() {
    assert_eq!(hoisted("(call $other) (call $load (call $sda))"), loads(0));
}

#[test]
fn a_native_store_to_an_untraced_address_may_change_it() {
    assert_eq!(
        hoisted("(call $store (local.get $p) (i64.const 0)) (call $load (call $sda))"),
        loads(0)
    );
}

#[test]
fn a_store_into_the_store_data_itself_changes_it() {
    assert_eq!(
        hoisted(
            "(call $checked-store (call $sda) (i64.const 8) (i64.const 16) (i64.const 0))
             (call $load (call $sda))"
        ),
        loads(0)
    );
}

#[test]
fn a_store_through_a_pointer_read_from_the_descriptor_does_not() {
    // By the embedder's promise such an address never points back into
    // the descriptor.
    assert_eq!(
        hoisted(
            "(call $store (i64.add (call $load (call $sda)) (local.get $p)) (i64.const 0))
             (call $load (call $sda))"
        ),
        loads(2)
    );
}

#[test]
fn a_function_at_the_locals_limit_keeps_its_loads() {
    // `f` has one parameter: 49,999 declared locals take it to the limit
    // of 50,000, and the one local the pass would add goes past it.
    let at_limit = format!("(local {})", "i32 ".repeat(49_999));
    assert_eq!(hoisted_in(&at_limit, "(call $load (call $sda))"), loads(0));
    let below = format!("(local {})", "i32 ".repeat(49_998));
    assert_eq!(hoisted_in(&below, "(call $load (call $sda))"), loads(1));
}

#[test]
fn without_a_descriptor_nothing_moves() {
    let builtin = r#"(module
      (import "unsafe-intrinsics" "store-data-address" (func $sda (result i64)))
      (import "unsafe-intrinsics" "u64-native-load" (func $load (param i64) (result i64)))
      (func (export "f") (result i64) (call $load (call $sda))))"#;
    let app = r#"(module (import "lib" "f" (func $f (result i64))) (export "f" (func $f)))"#;
    let linked = Linker::new()
        .inline(InlineMode::None)
        .builtin("lib", builtin)
        .and_then(|linker| linker.link(app.as_bytes()))
        .unwrap_or_else(|e| panic!("links: {e}"));
    assert_eq!(linked.report.descriptor, loads(0));
    assert!(!linked
        .report
        .phases
        .iter()
        .any(|(name, _)| name.contains("descriptor")));
}
