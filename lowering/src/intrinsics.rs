//! The intrinsics, as the lowering sees them.
//!
//! Every fact about an intrinsic — its import name, its signature, the width
//! of its native access — lives in one row of the shared table (the
//! `intrinsics` crate, re-exported here). What this module adds is the one
//! thing only Cranelift needs: the [`Shape`] the lowering dispatches on,
//! with the native access as a Cranelift type. A row whose operation has no
//! shape fails to compile instead of silently calling the host.

use cranelift_codegen::ir::{self, types};
use wasm_prelink_intrinsics::{Operation, Scalar};

pub use wasm_prelink_intrinsics::{
    Intrinsic, KnownNames, SignatureText, UnknownIntrinsic, ValType,
};

/// The Cranelift type Wasm values of an intrinsic's core type become.
pub fn clif_type(ty: ValType) -> ir::Type {
    match ty {
        ValType::I32 => types::I32,
        ValType::I64 => types::I64,
    }
}

/// The Cranelift type of a native access of this width.
fn access_type(scalar: Scalar) -> ir::Type {
    match scalar {
        Scalar::U8 => types::I8,
        Scalar::U16 => types::I16,
        Scalar::U32 => types::I32,
        Scalar::U64 => types::I64,
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

impl Shape {
    /// How `intrinsic` is lowered.
    pub fn of(intrinsic: Intrinsic) -> Shape {
        // Every operation but `store-data-address` touches memory, so its
        // access width is in the table.
        let access = || access_type(intrinsic.access().expect("memory intrinsics have a width"));
        match intrinsic.operation() {
            Operation::StoreDataAddress => Shape::StoreDataAddress,
            Operation::Load => Shape::Load { access: access() },
            Operation::Store => Shape::Store { access: access() },
            Operation::CheckedLoad => Shape::CheckedLoad { access: access() },
            Operation::CheckedStore => Shape::CheckedStore { access: access() },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The access never exceeds the Wasm value that carries it, so a load
    /// only zero-extends and a store only truncates.
    #[test]
    fn accesses_fit_their_wasm_values() {
        for &intrinsic in Intrinsic::ALL {
            let (params, results) = (intrinsic.params(), intrinsic.results());
            match Shape::of(intrinsic) {
                Shape::StoreDataAddress => assert_eq!(results, [ValType::I64]),
                Shape::Load { access } | Shape::CheckedLoad { access } => {
                    assert!(clif_type(results[0]).bytes() >= access.bytes());
                }
                Shape::Store { access } | Shape::CheckedStore { access } => {
                    let value = params[params.len() - 1];
                    assert!(clif_type(value).bytes() >= access.bytes());
                }
            }
            assert_eq!(
                intrinsic.access_bytes(),
                match Shape::of(intrinsic) {
                    Shape::StoreDataAddress => 0,
                    Shape::Load { access }
                    | Shape::Store { access }
                    | Shape::CheckedLoad { access }
                    | Shape::CheckedStore { access } => access.bytes(),
                }
            );
        }
    }
}
