//! Converting `.wast` arguments to wasmtime values, and matching results
//! against `.wast` expectations.
//!
//! The matching follows the spec interpreter's rules, because the point of
//! the suite is that a linked module is held to exactly the standard the
//! original is: floats compare by bits unless the expectation is a NaN
//! pattern (`nan:canonical` — quiet NaN with an all-zero payload — or
//! `nan:arithmetic` — any quiet NaN), lane by lane for `v128`; references
//! compare by kind (`ref.func`, `ref.struct`, `ref.array`, `ref.i31`,
//! `ref.eq`, `ref.any`), by host payload (`ref.extern N`, `ref.host N`), or
//! as nulls of the right hierarchy; `(either ...)` accepts any alternative.
//!
//! Host references carry a `u32` payload: `ref.extern N` is an `externref`
//! wrapping `N`, and `ref.host N` is that `externref` internalized into the
//! `any` hierarchy, which is how a host value enters it in wasmtime.

use wasmtime::{AnyRef, ExternRef, Store, Val, ValType, V128};
use wast::core::{AbstractHeapType, HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::token::{F32, F64};

/// Converts one argument. `ty` is the parameter's type, which decides the
/// hierarchy of a null whose heap type is an index.
pub fn arg<T: 'static>(
    store: &mut Store<T>,
    arg: &WastArgCore<'_>,
    ty: &ValType,
) -> Result<Val, String> {
    Ok(match arg {
        WastArgCore::I32(x) => Val::I32(*x),
        WastArgCore::I64(x) => Val::I64(*x),
        WastArgCore::F32(x) => Val::F32(x.bits),
        WastArgCore::F64(x) => Val::F64(x.bits),
        WastArgCore::V128(x) => Val::V128(V128::from(u128::from_le_bytes(x.to_le_bytes()))),
        WastArgCore::RefNull(_) => match ty {
            ValType::Ref(r) => Val::null_ref(&r.heap_type().top()),
            other => return Err(format!("a null reference passed as {other}")),
        },
        WastArgCore::RefExtern(n) => Val::ExternRef(Some(
            ExternRef::new(&mut *store, *n).map_err(|e| e.to_string())?,
        )),
        WastArgCore::RefHost(n) => {
            let ext = ExternRef::new(&mut *store, *n).map_err(|e| e.to_string())?;
            Val::AnyRef(Some(
                AnyRef::convert_extern(&mut *store, ext).map_err(|e| e.to_string())?,
            ))
        }
    })
}

/// Checks one result against its expectation.
pub fn check<T: 'static>(
    store: &mut Store<T>,
    actual: &Val,
    expected: &WastRetCore<'_>,
) -> Result<(), String> {
    match expected {
        WastRetCore::Either(options) => {
            let mut errors = Vec::new();
            for option in options {
                match check(store, actual, option) {
                    Ok(()) => return Ok(()),
                    Err(e) => errors.push(e),
                }
            }
            Err(format!("no alternative matches: {}", errors.join("; ")))
        }
        WastRetCore::I32(e) => match actual {
            Val::I32(a) if a == e => Ok(()),
            _ => Err(mismatch(actual, expected)),
        },
        WastRetCore::I64(e) => match actual {
            Val::I64(a) if a == e => Ok(()),
            _ => Err(mismatch(actual, expected)),
        },
        WastRetCore::F32(e) => match actual {
            Val::F32(a) if f32_matches(*a, e) => Ok(()),
            _ => Err(mismatch(actual, expected)),
        },
        WastRetCore::F64(e) => match actual {
            Val::F64(a) if f64_matches(*a, e) => Ok(()),
            _ => Err(mismatch(actual, expected)),
        },
        WastRetCore::V128(e) => match actual {
            Val::V128(a) if v128_matches(a.as_u128(), e) => Ok(()),
            _ => Err(mismatch(actual, expected)),
        },
        WastRetCore::RefNull(ty) => {
            if is_null(actual) && null_hierarchy_matches(actual, ty.as_ref()) {
                Ok(())
            } else {
                Err(mismatch(actual, expected))
            }
        }
        WastRetCore::RefExtern(payload) => match (actual, payload) {
            (Val::ExternRef(Some(_)), None) => Ok(()),
            (Val::ExternRef(Some(r)), Some(n)) => {
                let data = r.data(&*store).map_err(|e| e.to_string())?;
                match data.and_then(|d| d.downcast_ref::<u32>()) {
                    Some(found) if found == n => Ok(()),
                    _ => Err(mismatch(actual, expected)),
                }
            }
            _ => Err(mismatch(actual, expected)),
        },
        WastRetCore::RefHost(n) => match actual {
            Val::AnyRef(Some(r)) => {
                let ext = ExternRef::convert_any(&mut *store, *r).map_err(|e| e.to_string())?;
                let data = ext.data(&*store).map_err(|e| e.to_string())?;
                match data.and_then(|d| d.downcast_ref::<u32>()) {
                    Some(found) if found == n => Ok(()),
                    _ => Err(mismatch(actual, expected)),
                }
            }
            _ => Err(mismatch(actual, expected)),
        },
        WastRetCore::RefFunc(_) => match actual {
            Val::FuncRef(Some(_)) => Ok(()),
            _ => Err(mismatch(actual, expected)),
        },
        WastRetCore::RefAny => match actual {
            Val::AnyRef(Some(_)) => Ok(()),
            _ => Err(mismatch(actual, expected)),
        },
        WastRetCore::RefEq => any_ref_is(store, actual, expected, |s, r| r.is_eqref(s)),
        WastRetCore::RefStruct => any_ref_is(store, actual, expected, |s, r| r.is_struct(s)),
        WastRetCore::RefArray => any_ref_is(store, actual, expected, |s, r| r.is_array(s)),
        WastRetCore::RefI31 => any_ref_is(store, actual, expected, |s, r| r.is_i31(s)),
        WastRetCore::RefI31Shared => Err("shared i31 references are not supported".into()),
    }
}

fn any_ref_is<T: 'static>(
    store: &mut Store<T>,
    actual: &Val,
    expected: &WastRetCore<'_>,
    test: impl Fn(&Store<T>, &AnyRef) -> wasmtime::Result<bool>,
) -> Result<(), String> {
    match actual {
        Val::AnyRef(Some(r)) => match test(store, r) {
            Ok(true) => Ok(()),
            Ok(false) => Err(mismatch(actual, expected)),
            Err(e) => Err(e.to_string()),
        },
        _ => Err(mismatch(actual, expected)),
    }
}

fn is_null(v: &Val) -> bool {
    matches!(
        v,
        Val::FuncRef(None)
            | Val::ExternRef(None)
            | Val::AnyRef(None)
            | Val::ExnRef(None)
            | Val::ContRef(None)
    )
}

/// A null names its hierarchy through its heap type; an index (a concrete
/// type) is accepted in any hierarchy since its declaration is not at hand.
fn null_hierarchy_matches(actual: &Val, ty: Option<&HeapType<'_>>) -> bool {
    let Some(HeapType::Abstract { ty, .. }) = ty else {
        return true;
    };
    use AbstractHeapType as A;
    match ty {
        A::Func | A::NoFunc => matches!(actual, Val::FuncRef(None)),
        A::Extern | A::NoExtern => matches!(actual, Val::ExternRef(None)),
        A::Any | A::Eq | A::Struct | A::Array | A::I31 | A::None => {
            matches!(actual, Val::AnyRef(None))
        }
        A::Exn | A::NoExn => matches!(actual, Val::ExnRef(None)),
        A::Cont | A::NoCont => matches!(actual, Val::ContRef(None)),
    }
}

fn mismatch(actual: &Val, expected: &WastRetCore<'_>) -> String {
    format!("expected {expected:?}, found {}", show(actual))
}

/// A value as a message shows it: numbers with their bits, references by
/// kind only (their identity means nothing across runs).
pub fn show(v: &Val) -> String {
    match v {
        Val::I32(x) => format!("i32 {x} ({x:#x})"),
        Val::I64(x) => format!("i64 {x} ({x:#x})"),
        Val::F32(x) => format!("f32 {} ({x:#010x})", f32::from_bits(*x)),
        Val::F64(x) => format!("f64 {} ({x:#018x})", f64::from_bits(*x)),
        Val::V128(x) => format!("v128 {:#034x}", x.as_u128()),
        Val::FuncRef(r) => format!("funcref {}", if r.is_some() { "non-null" } else { "null" }),
        Val::ExternRef(r) => format!(
            "externref {}",
            if r.is_some() { "non-null" } else { "null" }
        ),
        Val::AnyRef(r) => format!("anyref {}", if r.is_some() { "non-null" } else { "null" }),
        Val::ExnRef(r) => format!("exnref {}", if r.is_some() { "non-null" } else { "null" }),
        Val::ContRef(r) => format!("contref {}", if r.is_some() { "non-null" } else { "null" }),
    }
}

/// Whether `bits` fits an `f32` expectation.
pub fn f32_matches(bits: u32, expected: &NanPattern<F32>) -> bool {
    const EXP: u32 = 0x7f80_0000;
    const QUIET: u32 = 0x0040_0000;
    match expected {
        NanPattern::Value(v) => v.bits == bits,
        NanPattern::CanonicalNan => bits & 0x7fff_ffff == EXP | QUIET,
        NanPattern::ArithmeticNan => bits & EXP == EXP && bits & QUIET == QUIET,
    }
}

/// Whether `bits` fits an `f64` expectation.
pub fn f64_matches(bits: u64, expected: &NanPattern<F64>) -> bool {
    const EXP: u64 = 0x7ff0_0000_0000_0000;
    const QUIET: u64 = 0x0008_0000_0000_0000;
    match expected {
        NanPattern::Value(v) => v.bits == bits,
        NanPattern::CanonicalNan => bits & 0x7fff_ffff_ffff_ffff == EXP | QUIET,
        NanPattern::ArithmeticNan => bits & EXP == EXP && bits & QUIET == QUIET,
    }
}

fn v128_matches(bits: u128, expected: &V128Pattern) -> bool {
    let bytes = bits.to_le_bytes();
    match expected {
        V128Pattern::I8x16(lanes) => lanes.iter().zip(bytes).all(|(e, a)| *e == a as i8),
        V128Pattern::I16x8(lanes) => lanes
            .iter()
            .zip(bytes.chunks_exact(2))
            .all(|(e, a)| *e == i16::from_le_bytes([a[0], a[1]])),
        V128Pattern::I32x4(lanes) => lanes
            .iter()
            .zip(bytes.chunks_exact(4))
            .all(|(e, a)| *e == i32::from_le_bytes([a[0], a[1], a[2], a[3]])),
        V128Pattern::I64x2(lanes) => lanes.iter().zip(bytes.chunks_exact(8)).all(|(e, a)| {
            let mut lane = [0; 8];
            lane.copy_from_slice(a);
            *e == i64::from_le_bytes(lane)
        }),
        V128Pattern::F32x4(lanes) => lanes
            .iter()
            .zip(bytes.chunks_exact(4))
            .all(|(e, a)| f32_matches(u32::from_le_bytes([a[0], a[1], a[2], a[3]]), e)),
        V128Pattern::F64x2(lanes) => lanes.iter().zip(bytes.chunks_exact(8)).all(|(e, a)| {
            let mut lane = [0; 8];
            lane.copy_from_slice(a);
            f64_matches(u64::from_le_bytes(lane), e)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_patterns_follow_the_spec() {
        assert!(f32_matches(0x7fc0_0000, &NanPattern::CanonicalNan));
        assert!(f32_matches(0xffc0_0000, &NanPattern::CanonicalNan));
        assert!(!f32_matches(0x7fc0_0001, &NanPattern::CanonicalNan));
        assert!(f32_matches(0x7fc0_0001, &NanPattern::ArithmeticNan));
        assert!(!f32_matches(0x7f80_0001, &NanPattern::ArithmeticNan));
        assert!(f64_matches(
            0x7ff8_0000_0000_0000,
            &NanPattern::CanonicalNan
        ));
        assert!(f64_matches(
            0xfff8_0000_0000_0001,
            &NanPattern::ArithmeticNan
        ));
        assert!(!f64_matches(
            0x7ff0_0000_0000_0001,
            &NanPattern::ArithmeticNan
        ));
    }

    #[test]
    fn v128_lanes_are_little_endian() {
        let bits = u128::from_le_bytes([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0]);
        assert!(v128_matches(bits, &V128Pattern::I32x4([1, 2, 3, 4])));
        assert!(!v128_matches(bits, &V128Pattern::I32x4([4, 3, 2, 1])));
    }
}
