//! The differential suite: every case under `tests/cases/` is linked in each
//! inline mode and run linked and unlinked; the runs must agree exactly.
//!
//! Per case this also checks that two links give byte-identical output and
//! that the output validates, and snapshots the merged module (`none` and
//! `auto`, since the inliner changes the latter) and the transcript. The
//! transcript snapshot is the reference run's, so it pins what the *program*
//! does — a change there means a case changed, not the linker.
//!
//! Each case is one test, named after its folder (see `harness`). A case
//! with a `known-bug.txt` must fail; if it passes, the marker is stale and
//! the test fails too. A snapshot that differs fails the case after its
//! other snapshots are compared. Run one case with
//! `cargo test --workspace --locked --test cases -- <case>`.

mod harness;

use snapshots::case::{check, Case};
use std::path::Path;
use wasm_prelink::InlineMode;

const MODES: [(InlineMode, &str); 3] = [
    (InlineMode::None, "none"),
    (InlineMode::Auto, "auto"),
    (InlineMode::All, "all"),
];

/// Checks one case; returns what went wrong, if anything.
fn check_case(dir: &Path) -> Result<(), String> {
    let case = Case::load(dir)?;
    if case.script.is_none() {
        return Err("no script.txt".into());
    }
    let unlinked = case.run_unlinked();
    let mut problems = Vec::new();
    let mut differing = Vec::new();
    for (mode, label) in MODES {
        match check(&case, mode, &unlinked) {
            Ok(checked) => differing.extend(match mode {
                InlineMode::None => harness::snapshot("merged-none", || {
                    insta::assert_snapshot!("merged-none", checked.report + &checked.wat)
                }),
                InlineMode::Auto => harness::snapshot("merged-auto", || {
                    insta::assert_snapshot!("merged-auto", checked.report + &checked.wat)
                }),
                InlineMode::All => None,
            }),
            Err(mismatch) => problems.push(format!("inline {label}: {}", mismatch.problem)),
        }
    }
    differing.extend(harness::snapshot("transcript", || {
        insta::assert_snapshot!("transcript", unlinked.to_string())
    }));
    let mut failures: Vec<String> = verdict(problems, case.known_bug.as_deref())
        .err()
        .into_iter()
        .collect();
    failures.extend(differing);
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

/// The case's verdict from the problems of its linked runs: none unless it
/// has a `known-bug.txt` (text `known_bug`), then at least one.
fn verdict(problems: Vec<String>, known_bug: Option<&str>) -> Result<(), String> {
    match (problems.is_empty(), known_bug) {
        (true, None) => Ok(()),
        (false, None) => Err(problems.join("\n")),
        (false, Some(_)) => Ok(()),
        (true, Some(bug)) => Err(format!(
            "passes although known-bug.txt says it exposes a linker bug; remove the marker:\n{bug}"
        )),
    }
}

fn main() {
    let trials = harness::case_dirs("cases")
        .into_iter()
        .map(|dir| harness::trial(dir, check_case))
        .collect();
    harness::run(trials).1.exit();
}
