//! Errors, each naming the import it is about.
//!
//! A module that imports from the intrinsics namespace is a trusted builtin
//! (or a module a builtin was merged into), so a mistake there is a bug in
//! the host's own code, and the message must lead straight to it: it names
//! the import as `namespace::name`, and for a signature mismatch shows both
//! types as WAT. Every bad import is collected before failing, so one run
//! reports them all; the byte offset of each import is kept in the value for
//! tools that want to point into the binary.

use core::fmt;

use cranelift_wasm::wasmparser::BinaryReaderError;
use cranelift_wasm::FuncIndex;

use crate::intrinsics::{Intrinsic, KnownNames};

/// An import in the intrinsics namespace that cannot be lowered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// The name is not in the intrinsics table.
    #[error(
        "import `{module}::{name}` is not a known intrinsic (known: {})",
        KnownNames
    )]
    UnknownIntrinsic {
        /// The namespace (module name) of the import.
        module: String,
        /// The field name of the import.
        name: String,
        /// Byte offset of the import in the module.
        offset: usize,
    },
    /// The name is known but the declared type is not the intrinsic's.
    #[error("import `{module}::{name}` has type `{found}`, the intrinsic requires `{}`", .intrinsic.signature_text())]
    WrongSignature {
        /// The namespace (module name) of the import.
        module: String,
        /// The field name of the import.
        name: String,
        /// The intrinsic the name refers to.
        intrinsic: Intrinsic,
        /// The declared type, as WAT.
        found: String,
        /// Byte offset of the import in the module.
        offset: usize,
    },
    /// The import is a table, memory, global or tag, not a function.
    #[error("import `{module}::{name}` is a {kind}, but intrinsics are functions")]
    NotAFunction {
        /// The namespace (module name) of the import.
        module: String,
        /// The field name of the import.
        name: String,
        /// `table`, `memory`, `global` or `tag`.
        kind: &'static str,
        /// Byte offset of the import in the module.
        offset: usize,
    },
    /// The import's type index does not name a function type.
    #[error("import `{module}::{name}` refers to type {type_index}, which is not a function type")]
    BadTypeIndex {
        /// The namespace (module name) of the import.
        module: String,
        /// The field name of the import.
        name: String,
        /// The type index the import declares.
        type_index: u32,
        /// Byte offset of the import in the module.
        offset: usize,
    },
}

/// Where an intrinsic import is used other than as the target of a direct
/// `call` or `return_call`.
///
/// Such a use keeps the import: the value reaching the program is a real
/// function reference, so the runtime must supply the host implementation
/// (see [`crate::host`]). Reported so a runtime can either register those or,
/// following the trust boundary, refuse the module.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UseSite {
    /// A `ref.func` instruction in the body of this defined function.
    RefFunc {
        /// The function containing the instruction.
        function: FuncIndex,
    },
    /// An active or passive element segment (its index).
    Element {
        /// Index of the segment in the element section.
        segment: u32,
    },
    /// The initializer of this global.
    Global {
        /// Index of the global, counting imported globals.
        global: u32,
    },
    /// An export.
    Export {
        /// Index of the export in the export section (names are in
        /// [`IndirectUse::export_name`]).
        export: u32,
    },
}

/// One use of an intrinsic import other than a direct call.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IndirectUse {
    /// The namespace the intrinsic was imported from.
    pub module: String,
    /// The intrinsic.
    pub intrinsic: Intrinsic,
    /// The imported function's index.
    pub function: FuncIndex,
    /// Where the reference is.
    pub site: UseSite,
    /// The export name, for [`UseSite::Export`].
    pub export_name: Option<String>,
}

impl fmt::Display for IndirectUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "import `{}::{}` ", self.module, self.intrinsic.name())?;
        match self.site {
            UseSite::RefFunc { function } => {
                write!(f, "is used by `ref.func` in function {}", function.as_u32())?
            }
            UseSite::Element { segment } => write!(f, "is placed in element segment {segment}")?,
            UseSite::Global { global } => write!(f, "initializes global {global}")?,
            UseSite::Export { .. } => write!(
                f,
                "is exported as `{}`",
                self.export_name.as_deref().unwrap_or_default()
            )?,
        }
        f.write_str(", so it cannot be lowered and needs the host implementation")
    }
}

/// Why [`crate::Intrinsics::from_module`] (or a check on its result) failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The module could not be parsed.
    #[error("invalid module at byte offset {offset:#x}: {message}")]
    Parse {
        /// The parser's message.
        message: String,
        /// Where in the module it stopped.
        offset: usize,
    },
    /// One or more intrinsic imports are malformed; every one is listed.
    #[error("{}", join_lines(.0))]
    Imports(Vec<ImportError>),
    /// Intrinsics are used other than by direct call and the caller asked
    /// for that to be refused ([`crate::Intrinsics::deny_indirect_uses`]).
    #[error("{}", join_lines(.0))]
    IndirectUses(Vec<IndirectUse>),
}

impl From<BinaryReaderError> for Error {
    fn from(error: BinaryReaderError) -> Self {
        Error::Parse {
            message: error.message().to_owned(),
            offset: error.offset(),
        }
    }
}

fn join_lines<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}
