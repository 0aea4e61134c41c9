//! Inputs that must not link: every case under `tests/errors/` (same layout
//! as a differential case, without a script) must fail, and the error's
//! text is snapshotted so its wording — naming the input and item, listing
//! what was expected and found — is reviewed like any other output.
//!
//! Every case is linked in every inline mode and must fail the same way in
//! each: refusing an input never depends on how much is inlined afterwards.
//!
//! Each case is one test, named after its folder (see `harness`). Run one
//! case with `cargo test --workspace --locked --test errors -- <case>`.

mod harness;

use snapshots::case::Case;
use std::path::Path;
use wasm_prelink::InlineMode;

/// The inline modes every error case is linked with.
const MODES: [InlineMode; 3] = [InlineMode::None, InlineMode::Auto, InlineMode::All];

fn check_error(dir: &Path) -> Result<(), String> {
    let case = Case::load(dir)?;
    let mut messages = Vec::with_capacity(MODES.len());
    for mode in MODES {
        match case.link(mode) {
            Ok(_) => return Err(format!("linked with {mode:?}, but must fail")),
            Err(error) => messages.push((mode, error.to_string())),
        }
    }
    let (_, first) = &messages[0];
    if let Some((mode, other)) = messages.iter().find(|(_, m)| m != first) {
        return Err(format!(
            "fails differently with {mode:?}:\n{other}\nthan with {:?}:\n{first}",
            MODES[0]
        ));
    }
    match harness::snapshot("error", || insta::assert_snapshot!("error", first)) {
        Some(differs) => Err(differs),
        None => Ok(()),
    }
}

fn main() {
    let trials = harness::case_dirs("errors")
        .into_iter()
        .map(|dir| harness::trial(dir, check_error))
        .collect();
    harness::run(trials).1.exit();
}
