//! `--virtualize NAME=FILE`, shared by `link` and `run`.
//!
//! A virtualizer implements part of host module NAME and wraps the rest
//! (see `wasm_prelink::virtualize`). On the command line it is read like a
//! builtin — binary or text, `-` for stdin — and its problems are reported
//! the same way, naming the option and the file (`inputs.rs`). Repeating the option for
//! one NAME stacks virtualizers in the order given, each wrapping the ones
//! before it.

use anyhow::{bail, Result};
use wasm_prelink::Report;

/// Fails when a virtualizer provided nothing: no input imports a name it
/// exports from the module it virtualizes, which is almost always a wrong
/// module name or a misspelled export.
pub(crate) fn check_used(report: &Report, app_imports: &str) -> Result<()> {
    if let Some(unused) = report.unused_virtualizers.first() {
        bail!(
            "virtualizer `{unused}` exports nothing the app or a builtin imports from `{unused}`; check the name and its exports (the app imports from {app_imports})"
        );
    }
    Ok(())
}
