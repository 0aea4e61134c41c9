//! The code map a link records when its inputs carry debug information
//! (`Linked::code_map`, `linker/src/debug/map.rs`), checked against the
//! bytes themselves: every instruction of the output that the map traces
//! to an input starts an instruction of that input, with the same opcode
//! where the map says it was copied; every instruction of the app survives
//! exactly once unless it was a call that inlining replaced.
//!
//! The inputs are `examples/c-host-buf` built with `clang -O2 -g` (see
//! `linker/tests/data/debug/README.md`).

use std::collections::BTreeSet;
use wasm_prelink::debug::map::{CodeMap, Origin, Source};
use wasm_prelink::{InlineMode, Linker};
use wasmparser::{Parser, Payload};

const APP: &[u8] = include_bytes!("data/debug/app.wasm");
const BUILTIN: &[u8] = include_bytes!("data/debug/builtin.wasm");
/// Input numbers: the builtin, then the app.
const INPUTS: [&[u8]; 2] = [BUILTIN, APP];

/// A module's Code section contents (file range) and, relative to it, the
/// start of every body (after its size) and every instruction.
struct Code {
    range: std::ops::Range<usize>,
    bodies: Vec<u32>,
    instructions: Vec<u32>,
}

fn code(wasm: &[u8]) -> Code {
    let mut code = Code {
        range: 0..0,
        bodies: Vec::new(),
        instructions: Vec::new(),
    };
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.expect("valid module") {
            Payload::CodeSectionStart {
                unchecked_range, ..
            } => code.range = unchecked_range.start as usize..unchecked_range.end as usize,
            Payload::CodeSectionEntry(body) => {
                let base = code.range.start as u32;
                code.bodies.push(body.range().start as u32 - base);
                let mut ops = body.get_operators_reader().expect("operators");
                while !ops.eof() {
                    code.instructions
                        .push(ops.original_position() as u32 - base);
                    ops.read().expect("operator");
                }
            }
            _ => {}
        }
    }
    code
}

fn mark_at(map: &CodeMap, out: u32) -> &wasm_prelink::debug::map::Mark {
    let i = map.marks.partition_point(|m| m.out <= out);
    &map.marks[i - 1]
}

fn link(inline: InlineMode, descriptor: u32) -> (Vec<u8>, CodeMap) {
    let linked = Linker::new()
        .inline(inline)
        .store_data_descriptor(descriptor)
        .builtin("host-buf", BUILTIN)
        .and_then(|linker| linker.link(APP))
        .unwrap_or_else(|e| panic!("links: {e}"));
    let map = linked.code_map.expect("debug info in the inputs: a map");
    (linked.wasm, map)
}

fn check(inline: InlineMode, descriptor: u32) {
    let (wasm, map) = link(inline, descriptor);
    let out = code(&wasm);
    let inputs: Vec<Code> = INPUTS.iter().map(|m| code(m)).collect();
    let starts: Vec<BTreeSet<u32>> = inputs
        .iter()
        .map(|c| c.instructions.iter().chain(&c.bodies).copied().collect())
        .collect();
    let mut app_seen = BTreeSet::new();
    for &at in &out.instructions {
        let (origin, _) = map.lookup(at);
        let Some(Origin { input, offset }) = origin else {
            continue;
        };
        let input = input as usize;
        assert!(
            starts[input].contains(&offset),
            "{inline:?}/{descriptor}: output {at:#x} traced to input {input} {offset:#x}, not an instruction there"
        );
        let mark = mark_at(&map, at);
        if let Source::Copy(_) = mark.source {
            let here = wasm[out.range.start + at as usize];
            let there = INPUTS[input][inputs[input].range.start + offset as usize];
            assert_eq!(
                here, there,
                "{inline:?}/{descriptor}: output {at:#x} claims a copy of input {input} {offset:#x}"
            );
        }
        if input == 1 && mark.site.is_none() {
            app_seen.insert(offset);
        }
    }
    let app_instructions: BTreeSet<u32> = inputs[1].instructions.iter().copied().collect();
    for &offset in app_instructions.difference(&app_seen) {
        let opcode = APP[inputs[1].range.start + offset as usize];
        assert!(
            inline != InlineMode::None && opcode == 0x10,
            "{inline:?}/{descriptor}: the app's instruction at {offset:#x} (opcode {opcode:#04x}) is lost"
        );
    }
    // Every output body starts with its home function's header.
    for &body in &out.bodies {
        if let (Some(origin), None) = map.lookup(body) {
            assert!(
                inputs[origin.input as usize]
                    .bodies
                    .contains(&origin.offset),
                "{inline:?}/{descriptor}: body at {body:#x} starts with {origin:?}, no body start"
            );
        }
    }
}

#[test]
fn merged_code_traces_back() {
    check(InlineMode::None, 0);
}

#[test]
fn inlined_code_traces_back() {
    check(InlineMode::Auto, 0);
    check(InlineMode::All, 0);
}

#[test]
fn hoisted_code_traces_back() {
    check(InlineMode::None, 16);
    check(InlineMode::Auto, 16);
    check(InlineMode::All, 16);
}

#[test]
fn inlined_code_names_its_call() {
    let (wasm, map) = link(InlineMode::All, 0);
    let out = code(&wasm);
    let app = code(APP);
    let inlined: Vec<_> = map.marks.iter().filter(|m| m.site.is_some()).collect();
    assert!(!inlined.is_empty(), "`all` inlines the builtin's accessors");
    for mark in inlined {
        let site = mark.site.expect("filtered");
        assert_eq!(site.input, 1, "inlined into the app");
        assert_eq!(
            APP[app.range.start + site.offset as usize],
            0x10,
            "the site of {mark:?} is a call"
        );
        assert!(out.range.len() as u32 > mark.out);
    }
}

#[test]
fn no_debug_info_no_map() {
    let linked = Linker::new()
        .builtin("b", "(module (func (export \"f\")))")
        .and_then(|l| l.link(b"(module (import \"b\" \"f\" (func)))"))
        .expect("links");
    assert!(linked.code_map.is_none());
    let stripped = Linker::new()
        .strip_debug(true)
        .builtin("host-buf", BUILTIN)
        .and_then(|l| l.link(APP))
        .expect("links");
    assert!(stripped.code_map.is_none());
    // The builtin's `producers` and `target_features` are dropped as ever;
    // nothing is said of the debug information.
    assert_eq!(
        stripped.report.warnings,
        [
            "dropped the custom sections `producers`, `target_features` of builtin `host-buf` \
          (a builtin keeps only its names and its `component-type` sections)"
        ]
    );
    assert!(!stripped.wasm.windows(7).any(|w| w == b".debug_"));
}
