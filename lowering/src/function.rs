//! [`FunctionLowering`]: the lowering of one function, with the clean-up
//! that needs to see the whole function.
//!
//! Each intrinsic call is lowered on its own, so a loop over an inlined
//! host-buffer API loads the buffer's pointer and length and checks the
//! index once for the `get` and again for the `set` of the same byte.
//! Cranelift cannot remove the repetition in loops (see
//! [`redundant`](crate::redundant) for why), so the plugin does: a
//! `FunctionLowering` lowers calls exactly as [`Lowering::lower_call`] does
//! and remembers the native loads, bounds checks and store-data addresses
//! it emitted; [`FunctionLowering::finish`], called once the body is
//! translated, removes the loads and checks that repeat an earlier one.
//!
//! [`LoweringEnv`](crate::LoweringEnv) does all of this by itself. A runtime
//! with its own `translate_call` keeps a `FunctionLowering` in its
//! environment (one per function, from [`Lowering::function`]), calls its
//! [`lower_call`](FunctionLowering::lower_call) where it would call
//! [`Lowering::lower_call`], and calls [`finish`](FunctionLowering::finish)
//! from its `FuncEnvironment::after_translate_function`. Without `finish`
//! the code is just as correct, only slower where calls repeat.

use cranelift_codegen::ir;
use cranelift_frontend::FunctionBuilder;
use cranelift_wasm::{FuncIndex, WasmResult};

use crate::facts::Record;
use crate::hook::StoreDataAddress;
use crate::lower::Lowering;
use crate::redundant::remove_redundant;

/// The lowering of one function: [`Lowering::lower_call`] plus a record of
/// what was emitted, for [`FunctionLowering::finish`].
///
/// Create one per function with [`Lowering::function`]; after `finish` (or
/// [`reset`](FunctionLowering::reset)) it can serve the next function.
#[derive(Clone, Debug)]
pub struct FunctionLowering<'l> {
    lowering: &'l Lowering,
    record: Record,
}

impl<'l> FunctionLowering<'l> {
    pub(crate) fn new(lowering: &'l Lowering) -> Self {
        FunctionLowering {
            lowering,
            record: Record::default(),
        }
    }

    /// The module's lowering.
    pub fn lowering(&self) -> &'l Lowering {
        self.lowering
    }

    /// Lowers a direct `call` of `callee` if it is an intrinsic, exactly as
    /// [`Lowering::lower_call`] does, and records the code for
    /// [`finish`](FunctionLowering::finish).
    pub fn lower_call(
        &mut self,
        builder: &mut FunctionBuilder<'_>,
        callee: FuncIndex,
        args: &[ir::Value],
        pointer_type: ir::Type,
        hook: &mut dyn StoreDataAddress,
    ) -> WasmResult<Option<ir::Inst>> {
        match self.lowering.intrinsics().get(callee) {
            Some(intrinsic) => self
                .lowering
                .lower_recorded(
                    builder,
                    intrinsic,
                    args,
                    pointer_type,
                    hook,
                    Some(&mut self.record),
                )
                .map(Some),
            None => Ok(None),
        }
    }

    /// Lowers a `return_call` of `callee` if it is an intrinsic, as
    /// [`Lowering::lower_return_call`] does, and records the code for
    /// [`finish`](FunctionLowering::finish). Returns whether it did.
    pub fn lower_return_call(
        &mut self,
        builder: &mut FunctionBuilder<'_>,
        callee: FuncIndex,
        args: &[ir::Value],
        pointer_type: ir::Type,
        hook: &mut dyn StoreDataAddress,
    ) -> WasmResult<bool> {
        let Some(inst) = self.lower_call(builder, callee, args, pointer_type, hook)? else {
            return Ok(false);
        };
        crate::lower::return_results_of(builder, inst);
        Ok(true)
    }

    /// Removes the native loads and bounds checks of this function that
    /// repeat an earlier one with nothing in between that could change the
    /// result, then forgets the function.
    ///
    /// Call it when the whole body has been translated — from
    /// `FuncEnvironment::after_translate_function`, after the runtime's own
    /// work there — and before `FunctionBuilder::finalize`. It changes only
    /// instructions this `FunctionLowering` emitted: a removed load's result
    /// becomes an alias of the earlier load's, and a removed check's branch
    /// becomes a jump to where it continued.
    pub fn finish(&mut self, builder: &mut FunctionBuilder<'_>) {
        remove_redundant(
            builder.func,
            &self.record,
            self.lowering.store_data_descriptor(),
        );
        self.record.clear();
    }

    /// Forgets what was recorded, without changing any code: for a
    /// translation that was abandoned, before the next function.
    pub fn reset(&mut self) {
        self.record.clear();
    }
}

impl Lowering {
    /// A [`FunctionLowering`] for translating one function of the module.
    pub fn function(&self) -> FunctionLowering<'_> {
        FunctionLowering::new(self)
    }
}
