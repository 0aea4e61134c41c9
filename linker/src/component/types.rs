//! Component types: the one place that says how core values cross the
//! component boundary.
//!
//! **Signedness.** Core Wasm integers have no sign; component integers do.
//! Every `i32` of an imported or exported function is an `s32` and every
//! `i64` an `s64`: the canonical ABI passes the bits unchanged either way,
//! and signed is how this project prints integers everywhere else
//! (`wasm-prelink run`, the test transcripts), so a host sees the same
//! numbers on every engine. `f32`/`f64` stay `f32`/`f64`.
//!
//! The intrinsics are the exception, because Wasmtime checks their types
//! exactly: addresses, offsets and lengths are `u64`, values are `u8`,
//! `u16`, `u32` or `u64` by the width in the intrinsic's name, exactly as
//! `crates/environ/src/component/intrinsic.rs` declares them. The canonical
//! ABI lowers them to the core signatures of the intrinsics table (`u8` →
//! `i32`), which is what the linked module imports.
//!
//! A component function needs no linear memory only while its flattened
//! parameters fit in 16 core values and its results in one; anything past
//! that would need a memory and `realloc` from the module, so such
//! functions are not wrapped.

use crate::intrinsics::{func_type_text, Intrinsic};
use wasm_encoder::PrimitiveValType;
use wasmparser::ValType;

/// Most flat parameters a component function passes without memory.
pub const MAX_FLAT_PARAMS: usize = 16;
/// Most flat results a component function returns without memory.
pub const MAX_FLAT_RESULTS: usize = 1;

/// A core function signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// Parameter types.
    pub params: Vec<ValType>,
    /// Result types.
    pub results: Vec<ValType>,
}

impl Signature {
    /// The signature of a validated function type.
    pub fn of(ty: &wasmparser::FuncType) -> Signature {
        Signature {
            params: ty.params().to_vec(),
            results: ty.results().to_vec(),
        }
    }
}

/// The signature as the text format writes it.
pub fn signature_text(signature: &Signature) -> String {
    func_type_text(&signature.params, &signature.results)
}

/// The component type of a core value type at the boundary (see the
/// module documentation), or `None` for a type a component cannot carry
/// without memory or resources (`v128`, references).
pub fn component_type(ty: ValType) -> Option<PrimitiveValType> {
    match ty {
        ValType::I32 => Some(PrimitiveValType::S32),
        ValType::I64 => Some(PrimitiveValType::S64),
        ValType::F32 => Some(PrimitiveValType::F32),
        ValType::F64 => Some(PrimitiveValType::F64),
        ValType::V128 | ValType::Ref(_) => None,
    }
}

/// Checks that a function of this signature can be lifted or lowered
/// without memory; the error completes "it …".
pub fn core_signature_fits(signature: &Signature) -> Result<(), String> {
    let text = signature_text(signature);
    if let Some(ty) = signature
        .params
        .iter()
        .chain(&signature.results)
        .find(|ty| component_type(**ty).is_none())
    {
        return Err(format!(
            "has type `{text}`, and `{}` is not a number a component function can pass",
            crate::intrinsics::val_type_text(*ty)
        ));
    }
    if signature.results.len() > MAX_FLAT_RESULTS {
        return Err(format!(
            "has type `{text}` with {} results; a component function without memory returns at most {MAX_FLAT_RESULTS}",
            signature.results.len()
        ));
    }
    if signature.params.len() > MAX_FLAT_PARAMS {
        return Err(format!(
            "has type `{text}` with {} parameters; a component function without memory takes at most {MAX_FLAT_PARAMS}",
            signature.params.len()
        ));
    }
    Ok(())
}

/// Checks that the core function type `id` is the one `canon lift` and
/// `canon lower` give a function of `signature`: final, without a
/// supertype, alone in its recursion group. A GC subtype declaration
/// (`(sub (func ...))`) or a recursion group shared with other types makes
/// a different type with the same signature, which the component's core
/// instantiation would reject as a mismatch; the error completes "it …".
pub fn canonical_type_fits(
    types: &wasmparser::types::Types,
    id: wasmparser::types::CoreTypeId,
    signature: &Signature,
) -> Result<(), String> {
    let sub = &types[id];
    let types = types.as_ref();
    let grouped = types.rec_group_elements(types.rec_group_id_of(id)).len() > 1;
    let how = if grouped {
        "in a recursion group with other types"
    } else if !sub.is_final || !sub.supertype_idxs.is_empty() {
        "as a GC subtype (`sub`)"
    } else {
        return Ok(());
    };
    Err(format!(
        "has type `{}` declared {how}; a component function's core type is final and \
         alone in its recursion group, so the two would not match",
        signature_text(signature)
    ))
}

/// Parameter names of component functions made from core ones: `p0`,
/// `p1`, … (core parameters have no names a component could use).
pub fn param_name(index: usize) -> String {
    format!("p{index}")
}

/// The component parameters and result of an intrinsic, as Wasmtime
/// declares them, derived from the core signature of the intrinsics table
/// and the value width its name starts with.
pub fn intrinsic_type(
    intrinsic: Intrinsic,
) -> (
    Vec<(&'static str, PrimitiveValType)>,
    Option<PrimitiveValType>,
) {
    let value = value_type(intrinsic);
    let params = intrinsic.params();
    let names: &[&'static str] = match params.len() {
        0 => &[],
        1 => &["address"],
        2 => &["address", "value"],
        3 => &["base-address", "offset", "length"],
        _ => &["base-address", "offset", "length", "value"],
    };
    let params = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            // Every parameter is an i64 address, offset or length except a
            // store's last one, the value.
            let is_value = *name == "value";
            debug_assert!(is_value || params[i] == wasm_prelink_intrinsics::ValType::I64);
            (
                *name,
                if is_value {
                    value
                } else {
                    PrimitiveValType::U64
                },
            )
        })
        .collect();
    let result = (!intrinsic.results().is_empty()).then_some(value);
    (params, result)
}

/// The unsigned type an intrinsic loads or stores: `u8` for `u8-…`, and
/// `u64` for `store-data-address`, which returns an address.
fn value_type(intrinsic: Intrinsic) -> PrimitiveValType {
    let name = intrinsic.name();
    if name.starts_with("u8-") {
        PrimitiveValType::U8
    } else if name.starts_with("u16-") {
        PrimitiveValType::U16
    } else if name.starts_with("u32-") {
        PrimitiveValType::U32
    } else {
        PrimitiveValType::U64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_encoder::PrimitiveValType as P;

    #[test]
    fn intrinsic_types_match_wasmtime() {
        assert_eq!(
            intrinsic_type(Intrinsic::StoreDataAddress),
            (vec![], Some(P::U64))
        );
        assert_eq!(
            intrinsic_type(Intrinsic::U16NativeLoad),
            (vec![("address", P::U64)], Some(P::U16))
        );
        assert_eq!(
            intrinsic_type(Intrinsic::U8NativeStore),
            (vec![("address", P::U64), ("value", P::U8)], None)
        );
        assert_eq!(
            intrinsic_type(Intrinsic::U32CheckedNativeLoad),
            (
                vec![
                    ("base-address", P::U64),
                    ("offset", P::U64),
                    ("length", P::U64)
                ],
                Some(P::U32)
            )
        );
        assert_eq!(
            intrinsic_type(Intrinsic::U64CheckedNativeStore),
            (
                vec![
                    ("base-address", P::U64),
                    ("offset", P::U64),
                    ("length", P::U64),
                    ("value", P::U64)
                ],
                None
            )
        );
    }

    #[test]
    fn only_numbers_and_one_result_fit() {
        let sig = |params: &[ValType], results: &[ValType]| Signature {
            params: params.to_vec(),
            results: results.to_vec(),
        };
        assert!(core_signature_fits(&sig(&[ValType::I32, ValType::F64], &[ValType::I64])).is_ok());
        assert_eq!(
            core_signature_fits(&sig(&[], &[ValType::I32, ValType::I32])).unwrap_err(),
            "has type `(func (result i32 i32))` with 2 results; a component function without memory returns at most 1"
        );
        assert!(core_signature_fits(&sig(&[ValType::V128], &[]))
            .unwrap_err()
            .contains("`v128` is not a number"));
        assert!(core_signature_fits(&sig(&[ValType::I32; 17], &[])).is_err());
    }
}
