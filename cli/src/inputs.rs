//! The command's inputs: the app or module, and the builtins given as
//! `--builtin NAME=FILE`.
//!
//! A builtin has two names a user may need to see: the module name its
//! importers use (`host-buf`) and the file it came from. The library only
//! knows the first, so every error about a builtin is given the file here,
//! once, in the message's opening words: "cannot link `app.wat` with
//! builtin `host-buf` from `partial.wat`: …".
//!
//! Standard input can be read once. `-` given for two inputs would hand the
//! second an empty module, or the first a concatenation of two; the command
//! refuses it before reading anything and names both uses.

use anyhow::{bail, Context, Result};
use std::io::Read;
use std::path::{Path, PathBuf};
use wasm_prelink::error::printable;
use wasm_prelink::{LinkError, Linker};

/// One `--builtin NAME=FILE`.
pub struct BuiltinArg {
    /// The module name importers use.
    pub name: String,
    /// Where it is read from (`-`: standard input).
    pub file: PathBuf,
}

impl BuiltinArg {
    /// `builtin `NAME` from `FILE``, for messages.
    pub fn describe(&self) -> String {
        format!(
            "builtin `{}` from `{}`",
            printable(&self.name),
            printable(&self.file.display().to_string())
        )
    }
}

/// Parses every `--builtin` value.
pub fn parse_builtins(specs: &[String]) -> Result<Vec<BuiltinArg>> {
    specs
        .iter()
        .map(|spec| {
            let Some((name, file)) = spec.split_once('=') else {
                bail!("`--builtin {}` must be NAME=FILE", printable(spec));
            };
            if name.is_empty() {
                bail!("`--builtin {}` has an empty builtin name", printable(spec));
            }
            Ok(BuiltinArg {
                name: name.to_string(),
                file: PathBuf::from(file),
            })
        })
        .collect()
}

/// Fails when standard input (`-`) is named by more than one input;
/// `app_role` is what the main input is called (`the app`, `the module`).
pub fn check_stdin_once(app: &Path, app_role: &str, builtins: &[BuiltinArg]) -> Result<()> {
    let mut readers: Vec<String> = Vec::new();
    if is_stdin(app) {
        readers.push(app_role.to_string());
    }
    for builtin in builtins.iter().filter(|b| is_stdin(&b.file)) {
        readers.push(format!("builtin `{}`", printable(&builtin.name)));
    }
    if readers.len() > 1 {
        bail!(
            "standard input (`-`) is given for {}; it can be read only once, so give all but one of them as files",
            join_and(&readers)
        );
    }
    Ok(())
}

/// Reads every builtin and registers it with `linker`.
pub fn add_builtins(mut linker: Linker, builtins: &[BuiltinArg]) -> Result<Linker> {
    for builtin in builtins {
        // The read error names the file already.
        let bytes = read_input(&builtin.file)
            .with_context(|| format!("cannot read builtin `{}`", printable(&builtin.name)))?;
        linker = linker
            .builtin(&builtin.name, bytes)
            .with_context(|| format!("cannot load {}", builtin.describe()))?;
    }
    Ok(linker)
}

/// The opening words of a failed link's message: the app, and the file of
/// every builtin the message names (the library names builtins as
/// ``builtin `NAME` ``, always).
pub fn link_failure(error: &LinkError, app: &Path, builtins: &[BuiltinArg]) -> String {
    let text = error.to_string();
    let files: Vec<String> = builtins
        .iter()
        .filter(|b| text.contains(&format!("builtin `{}`", printable(&b.name))))
        .map(BuiltinArg::describe)
        .collect();
    let app = printable(&app.display().to_string()).into_owned();
    if files.is_empty() {
        format!("cannot link `{app}`")
    } else {
        format!("cannot link `{app}` with {}", join_and(&files))
    }
}

/// Reads a file, or standard input for `-`.
pub fn read_input(path: &Path) -> Result<Vec<u8>> {
    if is_stdin(path) {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
        return Ok(bytes);
    }
    std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))
}

fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// `a`, `a and b`, `a, b and c`.
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
