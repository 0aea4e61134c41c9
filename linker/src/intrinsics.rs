//! The unsafe intrinsics a builtin may import, and how the linker checks them.
//!
//! One table lists every intrinsic once — import name, variant, core
//! signature — and everything else (lookup by name, the signature check,
//! the list shown in error messages) is generated from it, so adding an
//! intrinsic is one line. Names and signatures match Wasmtime's so a builtin
//! written for one toolchain works in the other.
//!
//! The linker never interprets intrinsics: it keeps each one as a single
//! import of the merged module (stage 2 or the host implements it). It only
//! enforces the trust boundary — the app may not import the namespace — and
//! rejects names and signatures that no engine would accept, so mistakes
//! surface at build time with the import named.

use wasmparser::ValType;

/// The namespace intrinsics are imported from unless configured otherwise.
pub const DEFAULT_NAMESPACE: &str = "unsafe-intrinsics";

macro_rules! for_each_intrinsic {
    ($mac:ident) => {
        $mac! {
            "store-data-address" => StoreDataAddress : () -> (I64);
            "u8-native-load" => U8NativeLoad : (I64) -> (I32);
            "u16-native-load" => U16NativeLoad : (I64) -> (I32);
            "u32-native-load" => U32NativeLoad : (I64) -> (I32);
            "u64-native-load" => U64NativeLoad : (I64) -> (I64);
            "u8-native-store" => U8NativeStore : (I64, I32) -> ();
            "u16-native-store" => U16NativeStore : (I64, I32) -> ();
            "u32-native-store" => U32NativeStore : (I64, I32) -> ();
            "u64-native-store" => U64NativeStore : (I64, I64) -> ();
            "u8-checked-native-load" => U8CheckedNativeLoad : (I64, I64, I64) -> (I32);
            "u16-checked-native-load" => U16CheckedNativeLoad : (I64, I64, I64) -> (I32);
            "u32-checked-native-load" => U32CheckedNativeLoad : (I64, I64, I64) -> (I32);
            "u64-checked-native-load" => U64CheckedNativeLoad : (I64, I64, I64) -> (I64);
            "u8-checked-native-store" => U8CheckedNativeStore : (I64, I64, I64, I32) -> ();
            "u16-checked-native-store" => U16CheckedNativeStore : (I64, I64, I64, I32) -> ();
            "u32-checked-native-store" => U32CheckedNativeStore : (I64, I64, I64, I32) -> ();
            "u64-checked-native-store" => U64CheckedNativeStore : (I64, I64, I64, I64) -> ();
        }
    };
}

macro_rules! define_intrinsics {
    ($($name:literal => $variant:ident : ($($param:ident),*) -> ($($result:ident),*);)*) => {
        /// One unsafe intrinsic, identified by its import name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
            pub fn name(self) -> &'static str {
                match self {
                    $(Intrinsic::$variant => $name,)*
                }
            }

            /// Core parameter types.
            pub fn params(self) -> &'static [ValType] {
                match self {
                    $(Intrinsic::$variant => &[$(ValType::$param),*],)*
                }
            }

            /// Core result types.
            pub fn results(self) -> &'static [ValType] {
                match self {
                    $(Intrinsic::$variant => &[$(ValType::$result),*],)*
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
    /// The signature in text format, as error messages show it.
    pub fn signature_text(self) -> String {
        func_type_text(self.params(), self.results())
    }
}

/// Formats a function type the way the text format writes it.
pub fn func_type_text(params: &[ValType], results: &[ValType]) -> String {
    let mut text = String::from("(func");
    if !params.is_empty() {
        text.push_str(" (param");
        for p in params {
            text.push(' ');
            text.push_str(&val_type_text(*p));
        }
        text.push(')');
    }
    if !results.is_empty() {
        text.push_str(" (result");
        for r in results {
            text.push(' ');
            text.push_str(&val_type_text(*r));
        }
        text.push(')');
    }
    text.push(')');
    text
}

/// A value type in text-format spelling (`i32`, `(ref null func)`, ...).
pub fn val_type_text(ty: ValType) -> String {
    match ty {
        ValType::I32 => "i32".into(),
        ValType::I64 => "i64".into(),
        ValType::F32 => "f32".into(),
        ValType::F64 => "f64".into(),
        ValType::V128 => "v128".into(),
        ValType::Ref(r) => r.to_string(),
    }
}

/// Checks one import of the intrinsics namespace; the error says what is wrong.
pub fn check_import(
    name: &str,
    params: &[ValType],
    results: &[ValType],
) -> Result<Intrinsic, String> {
    let Some(intrinsic) = Intrinsic::from_name(name) else {
        let known: Vec<&str> = Intrinsic::ALL.iter().map(|i| i.name()).collect();
        return Err(format!(
            "is not a known intrinsic (known: {})",
            known.join(", ")
        ));
    };
    if intrinsic.params() != params || intrinsic.results() != results {
        return Err(format!(
            "has type `{}`, the intrinsic requires `{}`",
            func_type_text(params, results),
            intrinsic.signature_text()
        ));
    }
    Ok(intrinsic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips() {
        for intrinsic in Intrinsic::ALL {
            assert_eq!(Intrinsic::from_name(intrinsic.name()), Some(*intrinsic));
        }
        assert_eq!(Intrinsic::ALL.len(), 17);
    }

    #[test]
    fn signature_mismatch_names_both_types() {
        let err = check_import("u8-native-load", &[ValType::I32], &[ValType::I32]).unwrap_err();
        assert_eq!(
            err,
            "has type `(func (param i32) (result i32))`, the intrinsic requires `(func (param i64) (result i32))`"
        );
    }

    #[test]
    fn unknown_name_lists_the_known_ones() {
        let err = check_import("u8-native-lod", &[ValType::I64], &[ValType::I32]).unwrap_err();
        assert!(
            err.starts_with("is not a known intrinsic (known: store-data-address, u8-native-load")
        );
    }
}
