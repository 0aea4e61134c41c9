//! The differential suite on the reference runtime: every case under
//! `tests/cases/` is linked in each inline mode and the output runs on
//! `wasm_prelink_runtime` with intrinsics lowered; its transcript must equal
//! the reference run's (the unlinked modules in wasmtime).
//!
//! A case whose folder has a `runtime-unsupported.txt` uses something the
//! runtime does not implement, in every inline mode or in those named on
//! the marker's first line (`inline: none`). It still runs; a covered mode
//! must not agree and the test fails when it does, so the list cannot go
//! stale. Every other failure, a module the runtime refuses to compile
//! included, fails the test. The last line printed counts what ran (shown
//! with `--nocapture`). Run one case with
//! `INSTA_GLOB_FILTER=<case> cargo test -p snapshots --test runtime`.

use snapshots::case::Case;
use snapshots::runtime;
use std::path::Path;
use wasm_prelink_runtime::Engine;

use snapshots::marker::{unsupported_modes, Outcome, MODES};

/// Checks one case in every mode; returns what went wrong, if anything.
///
/// A mode the case's `runtime-unsupported.txt` covers must fail (else the
/// marker is stale); every other mode must agree with the reference.
fn check_case(engine: &Engine, dir: &Path) -> Result<Outcome, String> {
    let case = Case::load(dir)?;
    if case.script.is_none() {
        return Err("no script.txt".into());
    }
    let unsupported = match &case.runtime_unsupported {
        Some(marker) => unsupported_modes(marker, "runtime-unsupported.txt")?,
        None => Vec::new(),
    };
    let reference = case.run_unlinked();
    let mut problems = Vec::new();
    let mut agreed = 0;
    for (mode, label) in MODES {
        let result = runtime::check(&case, mode, engine, &reference);
        match (result, unsupported.contains(&label)) {
            (Ok(()), false) => agreed += 1,
            (Err(mismatch), false) => {
                problems.push(format!("inline {label}: {}", mismatch.problem));
            }
            (Err(_), true) => {}
            (Ok(()), true) => problems.push(format!(
                "inline {label}: runs and agrees on the runtime although \
                 runtime-unsupported.txt says it cannot; remove the marker (or the mode)"
            )),
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    Ok(if unsupported.is_empty() {
        Outcome::Agreed
    } else {
        Outcome::Unsupported { agreed }
    })
}

#[test]
fn linked_runs_on_the_runtime_agree_with_the_reference() {
    let engine = runtime::engine().expect("runtime engine");
    let mut failures = Vec::new();
    let (mut count, mut agreed, mut unsupported, mut runs) = (0, 0, 0, 0);
    insta::glob!("cases", "?*", |dir| {
        count += 1;
        let name = dir.file_name().unwrap_or_default().to_string_lossy();
        match check_case(&engine, dir) {
            Ok(Outcome::Agreed) => {
                agreed += 1;
                runs += MODES.len();
            }
            Ok(Outcome::Unsupported { agreed }) => {
                unsupported += 1;
                runs += agreed;
            }
            Err(problem) => {
                let failure = format!("case `{name}`:\n{problem}");
                eprintln!("{failure}\n");
                failures.push(failure);
            }
        }
    });
    assert!(count > 0, "no cases found");
    println!(
        "runtime: {runs} linked runs agreed with the reference: {agreed} of {count} cases in \
         all {} inline modes, the rest in the modes their runtime-unsupported.txt leaves; \
         {unsupported} cases listed as unsupported; {} cases failed",
        MODES.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed on the runtime:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
