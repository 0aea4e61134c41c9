//! Inputs that must not link: every case under `tests/errors/` (same layout
//! as a differential case, without a script) must fail, and the error's
//! text is snapshotted so its wording — naming the input and item, listing
//! what was expected and found — is reviewed like any other output.

use snapshots::case::Case;
use std::path::Path;
use wasm_prelink::InlineMode;

fn check_error(dir: &Path) -> Result<(), String> {
    let case = Case::load(dir)?;
    match case.link(InlineMode::None) {
        Ok(_) => Err("linked, but must fail".into()),
        Err(error) => {
            insta::assert_snapshot!("error", error.to_string());
            Ok(())
        }
    }
}

#[test]
fn bad_inputs_are_rejected_with_a_clear_message() {
    let mut failures = Vec::new();
    let mut count = 0;
    insta::glob!("errors", "?*", |dir| {
        count += 1;
        if let Err(problem) = check_error(dir) {
            let name = dir.file_name().unwrap_or_default().to_string_lossy();
            failures.push(format!("case `{name}`: {problem}"));
        }
    });
    assert!(count > 0, "no error cases found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
