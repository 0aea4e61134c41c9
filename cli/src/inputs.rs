//! The command's inputs: the app or module, and the builtins and
//! virtualizers given as `--builtin NAME=FILE` and `--virtualize NAME=FILE`.
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

/// Which option an input came from: both read a module the same way and
/// are reported the same way, under their own noun.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `--builtin NAME=FILE`.
    Builtin,
    /// `--virtualize NAME=FILE`.
    Virtualizer,
}

impl Role {
    /// How the library and messages call such an input.
    fn noun(self) -> &'static str {
        match self {
            Role::Builtin => "builtin",
            Role::Virtualizer => "virtualizer",
        }
    }

    fn option(self) -> &'static str {
        match self {
            Role::Builtin => "--builtin",
            Role::Virtualizer => "--virtualize",
        }
    }

    fn name_noun(self) -> &'static str {
        match self {
            Role::Builtin => "builtin name",
            Role::Virtualizer => "module name",
        }
    }
}

/// One `--builtin NAME=FILE` or `--virtualize NAME=FILE`.
pub struct BuiltinArg {
    /// The module name importers use.
    pub name: String,
    /// Where it is read from (`-`: standard input).
    pub file: PathBuf,
    /// The option it came from.
    pub role: Role,
}

impl BuiltinArg {
    /// `builtin `NAME` from `FILE``, for messages.
    pub fn describe(&self) -> String {
        format!(
            "{} `{}` from `{}`",
            self.role.noun(),
            printable(&self.name),
            printable(&self.file.display().to_string())
        )
    }

    /// How the library names this input in its messages.
    pub fn library_name(&self) -> String {
        format!("{} `{}`", self.role.noun(), printable(&self.name))
    }
}

/// Parses every `--builtin` value.
pub fn parse_builtins(specs: &[String]) -> Result<Vec<BuiltinArg>> {
    parse(specs, Role::Builtin)
}

/// Parses every `--virtualize` value, keeping their order (it is the
/// order the layers stack in).
pub fn parse_virtualizers(specs: &[String]) -> Result<Vec<BuiltinArg>> {
    parse(specs, Role::Virtualizer)
}

fn parse(specs: &[String], role: Role) -> Result<Vec<BuiltinArg>> {
    specs
        .iter()
        .map(|spec| {
            let option = role.option();
            let Some((name, file)) = spec.split_once('=') else {
                bail!("`{option} {}` must be NAME=FILE", printable(spec));
            };
            if name.is_empty() {
                bail!(
                    "`{option} {}` has an empty {}",
                    printable(spec),
                    role.name_noun()
                );
            }
            if file.is_empty() {
                bail!("`{option} {}` has an empty file name", printable(spec));
            }
            Ok(BuiltinArg {
                name: name.to_string(),
                file: PathBuf::from(file),
                role,
            })
        })
        .collect()
}

/// Fails when standard input (`-`) is named by more than one input;
/// `app_role` is what the main input is called (`the app`, `the module`).
pub fn check_stdin_once(app: &Path, app_role: &str, builtins: &[&BuiltinArg]) -> Result<()> {
    let mut readers: Vec<String> = Vec::new();
    if is_stdin(app) {
        readers.push(app_role.to_string());
    }
    for builtin in builtins.iter().filter(|b| is_stdin(&b.file)) {
        readers.push(builtin.library_name());
    }
    if readers.len() > 1 {
        bail!(
            "standard input (`-`) is given for {}; it can be read only once, so give all but one of them as files",
            join_and(&readers)
        );
    }
    Ok(())
}

/// Reads every builtin or virtualizer and registers it with `linker`, in
/// the order given.
pub fn add_builtins(mut linker: Linker, builtins: &[&BuiltinArg]) -> Result<Linker> {
    for builtin in builtins {
        // The read error names the file already.
        let bytes = read_input(&builtin.file)
            .with_context(|| format!("cannot read {}", builtin.library_name()))?;
        let added = match builtin.role {
            Role::Builtin => linker.builtin(&builtin.name, bytes),
            Role::Virtualizer => linker.virtualize(&builtin.name, bytes),
        };
        linker = added.with_context(|| format!("cannot load {}", builtin.describe()))?;
    }
    Ok(linker)
}

/// The opening words of a failed link's message: the app, and the file of
/// every builtin the message names (the library names builtins as
/// ``builtin `NAME` ``, always).
pub fn link_failure(error: &LinkError, app: &Path, builtins: &[&BuiltinArg]) -> String {
    let text = error.to_string();
    let files: Vec<String> = builtins
        .iter()
        .filter(|b| text.contains(&b.library_name()))
        .map(|b| b.describe())
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
