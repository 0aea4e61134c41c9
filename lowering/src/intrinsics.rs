//! The intrinsics, from one table.
//!
//! Every fact about an intrinsic — its import name, its core Wasm signature
//! and the kind of native access it performs — lives in exactly one row of
//! [`for_each_intrinsic!`](crate::for_each_intrinsic!). Everything else is
//! generated from that row: the [`Intrinsic`] enum, its name lookup
//! ([`FromStr`]), its signature ([`Intrinsic::params`],
//! [`Intrinsic::results`]) and its [`Shape`], which is what the lowering
//! dispatches on. Adding an intrinsic is therefore one new row plus, only if
//! it has a new shape, one new lowering helper; a row whose shape is not
//! handled fails to compile instead of silently calling the host.
//!
//! The names and signatures match Wasmtime's compile-time builtins, so one
//! builtin module runs unchanged on both.

use core::fmt;
use core::str::FromStr;

use cranelift_codegen::ir::{self, types};

/// Invokes `$mac!` with one row per intrinsic.
///
/// A row reads `Variant "import-name" shape(access) (params) -> (results);`
/// where `shape` is one of `store_data_address`, `load`, `store`,
/// `checked_load` and `checked_store`, `access` is the Cranelift type of the
/// native access (the memory width, which core Wasm cannot express), and the
/// params and results are the core Wasm types of the import.
///
/// The macro is exported so that a runtime can generate its own per-intrinsic
/// code (host trampolines, name tables) from the same rows.
#[macro_export]
macro_rules! for_each_intrinsic {
    ($mac:ident) => {
        $mac! {
            StoreDataAddress "store-data-address" store_data_address(I64) () -> (I64);

            U8NativeLoad "u8-native-load" load(I8) (I64) -> (I32);
            U16NativeLoad "u16-native-load" load(I16) (I64) -> (I32);
            U32NativeLoad "u32-native-load" load(I32) (I64) -> (I32);
            U64NativeLoad "u64-native-load" load(I64) (I64) -> (I64);

            U8NativeStore "u8-native-store" store(I8) (I64, I32) -> ();
            U16NativeStore "u16-native-store" store(I16) (I64, I32) -> ();
            U32NativeStore "u32-native-store" store(I32) (I64, I32) -> ();
            U64NativeStore "u64-native-store" store(I64) (I64, I64) -> ();

            U8CheckedNativeLoad "u8-checked-native-load" checked_load(I8) (I64, I64, I64) -> (I32);
            U16CheckedNativeLoad "u16-checked-native-load" checked_load(I16) (I64, I64, I64) -> (I32);
            U32CheckedNativeLoad "u32-checked-native-load" checked_load(I32) (I64, I64, I64) -> (I32);
            U64CheckedNativeLoad "u64-checked-native-load" checked_load(I64) (I64, I64, I64) -> (I64);

            U8CheckedNativeStore "u8-checked-native-store" checked_store(I8) (I64, I64, I64, I32) -> ();
            U16CheckedNativeStore "u16-checked-native-store" checked_store(I16) (I64, I64, I64, I32) -> ();
            U32CheckedNativeStore "u32-checked-native-store" checked_store(I32) (I64, I64, I64, I32) -> ();
            U64CheckedNativeStore "u64-checked-native-store" checked_store(I64) (I64, I64, I64, I64) -> ();
        }
    };
}

/// A core Wasm value type an intrinsic's signature uses.
///
/// Intrinsics only ever take and return integers, so two variants suffice;
/// keeping the type this small lets signature checks be exact comparisons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValType {
    /// `i32`
    I32,
    /// `i64`
    I64,
}

impl ValType {
    /// The Cranelift type Wasm values of this type are translated to.
    pub fn clif_type(self) -> ir::Type {
        match self {
            ValType::I32 => types::I32,
            ValType::I64 => types::I64,
        }
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
        })
    }
}

/// What an intrinsic does, which decides how it is lowered.
///
/// `access` is always the Cranelift type of the bytes touched in native
/// memory (`i8` for the `u8-*` intrinsics, and so on).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape {
    /// Produce the store-data address (the runtime decides how).
    StoreDataAddress,
    /// Load `access` from an address, zero-extended to the Wasm result.
    Load {
        /// Width of the native access.
        access: ir::Type,
    },
    /// Truncate a Wasm value to `access` and store it at an address.
    Store {
        /// Width of the native access.
        access: ir::Type,
    },
    /// Bounds-check `offset + size <= length`, then load from `base + offset`.
    CheckedLoad {
        /// Width of the native access.
        access: ir::Type,
    },
    /// Bounds-check `offset + size <= length`, then store at `base + offset`.
    CheckedStore {
        /// Width of the native access.
        access: ir::Type,
    },
}

macro_rules! shape_of {
    (store_data_address $access:ident) => {
        Shape::StoreDataAddress
    };
    (load $access:ident) => {
        Shape::Load {
            access: types::$access,
        }
    };
    (store $access:ident) => {
        Shape::Store {
            access: types::$access,
        }
    };
    (checked_load $access:ident) => {
        Shape::CheckedLoad {
            access: types::$access,
        }
    };
    (checked_store $access:ident) => {
        Shape::CheckedStore {
            access: types::$access,
        }
    };
}

macro_rules! define_intrinsics {
    ($(
        $variant:ident $name:literal $shape:ident($access:ident)
            ($($param:ident),*) -> ($($result:ident),*);
    )*) => {
        /// One of the unsafe intrinsics a trusted builtin may import.
        ///
        /// Generated from [`for_each_intrinsic!`](crate::for_each_intrinsic!);
        /// see DESIGN.md's table for what each one means.
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

            /// The import name (the field name within the namespace).
            pub fn name(self) -> &'static str {
                match self {
                    $(Intrinsic::$variant => $name,)*
                }
            }

            /// The core Wasm parameter types.
            pub fn params(self) -> &'static [ValType] {
                match self {
                    $(Intrinsic::$variant => &[$(ValType::$param),*],)*
                }
            }

            /// The core Wasm result types (none or one).
            pub fn results(self) -> &'static [ValType] {
                match self {
                    $(Intrinsic::$variant => &[$(ValType::$result),*],)*
                }
            }

            /// How the intrinsic is lowered.
            pub fn shape(self) -> Shape {
                match self {
                    $(Intrinsic::$variant => shape_of!($shape $access),)*
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
    /// Number of bytes the intrinsic reads or writes in native memory (the
    /// `N/8` of `uN-…`); for `store-data-address`, which touches none, zero.
    pub fn access_bytes(self) -> u32 {
        match self.shape() {
            Shape::StoreDataAddress => 0,
            Shape::Load { access }
            | Shape::Store { access }
            | Shape::CheckedLoad { access }
            | Shape::CheckedStore { access } => access.bytes(),
        }
    }

    /// The signature written as WAT, e.g. `(func (param i64) (result i32))`,
    /// the form error messages use.
    pub fn signature_text(self) -> String {
        signature_text(self.params(), self.results())
    }
}

/// Writes a function type as WAT: `(func (param i64 i64) (result i32))`,
/// leaving out empty `param`/`result` clauses.
pub(crate) fn signature_text<P: fmt::Display, R: fmt::Display>(
    params: &[P],
    results: &[R],
) -> String {
    let mut text = String::from("(func");
    if !params.is_empty() {
        text.push_str(" (param");
        for param in params {
            text.push_str(&format!(" {param}"));
        }
        text.push(')');
    }
    if !results.is_empty() {
        text.push_str(" (result");
        for result in results {
            text.push_str(&format!(" {result}"));
        }
        text.push(')');
    }
    text.push(')');
    text
}

impl fmt::Display for Intrinsic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error [`Intrinsic::from_str`] returns for a name that is not in the
/// table.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{name}` is not a known intrinsic (known: {})", known_names())]
pub struct UnknownIntrinsic {
    /// The name that was looked up.
    pub name: String,
}

/// All intrinsic names, backticked and comma-separated, for messages.
pub(crate) fn known_names() -> String {
    Intrinsic::ALL
        .iter()
        .map(|intrinsic| format!("`{}`", intrinsic.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

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
        assert_eq!(names.len(), Intrinsic::ALL.len());
    }

    #[test]
    fn signatures_follow_the_shape() {
        for &intrinsic in Intrinsic::ALL {
            let (params, results) = (intrinsic.params(), intrinsic.results());
            match intrinsic.shape() {
                Shape::StoreDataAddress => {
                    assert!(params.is_empty());
                    assert_eq!(results, [ValType::I64]);
                }
                Shape::Load { access } => {
                    assert_eq!(params, [ValType::I64]);
                    assert!(results[0].clif_type().bytes() >= access.bytes());
                }
                Shape::Store { access } => {
                    assert_eq!(params[0], ValType::I64);
                    assert!(params[1].clif_type().bytes() >= access.bytes());
                    assert!(results.is_empty());
                }
                Shape::CheckedLoad { .. } => {
                    assert_eq!(params, [ValType::I64; 3]);
                    assert_eq!(results.len(), 1);
                }
                Shape::CheckedStore { .. } => {
                    assert_eq!(params[..3], [ValType::I64; 3]);
                    assert!(results.is_empty());
                }
            }
        }
    }

    #[test]
    fn unknown_name_lists_the_known_ones() {
        let err = "u8-native-lod".parse::<Intrinsic>().unwrap_err();
        assert!(err
            .to_string()
            .starts_with("`u8-native-lod` is not a known intrinsic (known: `store-data-address`, `u8-native-load`,"));
        assert_eq!(
            Intrinsic::U16CheckedNativeStore.signature_text(),
            "(func (param i64 i64 i64 i32))"
        );
        assert_eq!(
            Intrinsic::StoreDataAddress.signature_text(),
            "(func (result i64))"
        );
    }
}
