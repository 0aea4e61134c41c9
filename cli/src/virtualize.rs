//! `--virtualize NAME=FILE`, shared by `link` and `run`.
//!
//! A virtualizer implements part of host module NAME and wraps the rest
//! (see `wasm_prelink::virtualize`). On the command line it is read like a
//! builtin — binary or text, `-` for stdin — and its problems are reported
//! the same way, naming the option and the file. Repeating the option for
//! one NAME stacks virtualizers in the order given, each wrapping the ones
//! before it.

use anyhow::{bail, Context, Result};
use std::path::Path;
use wasm_prelink::{Linker, Report};

/// Splits one `--virtualize` value into its name and file.
fn parse(spec: &str) -> Result<(&str, &str)> {
    let Some((name, file)) = spec.split_once('=') else {
        bail!("`--virtualize {spec}` must be NAME=FILE");
    };
    if name.is_empty() {
        bail!("`--virtualize {spec}` has an empty module name");
    }
    if file.is_empty() {
        bail!("`--virtualize {spec}` has an empty file name");
    }
    Ok((name, file))
}

/// Registers every `--virtualize` value with `linker`, in the order given.
pub(crate) fn add(mut linker: Linker, specs: &[String]) -> Result<Linker> {
    for spec in specs {
        let (name, file) = parse(spec)?;
        let bytes = crate::read_input(Path::new(file))
            .with_context(|| format!("cannot read virtualizer `{name}`"))?;
        linker = linker
            .virtualize(name, bytes)
            .with_context(|| format!("in `{file}`"))?;
    }
    Ok(linker)
}

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
