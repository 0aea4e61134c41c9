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
//! included, fails the test. Each case is one test, named after its folder
//! (see `harness`); after the cases a last line counts what ran. Run one
//! case with `cargo test --workspace --locked --test runtime -- <case>`.

mod harness;
mod marked;

use snapshots::case::Case;
use snapshots::runtime;
use std::path::Path;
use std::sync::Arc;
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

fn main() {
    let engine = runtime::engine().expect("runtime engine");
    let tally = Arc::new(marked::Tally::default());
    let trials = harness::case_dirs("cases")
        .into_iter()
        .map(|dir| {
            let (engine, tally) = (engine.clone(), Arc::clone(&tally));
            harness::trial(dir, move |dir| tally.record(check_case(&engine, dir)))
        })
        .collect();
    let (args, conclusion) = harness::run(trials);
    if !args.list {
        let c = tally.counts();
        println!(
            "runtime: {} linked runs agreed with the reference: {} of {} cases in all {} \
             inline modes, the rest in the modes their runtime-unsupported.txt leaves; {} cases \
             listed as unsupported; {} cases failed",
            c.runs,
            c.agreed,
            c.cases,
            MODES.len(),
            c.unsupported,
            c.failed
        );
    }
    conclusion.exit();
}
