//! Errors: a [`Trap`] is Wasm-level failure of a running program (its kind
//! is part of Wasm semantics and what the spec tests compare), an [`Error`]
//! is everything that stops a module from compiling or instantiating, or a
//! misuse of the API.

use cranelift_codegen::ir::TrapCode;

use crate::values::{FuncType, ValType};

/// Why a Wasm program stopped abnormally.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Trap {
    /// A linear-memory access, a bulk memory operation or a checked native
    /// intrinsic was out of bounds.
    #[error("out of bounds memory access")]
    MemoryOutOfBounds,
    /// A table access or bulk table operation was out of bounds.
    #[error("undefined element: out of bounds table access")]
    TableOutOfBounds,
    /// `call_indirect` found a null entry.
    #[error("uninitialized element: indirect call to null")]
    IndirectCallToNull,
    /// `call_indirect` found a function of another signature.
    #[error("indirect call type mismatch")]
    BadSignature,
    /// `unreachable` was executed.
    #[error("unreachable")]
    Unreachable,
    /// Integer division or remainder by zero.
    #[error("integer divide by zero")]
    IntegerDivisionByZero,
    /// Signed division overflow (`INT_MIN / -1`).
    #[error("integer overflow")]
    IntegerOverflow,
    /// A float-to-int conversion of NaN or an out-of-range value.
    #[error("invalid conversion to integer")]
    BadConversionToInteger,
    /// The Wasm stack limit was reached.
    #[error("call stack exhausted")]
    StackOverflow,
    /// A null reference was dereferenced.
    #[error("null reference")]
    NullReference,
    /// A misaligned atomic access.
    #[error("unaligned atomic")]
    HeapMisaligned,
    /// A load or store in compiled code faulted outside every linear
    /// memory: a native intrinsic was given an address that is not mapped
    /// (a bug in a trusted builtin). Linear-memory accesses never end here:
    /// their guard-page faults are [`Trap::MemoryOutOfBounds`].
    #[error("native access fault at address {address:#x}: a native load or store of trusted builtin code touched unmapped memory")]
    NativeAccessFault {
        /// The faulting address the operating system reported.
        address: u64,
    },
    /// The call was stopped from outside: by an
    /// [`InterruptHandle`](crate::InterruptHandle), or because the store's
    /// epoch deadline passed (see
    /// [`Config::epoch_interruption`](crate::Config::epoch_interruption)).
    #[error("interrupted")]
    Interrupt,
    /// A host function returned an error.
    #[error("host function failed: {0}")]
    Host(String),
}

impl Trap {
    /// The trap a Cranelift trap code stands for.
    pub(crate) fn from_code(code: TrapCode) -> Trap {
        match code {
            TrapCode::StackOverflow => Trap::StackOverflow,
            TrapCode::HeapOutOfBounds => Trap::MemoryOutOfBounds,
            TrapCode::HeapMisaligned => Trap::HeapMisaligned,
            TrapCode::TableOutOfBounds => Trap::TableOutOfBounds,
            TrapCode::IndirectCallToNull => Trap::IndirectCallToNull,
            TrapCode::BadSignature => Trap::BadSignature,
            TrapCode::IntegerOverflow => Trap::IntegerOverflow,
            TrapCode::IntegerDivisionByZero => Trap::IntegerDivisionByZero,
            TrapCode::BadConversionToInteger => Trap::BadConversionToInteger,
            TrapCode::UnreachableCodeReached => Trap::Unreachable,
            TrapCode::NullReference | TrapCode::NullI31Ref => Trap::NullReference,
            TrapCode::Interrupt => Trap::Interrupt,
            TrapCode::User(_) => Trap::Host("trap with an unknown code".to_owned()),
        }
    }
}

impl Error {
    /// The trap, if this error is one.
    pub fn trap(&self) -> Option<&Trap> {
        match self {
            Error::Trap(trap) => Some(trap),
            _ => None,
        }
    }
}

/// Anything other than a trap that stops compiling, instantiating or
/// calling.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The module is invalid or uses a feature this runtime lacks.
    #[error("cannot compile the module: {0}")]
    Compile(String),
    /// The lowering plugin rejected an intrinsic import.
    #[error(transparent)]
    Lowering(#[from] wasm_prelink_lowering::Error),
    /// An import has no definition.
    #[error("unknown import `{module}::{name}`")]
    UnknownImport {
        /// Import module name.
        module: String,
        /// Import field name.
        name: String,
    },
    /// An import's definition has the wrong kind or type.
    #[error("incompatible import type for `{module}::{name}`: {reason}")]
    IncompatibleImport {
        /// Import module name.
        module: String,
        /// Import field name.
        name: String,
        /// What does not match.
        reason: String,
    },
    /// No export of that name (or of that kind).
    #[error("the module has no {kind} export `{name}`{hint}")]
    UnknownExport {
        /// The kind looked for.
        kind: &'static str,
        /// The name looked for.
        name: String,
        /// The available names, when helpful.
        hint: String,
    },
    /// Arguments do not match the signature.
    #[error("`{name}` has type {ty}, it was called with {found}")]
    ArgumentMismatch {
        /// The function called.
        name: String,
        /// Its signature.
        ty: FuncType,
        /// Description of what was passed.
        found: String,
    },
    /// A value's type does not fit.
    #[error("expected a value of type {expected}, found {found}")]
    ValueType {
        /// The required type.
        expected: ValType,
        /// The type found.
        found: ValType,
    },
    /// Wasm trapped: in a call, in the start function or in a segment
    /// initializer.
    #[error("wasm trap: {0}")]
    Trap(Trap),
    /// A handle from another store, or a module from another engine.
    #[error("{0} belongs to another store or engine")]
    ForeignItem(&'static str),
    /// The operating system refused a memory reservation.
    #[error("cannot reserve memory: {0}")]
    Memory(String),
}
