//! A seeded smoke run of the byte-level robustness fuzzer: every
//! `cargo test` links a few thousand mutated modules and random byte
//! strings, as app and as builtin, in every inline mode, and each link must
//! return a valid module or an error. Long runs use
//! `fuzz-link --bytes --seconds N`; a broken input found here is written
//! under the target directory's `tmp/bytes-fuzz-failures` and replayed with
//! `fuzz-link --bytes --seed SEED --cases 1`.

use spec_tests::bytes_fuzz;
use std::sync::Mutex;
use wasm_prelink::InlineMode;

/// Inputs per run.
const INPUTS: u64 = 2_000;

/// Fixed, so that CI runs the same inputs every time.
const FIRST_SEED: u64 = 0xb17e_5000;

#[test]
fn no_input_breaks_the_linker() {
    let dump_dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bytes-fuzz-failures");
    let broken = Mutex::new(Vec::new());
    let record = |input: &bytes_fuzz::Input, message: &str| {
        let place = bytes_fuzz::dump(input, message, &dump_dir)
            .map_or("(not dumped)".to_string(), |p| p.display().to_string());
        broken
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(format!("seed {} ({place}): {message}", input.seed));
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let totals = bytes_fuzz::run(FIRST_SEED, INPUTS, threads, &|| true, &record);
    println!(
        "bytes fuzz smoke: {} inputs, {} links valid, {} rejected, {} inputs broken",
        totals.inputs, totals.linked, totals.rejected, totals.broken
    );
    let broken = broken.into_inner().unwrap_or_else(|p| p.into_inner());
    assert!(broken.is_empty(), "{}", broken.join("\n"));
    assert_eq!(totals.inputs, INPUTS);
    // Both outcomes must be common, or the inputs test little: all
    // rejected means the mutations never get past the parsers, all linked
    // means they never do damage.
    let links = totals.linked + totals.rejected;
    assert!(totals.linked * 10 >= links, "{totals:?}");
    assert!(totals.rejected * 10 >= links, "{totals:?}");
}

#[test]
fn corpus_modules_link_cleanly_before_mutation() {
    // The corpus is the starting point of most inputs: each must parse and
    // link as the app (or, when it uses the intrinsics, as the builtin), or
    // mutations start from an error.
    for (i, text) in bytes_fuzz::CORPUS.iter().enumerate() {
        if text.contains("unsafe-intrinsics") {
            let linked = wasm_prelink::Linker::new()
                .store_data_descriptor(16)
                .builtin(bytes_fuzz::BUILTIN, text)
                .and_then(|l| l.link(bytes_fuzz::COMPANION_APP.as_bytes()));
            let report = match linked {
                Ok(linked) => linked.report,
                Err(e) => panic!("corpus module {i} as the builtin: {e}"),
            };
            // It exists to feed the descriptor pass: the pass must rewrite
            // it.
            assert!(
                report.descriptor.loads_hoisted > 0,
                "corpus module {i}: {report:?}"
            );
            continue;
        }
        let linked = wasm_prelink::Linker::new()
            .builtin(bytes_fuzz::BUILTIN, bytes_fuzz::COMPANION_BUILTIN)
            .and_then(|l| l.link(text.as_bytes()));
        assert!(linked.is_ok(), "corpus module {i}: {:?}", linked.err());
    }
    // The binary modules are there for their DWARF: unmutated, it must be
    // read and rewritten, not dropped with a warning. The builtins' is
    // rewritten behind the app that imports them.
    for (name, bytes) in bytes_fuzz::BINARY_CORPUS {
        if bytes_fuzz::is_dwarf_builtin(bytes) {
            let linked = wasm_prelink::Linker::new()
                .builtin("host-buf", bytes)
                .and_then(|l| l.link(bytes_fuzz::DWARF_APP))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(linked.code_map.is_some(), "{name}: no DWARF was rewritten");
            assert!(
                !linked.report.warnings.iter().any(|w| w.contains("debug")),
                "{name}: {:?}",
                linked.report.warnings
            );
            continue;
        }
        let linked = wasm_prelink::Linker::new()
            .builtin(bytes_fuzz::BUILTIN, bytes_fuzz::COMPANION_BUILTIN)
            .and_then(|l| l.link(bytes))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(linked.code_map.is_some(), "{name}: no DWARF was rewritten");
        assert!(
            linked.report.warnings.is_empty(),
            "{name}: {:?}",
            linked.report.warnings
        );
        // With the builtin that has DWARF, whose code inlined into them
        // gets DIEs of its own: more `.debug_info` than without inlining.
        let info = |mode| {
            let linked = wasm_prelink::Linker::new()
                .inline(mode)
                .builtin("host-buf", bytes_fuzz::DWARF_BUILTIN)
                .and_then(|l| l.link(bytes))
                .unwrap_or_else(|e| panic!("{name} with the DWARF builtin: {e}"));
            assert!(
                !linked.report.warnings.iter().any(|w| w.contains("debug")),
                "{name}: {:?}",
                linked.report.warnings
            );
            debug_info_size(&linked.wasm)
        };
        let (none, all) = (info(InlineMode::None), info(InlineMode::All));
        assert!(
            all > none,
            "{name}: {all} bytes of .debug_info inlined, {none} not"
        );
    }
}

/// The size of a module's `.debug_info` section.
fn debug_info_size(wasm: &[u8]) -> usize {
    wasmparser::Parser::new(0)
        .parse_all(wasm)
        .filter_map(|payload| match payload.expect("valid output") {
            wasmparser::Payload::CustomSection(s) if s.name() == ".debug_info" => {
                Some(s.data().len())
            }
            _ => None,
        })
        .sum()
}
