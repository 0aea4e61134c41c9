//! The differential suite: every case under `tests/cases/` is linked in each
//! inline mode and run linked and unlinked; the runs must agree exactly.
//!
//! Per case this also checks that two links give byte-identical output and
//! that the output validates, and snapshots the merged module (`none` and
//! `auto`, since the inliner changes the latter) and the transcript. The
//! transcript snapshot is the reference run's, so it pins what the *program*
//! does — a change there means a case changed, not the linker.
//!
//! Every case is checked before the test fails, and failures are listed
//! together. A case with a `known-bug.txt` must fail; if it passes, the
//! marker is stale and the test fails too. Run one case with
//! `INSTA_GLOB_FILTER=<case> cargo test -p snapshots --test cases`.

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
    for (mode, label) in MODES {
        match check(&case, mode, &unlinked) {
            Ok(checked) => match mode {
                InlineMode::None => {
                    insta::assert_snapshot!("merged-none", checked.report + &checked.wat)
                }
                InlineMode::Auto => {
                    insta::assert_snapshot!("merged-auto", checked.report + &checked.wat)
                }
                InlineMode::All => {}
            },
            Err(mismatch) => problems.push(format!("inline {label}: {}", mismatch.problem)),
        }
    }
    insta::assert_snapshot!("transcript", unlinked.to_string());
    match (problems.is_empty(), &case.known_bug) {
        (true, None) => Ok(()),
        (false, None) => Err(problems.join("\n")),
        (false, Some(_)) => Ok(()),
        (true, Some(bug)) => Err(format!(
            "passes although known-bug.txt says it exposes a linker bug; remove the marker:\n{bug}"
        )),
    }
}

#[test]
fn linked_and_unlinked_runs_agree() {
    let mut failures = Vec::new();
    let mut count = 0;
    insta::glob!("cases", "?*", |dir| {
        count += 1;
        if let Err(problem) = check_case(dir) {
            let name = dir.file_name().unwrap_or_default().to_string_lossy();
            let failure = format!("case `{name}`:\n{problem}");
            // Printed now as well: a snapshot failure ends the glob with a
            // panic before the summary below is reached.
            eprintln!("{failure}\n");
            failures.push(failure);
        }
    });
    assert!(count > 0, "no cases found");
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
