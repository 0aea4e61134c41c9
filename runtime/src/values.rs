//! Values crossing between the host and Wasm.
//!
//! Every value passes through a 16-byte slot ([`ValRaw`]) of an array that
//! the JIT-compiled trampolines read arguments from and write results to, so
//! one calling convention serves every signature, in both directions (host
//! calling Wasm, Wasm calling a host function). [`Val`] is the typed view
//! the embedder sees; conversion checks the type against the signature.

use cranelift_wasm::{WasmHeapType, WasmValType};

/// A Wasm value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Val {
    /// `i32`.
    I32(i32),
    /// `i64`.
    I64(i64),
    /// `f32`, as its bit pattern so NaN payloads survive.
    F32(u32),
    /// `f64`, as its bit pattern.
    F64(u64),
    /// `v128`.
    V128(u128),
    /// `funcref`: `None` is null. The address is opaque and only meaningful
    /// within the store it came from.
    FuncRef(Option<FuncAddr>),
    /// `externref`: `None` is null, otherwise a host-chosen number.
    ExternRef(Option<u32>),
}

/// The opaque identity of a non-null function reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FuncAddr(pub(crate) usize);

/// The type of a [`Val`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValType {
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// `v128`.
    V128,
    /// `funcref`.
    FuncRef,
    /// `externref`.
    ExternRef,
}

impl std::fmt::Display for ValType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::V128 => "v128",
            ValType::FuncRef => "funcref",
            ValType::ExternRef => "externref",
        })
    }
}

impl ValType {
    /// The embedder's view of a translated Wasm type; `None` for the GC
    /// types this runtime does not run.
    pub(crate) fn from_wasm(ty: &WasmValType) -> Option<ValType> {
        Some(match ty {
            WasmValType::I32 => ValType::I32,
            WasmValType::I64 => ValType::I64,
            WasmValType::F32 => ValType::F32,
            WasmValType::F64 => ValType::F64,
            WasmValType::V128 => ValType::V128,
            WasmValType::Ref(r) => match r.heap_type {
                WasmHeapType::Func | WasmHeapType::ConcreteFunc(_) | WasmHeapType::NoFunc => {
                    ValType::FuncRef
                }
                WasmHeapType::Extern | WasmHeapType::NoExtern => ValType::ExternRef,
                _ => return None,
            },
        })
    }
}

impl Val {
    /// This value's type.
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::V128(_) => ValType::V128,
            Val::FuncRef(_) => ValType::FuncRef,
            Val::ExternRef(_) => ValType::ExternRef,
        }
    }

    /// The zero value of `ty` (null for references), which locals, tables
    /// and `memory.grow`-free defaults start with.
    pub fn default_for(ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::V128 => Val::V128(0),
            ValType::FuncRef => Val::FuncRef(None),
            ValType::ExternRef => Val::ExternRef(None),
        }
    }

    /// Encodes into a slot; references become the machine word compiled
    /// code uses (0 for null, an externref `n` as `n + 1`).
    pub(crate) fn to_raw(self) -> ValRaw {
        ValRaw(match self {
            Val::I32(v) => u128::from(v as u32),
            Val::I64(v) => u128::from(v as u64),
            Val::F32(v) => u128::from(v),
            Val::F64(v) => u128::from(v),
            Val::V128(v) => v,
            Val::FuncRef(f) => f.map_or(0, |f| f.0 as u128),
            Val::ExternRef(e) => e.map_or(0, |e| u128::from(e) + 1),
        })
    }

    /// Decodes a slot written by compiled code as a value of `ty`.
    pub(crate) fn from_raw(raw: ValRaw, ty: ValType) -> Val {
        let bits = raw.0;
        match ty {
            ValType::I32 => Val::I32(bits as u32 as i32),
            ValType::I64 => Val::I64(bits as u64 as i64),
            ValType::F32 => Val::F32(bits as u32),
            ValType::F64 => Val::F64(bits as u64),
            ValType::V128 => Val::V128(bits),
            ValType::FuncRef => Val::FuncRef(match bits as usize {
                0 => None,
                p => Some(FuncAddr(p)),
            }),
            ValType::ExternRef => Val::ExternRef(match bits as u64 {
                0 => None,
                n => Some((n - 1) as u32),
            }),
        }
    }
}

/// One argument or result slot of the trampolines' value array: 16 bytes so
/// a `v128` fits, little-endian like the host, scalars in the low bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C, align(16))]
pub(crate) struct ValRaw(pub(crate) u128);

/// The size of a [`ValRaw`], which the trampolines' address arithmetic uses.
pub(crate) const VAL_RAW_SIZE: u32 = 16;

/// A function signature, as the embedder sees it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FuncType {
    /// Parameter types.
    pub params: Vec<ValType>,
    /// Result types.
    pub results: Vec<ValType>,
}

impl FuncType {
    /// A signature from its parameter and result types.
    pub fn new(
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
    ) -> FuncType {
        FuncType {
            params: params.into_iter().collect(),
            results: results.into_iter().collect(),
        }
    }
}

impl std::fmt::Display for FuncType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("(func")?;
        if !self.params.is_empty() {
            f.write_str(" (param")?;
            for p in &self.params {
                write!(f, " {p}")?;
            }
            f.write_str(")")?;
        }
        if !self.results.is_empty() {
            f.write_str(" (result")?;
            for r in &self.results {
                write!(f, " {r}")?;
            }
            f.write_str(")")?;
        }
        f.write_str(")")
    }
}
