//! Errors a user can cause, each naming the input and the item.
//!
//! The linker collects every resolution problem (missing exports, kind and
//! type mismatches) before failing, so one run shows the whole picture the
//! way Binaryen's merge does. Messages are lower-case with backticked names
//! and say what was expected and what was found.

use std::fmt;

/// Which input of a link an error is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InputName {
    /// The application module.
    App,
    /// The builtin registered under this name.
    Builtin(String),
    /// A virtualizer of host module `name`; `layer` counts from 1, the
    /// layer closest to the host, and is shown from the second layer on.
    Virtualizer {
        /// The host module it virtualizes.
        name: String,
        /// Its position in the stack of virtualizers of `name`.
        layer: usize,
    },
}

impl fmt::Display for InputName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputName::App => f.write_str("the app"),
            InputName::Builtin(name) => write!(f, "builtin `{name}`"),
            InputName::Virtualizer { name, layer: 1 } => write!(f, "virtualizer `{name}`"),
            InputName::Virtualizer { name, layer } => {
                write!(f, "virtualizer `{name}` (layer {layer})")
            }
        }
    }
}

/// Everything that can make a link fail.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// An input is neither a valid binary module nor valid text.
    #[error("{input} is not a valid WebAssembly module: {message}")]
    Invalid {
        /// The input at fault.
        input: InputName,
        /// The parser's or validator's message, with its byte offset.
        message: String,
    },
    /// Two builtins were registered under one name.
    #[error("builtin `{0}` is given twice")]
    DuplicateBuiltin(String),
    /// One name given both as a builtin and as a virtualizer.
    #[error("`{0}` is given both as a builtin and as a virtualizer; a builtin implements all of a module, a virtualizer wraps the host's, so give one of them")]
    BuiltinAndVirtualizer(String),
    /// A builtin name that can never be imported.
    #[error("builtin name `{name}` is not usable: {reason}")]
    BadBuiltinName {
        /// The name given.
        name: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// The builtins import each other in a cycle.
    #[error("builtins import each other in a cycle: {}", format_cycle(.0))]
    Cycle(Vec<String>),
    /// One or more imports could not be resolved; every problem is listed.
    #[error("{}", format_all(.0))]
    Unresolved(Vec<ResolveError>),
    /// The linker produced an invalid module: a bug in the linker, never written out.
    #[error("internal error: the linked module does not validate ({0}); please report this with the inputs")]
    InvalidOutput(String),
    /// A construct the linker does not handle.
    #[error("{input} uses {what}, which the linker does not support")]
    Unsupported {
        /// The input at fault.
        input: InputName,
        /// What it uses.
        what: String,
    },
}

/// One problem found while resolving imports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveError {
    /// The importing input.
    pub importer: InputName,
    /// `module::name` of the import.
    pub import: String,
    /// What is wrong.
    pub problem: String,
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "import `{}` of {} {}",
            self.import, self.importer, self.problem
        )
    }
}

fn format_cycle(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(" -> ")
}

fn format_all(errors: &[ResolveError]) -> String {
    match errors {
        [one] => one.to_string(),
        many => {
            let mut text = format!("{} imports cannot be resolved:", many.len());
            for error in many {
                text.push_str("\n  - ");
                text.push_str(&error.to_string());
            }
            text
        }
    }
}
