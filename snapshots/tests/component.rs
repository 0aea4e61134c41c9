//! The differential suite as components: every case under `tests/cases/` is
//! linked in each inline mode, wrapped as a component
//! (`wasm_prelink::component::wrap`, what `--emit component` writes) and
//! run on Wasmtime with its native intrinsics
//! (`CodeBuilder::expose_unsafe_intrinsics`); its transcript must equal the
//! reference run's (the unlinked modules in wasmtime), as
//! `snapshots::component::expected` reads it: a checked intrinsic out of
//! bounds is a trap, and once a call traps every later call is refused
//! (`CannotEnterComponent`), since the component model never lets a
//! trapped instance run again. After a case's first trap its later calls
//! are therefore only checked to be refused, while what it left in the host
//! buffer is still compared.
//!
//! A case whose folder has a `component-unsupported.txt` cannot be
//! wrapped, or uses what a component cannot carry (host memories, tables
//! and globals, host functions that look at their caller, exported
//! memories, tables and globals the script reads, functions with several
//! results, references or `v128`, exceptions that leave the module, calls
//! after a trap that change the host buffer), in every inline mode or in
//! those named on the marker's first line (`inline: none`). It
//! still runs; a covered mode must not agree and the test fails when it
//! does, so the marker cannot go stale. Every other failure fails the test.
//! Each case is one test, named after its folder (see `harness`); after the
//! cases a last line counts what ran. Run one case with
//! `cargo test --workspace --locked --test component -- <case>` (which also
//! runs the command line's `component` tests whose names match).

mod harness;
mod marked;

use snapshots::case::Case;
use snapshots::component;
use snapshots::script::Script;
use snapshots::transcript::{Entry, FinalState, Transcript};
use std::path::Path;
use std::sync::Arc;

use libtest_mimic::Trial;
use snapshots::marker::{unsupported_modes, Outcome, MODES};

/// The marker file of a case that cannot run as a component.
const MARKER: &str = "component-unsupported.txt";

/// Checks one case in every mode; returns what went wrong, if anything.
fn check_case(dir: &Path) -> Result<Outcome, String> {
    let case = Case::load(dir)?;
    if case.script.is_none() {
        return Err("no script.txt".into());
    }
    let unsupported = match &case.component_unsupported {
        Some(marker) => unsupported_modes(marker, MARKER)?,
        None => Vec::new(),
    };
    let reference = case.run_unlinked();
    let mut problems = Vec::new();
    let mut agreed = 0;
    for (mode, label) in MODES {
        let result = component::check(&case, mode, &reference);
        match (result, unsupported.contains(&label)) {
            (Ok(()), false) => agreed += 1,
            (Err(mismatch), false) => {
                problems.push(format!("inline {label}: {}", mismatch.problem));
            }
            (Err(_), true) => {}
            (Ok(()), true) => problems.push(format!(
                "inline {label}: runs as a component and agrees although {MARKER} says it \
                 cannot; remove the marker (or the mode)"
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
    let tally = Arc::new(marked::Tally::default());
    let mut trials: Vec<Trial> = harness::case_dirs("cases")
        .into_iter()
        .map(|dir| {
            let tally = Arc::clone(&tally);
            harness::trial(dir, move |dir| tally.record(check_case(dir)))
        })
        .collect();
    trials.extend([
        Trial::test(
            "calls_after_the_first_trap_are_expected_to_be_refused",
            || {
                calls_after_the_first_trap_are_expected_to_be_refused();
                Ok(())
            },
        ),
        Trial::test("without_a_trap_the_reference_is_expected_unchanged", || {
            without_a_trap_the_reference_is_expected_unchanged();
            Ok(())
        }),
    ]);
    let (args, conclusion) = harness::run(trials);
    if !args.list {
        let c = tally.counts();
        println!(
            "component: {} wrapped runs agreed with the reference: {} of {} cases in all {} \
             inline modes, the rest in the modes their {MARKER} leaves; {} cases listed as \
             unsupported; {} cases failed",
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

/// A transcript of `steps`, each `(step, outcome, log)`, after a successful
/// instantiation.
fn transcript(steps: &[(&str, &str, &[&str])]) -> Transcript {
    let entry = |step: &str, outcome: &str, log: &[&str]| Entry {
        step: step.into(),
        outcome: outcome.into(),
        log: log.iter().map(|line| line.to_string()).collect(),
    };
    let mut entries = vec![entry("instantiate", "ok", &[])];
    entries.extend(steps.iter().map(|(s, o, l)| entry(s, o, l)));
    Transcript {
        entries,
        final_state: FinalState {
            buffer: vec![1, 2],
            store_data_len: 2,
            counter: 0,
            memory: String::new(),
            table: Vec::new(),
        },
    }
}

fn calls_after_the_first_trap_are_expected_to_be_refused() {
    let script = Script::parse(
        "invoke ok\ninvoke get 16\nbuffer 0 2\ninvoke log 1\ninvoke nothing\ninvoke add 1",
    )
    .expect("script");
    let reference = transcript(&[
        ("invoke ok", "i32 1", &["tick"]),
        (
            "invoke get 16",
            "host error: checked native access out of bounds",
            &[],
        ),
        ("buffer 0 2", "01 02", &[]),
        ("invoke log 1", "ok", &["log_i32 1"]),
        (
            "invoke nothing",
            "error: no exported function `nothing`",
            &[],
        ),
        (
            "invoke add 1",
            "error: `invoke` gives 1 arguments, the function takes 2",
            &[],
        ),
    ]);
    let expected = transcript(&[
        ("invoke ok", "i32 1", &["tick"]),
        ("invoke get 16", "trap MemoryOutOfBounds", &[]),
        ("buffer 0 2", "01 02", &[]),
        ("invoke log 1", "trap CannotEnterComponent", &[]),
        (
            "invoke nothing",
            "error: no exported function `nothing`",
            &[],
        ),
        (
            "invoke add 1",
            "error: `invoke` gives 1 arguments, the function takes 2",
            &[],
        ),
    ]);
    assert_eq!(component::expected(&reference, &script), expected);
}

fn without_a_trap_the_reference_is_expected_unchanged() {
    let script = Script::parse("invoke ok\ninvoke log 1").expect("script");
    let reference = transcript(&[
        ("invoke ok", "i32 1", &["tick"]),
        ("invoke log 1", "ok", &["log_i32 1"]),
    ]);
    assert_eq!(component::expected(&reference, &script), reference);
}
