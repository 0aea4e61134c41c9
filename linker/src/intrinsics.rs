//! The unsafe intrinsics a builtin may import, and how the linker checks them.
//!
//! The table itself lives in the `intrinsics` crate, which the lowering
//! plugin, the test host and the component wrapper expand too; this module
//! only compares what a builtin imports with it. Names and signatures match
//! Wasmtime's so a builtin written for one toolchain works in the other.
//!
//! The linker never interprets intrinsics: it keeps each one as a single
//! import of the merged module (stage 2 or the host implements it). It only
//! enforces the trust boundary — the app may not import the namespace — and
//! rejects names and signatures that no engine would accept, so mistakes
//! surface at build time with the import named.

use wasmparser::ValType;

pub use wasm_prelink_intrinsics::{Intrinsic, DEFAULT_NAMESPACE};

/// The Wasm value type the validator uses for an intrinsic's core type.
fn wasm_val_type(ty: wasm_prelink_intrinsics::ValType) -> ValType {
    match ty {
        wasm_prelink_intrinsics::ValType::I32 => ValType::I32,
        wasm_prelink_intrinsics::ValType::I64 => ValType::I64,
    }
}

/// Whether a found signature is exactly the intrinsic's core signature.
fn has_signature(intrinsic: Intrinsic, params: &[ValType], results: &[ValType]) -> bool {
    let same = |found: &[ValType], required: &[wasm_prelink_intrinsics::ValType]| {
        found.len() == required.len()
            && found
                .iter()
                .zip(required)
                .all(|(found, required)| *found == wasm_val_type(*required))
    };
    same(params, intrinsic.params()) && same(results, intrinsic.results())
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
    if !has_signature(intrinsic, params, results) {
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
    fn every_intrinsic_accepts_exactly_its_own_signature() {
        for &intrinsic in Intrinsic::ALL {
            let params: Vec<_> = intrinsic
                .params()
                .iter()
                .map(|t| wasm_val_type(*t))
                .collect();
            let results: Vec<_> = intrinsic
                .results()
                .iter()
                .map(|t| wasm_val_type(*t))
                .collect();
            assert_eq!(
                check_import(intrinsic.name(), &params, &results),
                Ok(intrinsic)
            );
            let mut wrong = params.clone();
            wrong.push(ValType::I32);
            assert!(check_import(intrinsic.name(), &wrong, &results).is_err());
        }
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
