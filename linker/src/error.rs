//! Errors a user can cause, each naming the input and the item.
//!
//! The linker collects every resolution problem (missing exports, kind and
//! type mismatches) before failing, so one run shows the whole picture the
//! way Binaryen's merge does. Messages are lower-case with backticked names
//! and say what was expected and what was found.
//!
//! Names come from the inputs, and an input can put anything in a name:
//! an escape sequence that recolours or clears the terminal, a carriage
//! return that overwrites the start of the line, a right-to-left override
//! that makes the text read differently from what it is. Every name and
//! every message quoting the inputs goes through [`printable`] on its way
//! into a message, so what the user reads is what the input says.

use std::borrow::Cow;
use std::fmt;

/// `text` with every control character and every bidirectional
/// formatting character escaped the way Rust writes them (`\u{1b}`, `\n`);
/// borrowed when there is none.
pub fn printable(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// Like [`printable`], but keeps line breaks: for multi-line messages of
/// the parsers, which quote the input.
pub fn printable_lines(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

fn escape(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && !(keep_newlines && c == '\n'))
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            escaped.extend(c.escape_default());
        } else {
            escaped.push(c);
        }
    }
    Cow::Owned(escaped)
}

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
            InputName::Builtin(name) => write!(f, "builtin `{}`", printable(name)),
            InputName::Virtualizer { name, layer: 1 } => {
                write!(f, "virtualizer `{}`", printable(name))
            }
            InputName::Virtualizer { name, layer } => {
                write!(f, "virtualizer `{}` (layer {layer})", printable(name))
            }
        }
    }
}

/// Everything that can make a link fail.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// An input is neither a valid binary module nor valid text.
    #[error("{input} is not a valid WebAssembly module: {}", printable_lines(.message))]
    Invalid {
        /// The input at fault.
        input: InputName,
        /// The parser's or validator's message, with its byte offset.
        message: String,
    },
    /// An input is neither binary nor text: empty, a fragment, another
    /// format, or text behind a byte-order mark.
    #[error("{input} is not a WebAssembly module (binary or text): {}", printable(.seen))]
    NotAModule {
        /// The input at fault.
        input: InputName,
        /// What it looks like instead.
        seen: String,
    },
    /// Two builtins were registered under one name.
    #[error("builtin `{}` is given twice", printable(.0))]
    DuplicateBuiltin(String),
    /// One name given both as a builtin and as a virtualizer.
    #[error("`{0}` is given both as a builtin and as a virtualizer; a builtin implements all of a module, a virtualizer wraps the host's, so give one of them")]
    BuiltinAndVirtualizer(String),
    /// A builtin name that can never be imported.
    #[error("builtin name `{}` is not usable: {reason}", printable(.name))]
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
    /// A reference to an intrinsic could reach the app; every way is listed
    /// (see `linker/src/trust.rs`).
    #[error("{}", format_escapes(.0))]
    IntrinsicEscapes(Vec<Escape>),
    /// The linker produced an invalid module: a bug in the linker, never written out.
    #[error("internal error: the linked module does not validate ({0}); please report this with the inputs")]
    InvalidOutput(String),
    /// The app's source map could not be read.
    #[error("the app's source map: {message}")]
    SourceMap {
        /// What is wrong with it.
        message: String,
    },
    /// A construct the linker does not handle.
    #[error("{input} uses {}, which the linker does not support", printable(.what))]
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
            printable(&self.import),
            self.importer,
            printable(&self.problem)
        )
    }
}

/// One way a reference to an intrinsic could reach the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escape {
    /// The builtin whose export or host import lets the reference out.
    pub builtin: String,
    /// Which export or import, and why it can carry the reference.
    pub route: Route,
    /// The intrinsics that could get out, as `namespace::name`.
    pub intrinsics: Vec<String>,
    /// The builtins that take the references (empty when the export is the
    /// intrinsic itself).
    pub holders: Vec<String>,
}

/// How a reference to an intrinsic leaves the builtins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// The app imports an export that is the intrinsic itself, re-exported.
    ExportIsIntrinsic {
        /// The export's name.
        export: String,
    },
    /// The app imports an export whose type can carry function references.
    Export {
        /// The export's name.
        export: String,
        /// Its type in text format.
        ty: String,
    },
    /// The builtin imports from the host an item whose type can carry
    /// function references; the host could pass them on to the app.
    HostImport {
        /// `module::name` of the import.
        import: String,
        /// Its type in text format.
        ty: String,
    },
}

impl fmt::Display for Escape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let builtin = &self.builtin;
        match &self.route {
            Route::ExportIsIntrinsic { export } => {
                return write!(
                    f,
                    "export `{export}` of builtin `{builtin}` is the intrinsic {} itself; the app may only call a builtin's own functions",
                    listing(&self.intrinsics)
                );
            }
            Route::Export { export, ty } => write!(
                f,
                "export `{export}` of builtin `{builtin}` is `{ty}`, which can carry function references"
            )?,
            Route::HostImport { import, ty } => write!(
                f,
                "import `{import}` of builtin `{builtin}` is `{ty}`, which can hand function references to the host and through it to the app"
            )?,
        }
        let (subject, verb) = match self.holders.as_slice() {
            [one] => (format!("builtin `{one}`"), "takes"),
            many => (format!("builtins {}", listing(many)), "take"),
        };
        let object = match self.intrinsics.as_slice() {
            [one] => format!("a reference to the intrinsic `{one}`"),
            many => format!("references to the intrinsics {}", listing(many)),
        };
        write!(f, ", and {subject} {verb} {object}")?;
        if !self.holders.contains(builtin) {
            let verb = if self.holders.len() == 1 {
                "shares"
            } else {
                "share"
            };
            write!(
                f,
                " and {verb} function references with builtin `{builtin}`"
            )?;
        }
        Ok(())
    }
}

fn listing(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn format_escapes(escapes: &[Escape]) -> String {
    match escapes {
        [one] => format!("the app could obtain an intrinsic: {one}"),
        many => {
            let mut text = format!("the app could obtain an intrinsic in {} ways:", many.len());
            for escape in many {
                text.push_str("\n  - ");
                text.push_str(&escape.to_string());
            }
            text
        }
    }
}

fn format_cycle(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{}`", printable(n)))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(printable("get"), "get");
        assert_eq!(printable("a\u{1b}[2Jb\rc\n"), "a\\u{1b}[2Jb\\rc\\n");
        assert_eq!(printable("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(printable_lines("one\ntwo\u{7}"), "one\ntwo\\u{7}");
        let error = LinkError::DuplicateBuiltin("evil\u{1b}]0;title\u{7}".into());
        assert_eq!(
            error.to_string(),
            "builtin `evil\\u{1b}]0;title\\u{7}` is given twice"
        );
    }
}
