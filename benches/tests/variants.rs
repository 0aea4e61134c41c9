//! Every variant computes the right bytes and keeps the bounds check.
//!
//! The benchmark asserts its results too, but only when someone runs it;
//! these tests run the same variants on a small buffer under `cargo test`
//! so CI catches a variant that breaks (a wasmtime upgrade changing the
//! component text, a linker change altering the linked module) without
//! timing anything. Traps are tested in `traps_*.rs`, one process per
//! engine family (see there why).

use benches::variants::{app_component, build, builtin_component, linked_app, Kind};
use benches::workload::{check_buffer, initial_buffer, Workload};
use wasm_prelink::InlineMode;

/// Small, and not a power of two, so the generator's modulo matters.
const LEN: usize = 997;

#[test]
fn every_variant_computes_the_expected_bytes() {
    for kind in Kind::ALL {
        for workload in Workload::ALL {
            let mut variant = build(kind, &initial_buffer(LEN))
                .unwrap_or_else(|e| panic!("`{}`: {e:?}", kind.id()));
            for calls in 1..=3 {
                variant
                    .run(workload)
                    .unwrap_or_else(|e| panic!("`{}`: {e:?}", kind.id()));
                check_buffer(kind.id(), workload, calls, variant.buffer())
                    .unwrap_or_else(|e| panic!("`{}`: {e:?}", kind.id()));
            }
        }
    }
}

#[test]
fn an_empty_buffer_runs_both_workloads_without_touching_it() {
    for kind in Kind::ALL {
        let mut variant = build(kind, &[]).unwrap_or_else(|e| panic!("`{}`: {e:?}", kind.id()));
        variant
            .run(Workload::InOrder)
            .unwrap_or_else(|e| panic!("`{}`: {e:?}", kind.id()));
        // No step runs when the count is zero, so nothing traps either.
        variant
            .run(Workload::Random)
            .unwrap_or_else(|e| panic!("`{}`: {e:?}", kind.id()));
        assert!(variant.buffer().is_empty());
    }
}

#[test]
fn stage_one_inlines_the_builtin_into_the_app() {
    let inlined = linked_app(InlineMode::Auto).unwrap();
    let merged = linked_app(InlineMode::None).unwrap();
    let text = wasmprinter::print_bytes(&inlined).unwrap();
    // After inlining, the workloads call the intrinsics directly; merged
    // builtin functions are named `host-buf::<name>`.
    assert!(!text.contains("call $host-buf::get"), "{text}");
    assert!(!text.contains("call $host-buf::set"), "{text}");
    let merged_text = wasmprinter::print_bytes(&merged).unwrap();
    assert!(merged_text.contains("call $host-buf::get"), "{merged_text}");
    assert_ne!(inlined, merged);
}

#[test]
fn the_component_texts_parse() {
    wat::parse_str(app_component().unwrap()).unwrap();
    wat::parse_str(builtin_component().unwrap()).unwrap();
}
