//! The unsafe intrinsics, written down once.
//!
//! Every part of wasm-prelink that knows about intrinsics — the linker
//! checking a builtin's imports, the lowering plugin turning calls into
//! machine loads and stores, the test host implementing them for Wasmtime,
//! the component wrapper declaring Wasmtime's instance type — expands the
//! same rows of [`for_each_intrinsic!`]. A row gives the import name, what
//! the intrinsic does, and its signature in the component model's interface
//! types (`u8` … `u64`), exactly as Wasmtime's own table writes it; the core
//! Wasm signature follows from those types (`u8`/`u16`/`u32` travel as
//! `i32`, `u64` as `i64`), so the two views can never disagree.
//!
//! The crate has no dependencies and no `unsafe`: it is facts, not code that
//! touches memory, and every consumer (including ones that must stay free of
//! Cranelift or Wasmtime) can afford it.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use core::fmt;
use core::str::FromStr;

/// The namespace intrinsics are imported from unless configured otherwise,
/// and the name of the instance Wasmtime serves them as.
pub const DEFAULT_NAMESPACE: &str = "unsafe-intrinsics";

/// Invokes `$mac!` with one row per intrinsic.
///
/// A row reads `Variant "import-name" operation(param: type, ...) -> type;`
/// where `operation` is one of `store_data_address`, `load`, `store`,
/// `checked_load` and `checked_store`, and the types are component-model
/// unsigned integers. Exported so that a consumer can generate its own
/// per-intrinsic code (host functions, trampolines) from the same rows.
#[macro_export]
macro_rules! for_each_intrinsic {
    ($mac:ident) => {
        $mac! {
            StoreDataAddress "store-data-address" store_data_address() -> u64;

            U8NativeLoad "u8-native-load" load(address: u64) -> u8;
            U16NativeLoad "u16-native-load" load(address: u64) -> u16;
            U32NativeLoad "u32-native-load" load(address: u64) -> u32;
            U64NativeLoad "u64-native-load" load(address: u64) -> u64;

            U8NativeStore "u8-native-store" store(address: u64, value: u8);
            U16NativeStore "u16-native-store" store(address: u64, value: u16);
            U32NativeStore "u32-native-store" store(address: u64, value: u32);
            U64NativeStore "u64-native-store" store(address: u64, value: u64);

            U8CheckedNativeLoad "u8-checked-native-load" checked_load(base_address: u64, offset: u64, length: u64) -> u8;
            U16CheckedNativeLoad "u16-checked-native-load" checked_load(base_address: u64, offset: u64, length: u64) -> u16;
            U32CheckedNativeLoad "u32-checked-native-load" checked_load(base_address: u64, offset: u64, length: u64) -> u32;
            U64CheckedNativeLoad "u64-checked-native-load" checked_load(base_address: u64, offset: u64, length: u64) -> u64;

            U8CheckedNativeStore "u8-checked-native-store" checked_store(base_address: u64, offset: u64, length: u64, value: u8);
            U16CheckedNativeStore "u16-checked-native-store" checked_store(base_address: u64, offset: u64, length: u64, value: u16);
            U32CheckedNativeStore "u32-checked-native-store" checked_store(base_address: u64, offset: u64, length: u64, value: u32);
            U64CheckedNativeStore "u64-checked-native-store" checked_store(base_address: u64, offset: u64, length: u64, value: u64);
        }
    };
}

/// A component-model unsigned integer, the type of every intrinsic
/// parameter and result.
///
/// The width is also the width of the native access: `u16-native-load`
/// reads two bytes because its result is a `u16`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scalar {
    /// `u8`
    U8,
    /// `u16`
    U16,
    /// `u32`
    U32,
    /// `u64`
    U64,
}

impl Scalar {
    /// The core Wasm type that carries it: core Wasm has no integers
    /// narrower than 32 bits, so the small ones travel zero-extended in an
    /// `i32`.
    pub const fn core(self) -> ValType {
        match self {
            Scalar::U8 | Scalar::U16 | Scalar::U32 => ValType::I32,
            Scalar::U64 => ValType::I64,
        }
    }

    /// Its size in bytes.
    pub const fn bytes(self) -> u32 {
        match self {
            Scalar::U8 => 1,
            Scalar::U16 => 2,
            Scalar::U32 => 4,
            Scalar::U64 => 8,
        }
    }

    /// Its name in WIT and the component text format.
    pub const fn name(self) -> &'static str {
        match self {
            Scalar::U8 => "u8",
            Scalar::U16 => "u16",
            Scalar::U32 => "u32",
            Scalar::U64 => "u64",
        }
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A core Wasm value type of an intrinsic's signature.
///
/// Intrinsics only take and return integers, so two variants suffice, which
/// keeps signature checks exact comparisons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValType {
    /// `i32`
    I32,
    /// `i64`
    I64,
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
        })
    }
}

/// What an intrinsic does; consumers dispatch on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    /// Produce the address of the embedder's store data.
    StoreDataAddress,
    /// Load from an address, zero-extended to the result.
    Load,
    /// Truncate the value and store it at an address.
    Store,
    /// Trap unless `offset + size <= length` (without overflow), then load
    /// from `base_address + offset`.
    CheckedLoad,
    /// The same check, then store at `base_address + offset`.
    CheckedStore,
}

/// One named parameter of an intrinsic, as Wasmtime's table names it (the
/// names appear in the component type an embedder sees).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Param {
    /// The parameter's name, e.g. `base_address`.
    pub name: &'static str,
    /// Its interface type.
    pub ty: Scalar,
}

macro_rules! operation_of {
    (store_data_address) => {
        Operation::StoreDataAddress
    };
    (load) => {
        Operation::Load
    };
    (store) => {
        Operation::Store
    };
    (checked_load) => {
        Operation::CheckedLoad
    };
    (checked_store) => {
        Operation::CheckedStore
    };
}

macro_rules! scalar_of {
    (u8) => {
        Scalar::U8
    };
    (u16) => {
        Scalar::U16
    };
    (u32) => {
        Scalar::U32
    };
    (u64) => {
        Scalar::U64
    };
}

/// The core type a scalar travels as; [`Scalar::core`] says the same, but a
/// `&'static` slice needs the variant written out.
macro_rules! core_of {
    (u8) => {
        ValType::I32
    };
    (u16) => {
        ValType::I32
    };
    (u32) => {
        ValType::I32
    };
    (u64) => {
        ValType::I64
    };
}

macro_rules! result_of {
    () => {
        None
    };
    ($result:ident) => {
        Some(scalar_of!($result))
    };
}

macro_rules! define_intrinsics {
    ($(
        $variant:ident $name:literal $operation:ident($($param:ident : $param_ty:ident),*)
            $(-> $result:ident)?;
    )*) => {
        /// One of the unsafe intrinsics a trusted builtin may import.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Intrinsic {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
        }

        impl Intrinsic {
            /// Every intrinsic, in table order.
            pub const ALL: &'static [Intrinsic] = &[$(Intrinsic::$variant),*];

            /// The import name within the intrinsics namespace.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Intrinsic::$variant => $name,)*
                }
            }

            /// What it does.
            pub const fn operation(self) -> Operation {
                match self {
                    $(Intrinsic::$variant => operation_of!($operation),)*
                }
            }

            /// Its parameters, named and in interface types (the component view).
            pub const fn interface_params(self) -> &'static [Param] {
                match self {
                    $(Intrinsic::$variant => &[$(Param {
                        name: stringify!($param),
                        ty: scalar_of!($param_ty),
                    }),*],)*
                }
            }

            /// Its result in interface types, if it has one (the component view).
            pub const fn interface_result(self) -> Option<Scalar> {
                match self {
                    $(Intrinsic::$variant => result_of!($($result)?),)*
                }
            }

            /// The core Wasm parameter types.
            pub const fn params(self) -> &'static [ValType] {
                match self {
                    $(Intrinsic::$variant => &[$(core_of!($param_ty)),*],)*
                }
            }

            /// The core Wasm result types (none or one).
            pub const fn results(self) -> &'static [ValType] {
                match self {
                    $(Intrinsic::$variant => &[$(core_of!($result))?],)*
                }
            }

            /// Looks an intrinsic up by its import name.
            pub fn from_name(name: &str) -> Option<Intrinsic> {
                match name {
                    $($name => Some(Intrinsic::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

for_each_intrinsic!(define_intrinsics);

impl Intrinsic {
    /// The type of the bytes it touches in native memory: the loaded result
    /// or the stored value. `store-data-address` touches none.
    pub const fn access(self) -> Option<Scalar> {
        match self.operation() {
            Operation::StoreDataAddress => None,
            Operation::Load | Operation::CheckedLoad => self.interface_result(),
            Operation::Store | Operation::CheckedStore => match self.interface_params().last() {
                Some(value) => Some(value.ty),
                None => None,
            },
        }
    }

    /// Number of bytes it reads or writes in native memory (the `N/8` of
    /// `uN-…`); zero for `store-data-address`.
    pub const fn access_bytes(self) -> u32 {
        match self.access() {
            Some(scalar) => scalar.bytes(),
            None => 0,
        }
    }

    /// The core signature in the text format, e.g.
    /// `(func (param i64) (result i32))`, the form error messages show.
    pub fn signature_text(self) -> SignatureText<'static, ValType> {
        SignatureText {
            params: self.params(),
            results: self.results(),
        }
    }
}

impl fmt::Display for Intrinsic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A function type written as the text format writes it:
/// `(func (param i64 i64) (result i32))`, empty clauses left out.
///
/// Generic over the value type so that a consumer can print the types it
/// found (any Wasm type) the same way as the types an intrinsic requires.
#[derive(Clone, Copy, Debug)]
pub struct SignatureText<'a, T> {
    /// Parameter types.
    pub params: &'a [T],
    /// Result types.
    pub results: &'a [T],
}

impl<T: fmt::Display> fmt::Display for SignatureText<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(func")?;
        for (keyword, types) in [("param", self.params), ("result", self.results)] {
            if types.is_empty() {
                continue;
            }
            write!(f, " ({keyword}")?;
            for ty in types {
                write!(f, " {ty}")?;
            }
            f.write_str(")")?;
        }
        f.write_str(")")
    }
}

/// Every intrinsic name, backticked and comma-separated, for messages that
/// list what would have been accepted.
#[derive(Clone, Copy, Debug, Default)]
pub struct KnownNames;

impl fmt::Display for KnownNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, intrinsic) in Intrinsic::ALL.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "`{}`", intrinsic.name())?;
        }
        Ok(())
    }
}

/// The error [`Intrinsic::from_str`] returns for a name not in the table;
/// its message lists the names that would have been accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownIntrinsic {
    /// The name that was looked up.
    pub name: String,
}

impl fmt::Display for UnknownIntrinsic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a known intrinsic (known: {KnownNames})",
            self.name
        )
    }
}

impl std::error::Error for UnknownIntrinsic {}

impl FromStr for Intrinsic {
    type Err = UnknownIntrinsic;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Intrinsic::from_name(name).ok_or_else(|| UnknownIntrinsic {
            name: name.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for &intrinsic in Intrinsic::ALL {
            assert_eq!(intrinsic.name().parse::<Intrinsic>(), Ok(intrinsic));
        }
        let mut names: Vec<_> = Intrinsic::ALL.iter().map(|i| i.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 17);
        assert_eq!(Intrinsic::ALL.len(), 17);
    }

    /// The name spells the operation and the width (`u16-checked-native-
    /// load`), so a row whose operation or types contradict its name is a
    /// typo the table must not keep.
    #[test]
    fn every_row_agrees_with_its_name() {
        for &intrinsic in Intrinsic::ALL {
            let name = intrinsic.name();
            let (operation, params): (Operation, &[&str]) = if name == "store-data-address" {
                (Operation::StoreDataAddress, &[])
            } else if name.ends_with("-checked-native-load") {
                (
                    Operation::CheckedLoad,
                    &["base_address", "offset", "length"],
                )
            } else if name.ends_with("-checked-native-store") {
                (
                    Operation::CheckedStore,
                    &["base_address", "offset", "length", "value"],
                )
            } else if name.ends_with("-native-load") {
                (Operation::Load, &["address"])
            } else if name.ends_with("-native-store") {
                (Operation::Store, &["address", "value"])
            } else {
                panic!("unexpected intrinsic name `{name}`");
            };
            assert_eq!(intrinsic.operation(), operation, "{name}");
            let names: Vec<_> = intrinsic
                .interface_params()
                .iter()
                .map(|p| p.name)
                .collect();
            assert_eq!(names, params, "{name}");
            match intrinsic.access() {
                None => assert_eq!(intrinsic.interface_result(), Some(Scalar::U64), "{name}"),
                Some(width) => assert!(
                    name.starts_with(&(width.name().to_string() + "-")),
                    "{name}"
                ),
            }
            for param in intrinsic.interface_params() {
                if param.name != "value" {
                    assert_eq!(param.ty, Scalar::U64, "{name}: addresses are u64");
                }
            }
        }
    }

    #[test]
    fn core_signatures_follow_the_interface_types() {
        assert_eq!(
            Intrinsic::U8NativeLoad.signature_text().to_string(),
            "(func (param i64) (result i32))"
        );
        assert_eq!(
            Intrinsic::U16CheckedNativeStore
                .signature_text()
                .to_string(),
            "(func (param i64 i64 i64 i32))"
        );
        assert_eq!(
            Intrinsic::U64CheckedNativeStore
                .signature_text()
                .to_string(),
            "(func (param i64 i64 i64 i64))"
        );
        assert_eq!(
            Intrinsic::StoreDataAddress.signature_text().to_string(),
            "(func (result i64))"
        );
        for &intrinsic in Intrinsic::ALL {
            let from_params: Vec<_> = intrinsic
                .interface_params()
                .iter()
                .map(|p| p.ty.core())
                .collect();
            assert_eq!(intrinsic.params(), from_params, "{intrinsic}");
            let from_result: Vec<_> = intrinsic
                .interface_result()
                .iter()
                .map(|r| r.core())
                .collect();
            assert_eq!(intrinsic.results(), from_result, "{intrinsic}");
        }
        assert_eq!(Intrinsic::U32NativeStore.access_bytes(), 4);
        assert_eq!(Intrinsic::StoreDataAddress.access_bytes(), 0);
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        let message = "u8-native-lod"
            .parse::<Intrinsic>()
            .unwrap_err()
            .to_string();
        assert!(message.starts_with(
            "`u8-native-lod` is not a known intrinsic (known: `store-data-address`, `u8-native-load`, "
        ));
        assert!(message.ends_with("`u64-checked-native-store`)"));
    }
}
