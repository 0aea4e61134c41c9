//! How the runtime supplies the store-data address.
//!
//! `store-data-address` returns the address of the embedder's per-store data
//! — the one place a builtin learns where host memory is. Where that address
//! lives is entirely the runtime's business (a field of its vmctx, a field of
//! a structure the vmctx points to, a pinned register, a constant for a
//! single-store JIT), so the plugin does not guess: it asks the runtime,
//! through [`StoreDataAddress`], to emit whatever instructions produce it.
//!
//! The address must be the same for every call within one run of a
//! function (the store data does not move while Wasm code runs): the
//! lowering treats all the values the hook returns in one function as one
//! address when it looks for repeated loads (see [`crate::redundant`]).
//!
//! The hook runs once per lowered call. A runtime that makes its emitted code
//! a `readonly` + `notrap` load (from a value that is itself available in
//! every block, like the vmctx parameter) lets Cranelift's optimizer treat
//! the load as pure: repeated calls share one load and loops hoist it, so a
//! builtin that asks for the address in every iteration pays for it once.
//! [`VmctxField`] does exactly that for the common case of a pointer stored
//! at a fixed offset from the vmctx.

use cranelift_codegen::ir::{self, ArgumentPurpose, InstBuilder, MemFlags};
use cranelift_frontend::FunctionBuilder;
use cranelift_wasm::{WasmError, WasmResult};

/// Emits the code computing the store-data address.
///
/// Implemented by the runtime. The returned value must have type
/// `pointer_type` (the target's pointer type); on 32-bit targets the plugin
/// zero-extends it to the `i64` the intrinsic returns.
pub trait StoreDataAddress {
    /// Inserts, at the builder's current position, instructions computing the
    /// address of the store data, and returns it.
    ///
    /// Called once for every lowered `store-data-address` call. The builder's
    /// function is the one being translated, so the runtime's usual ways of
    /// reaching its context (the `vmctx` special parameter, a global value it
    /// created) work here. Every call within one function must produce the
    /// same address whenever it runs.
    fn store_data_address(
        &mut self,
        builder: &mut FunctionBuilder<'_>,
        pointer_type: ir::Type,
    ) -> WasmResult<ir::Value>;
}

impl<H: StoreDataAddress + ?Sized> StoreDataAddress for &mut H {
    fn store_data_address(
        &mut self,
        builder: &mut FunctionBuilder<'_>,
        pointer_type: ir::Type,
    ) -> WasmResult<ir::Value> {
        (**self).store_data_address(builder, pointer_type)
    }
}

/// The store-data address is a pointer stored at `offset` bytes from the
/// function's `vmctx` parameter (the parameter with
/// [`ArgumentPurpose::VMContext`]).
///
/// The load is `notrap` (the vmctx is always valid), `aligned` (the runtime
/// places its fields) and `readonly` (the store data does not move while
/// Wasm runs), which makes it pure to Cranelift's optimizer and so shared and
/// hoisted across calls. The runtime chooses `offset`; nothing about its
/// vmctx layout is assumed beyond that.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VmctxField {
    /// Byte offset of the pointer within the vmctx.
    pub offset: i32,
}

impl StoreDataAddress for VmctxField {
    fn store_data_address(
        &mut self,
        builder: &mut FunctionBuilder<'_>,
        pointer_type: ir::Type,
    ) -> WasmResult<ir::Value> {
        let vmctx = builder
            .func
            .special_param(ArgumentPurpose::VMContext)
            .ok_or_else(|| {
                WasmError::Unsupported(
                    "`store-data-address` needs a `vmctx` parameter, and this function has none"
                        .to_owned(),
                )
            })?;
        let flags = MemFlags::trusted().with_readonly();
        Ok(builder.ins().load(pointer_type, flags, vmctx, self.offset))
    }
}

/// For a runtime without store data: lowering `store-data-address` fails
/// with an error naming the intrinsic, while every other intrinsic works.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoStoreData;

impl StoreDataAddress for NoStoreData {
    fn store_data_address(
        &mut self,
        _builder: &mut FunctionBuilder<'_>,
        _pointer_type: ir::Type,
    ) -> WasmResult<ir::Value> {
        Err(WasmError::Unsupported(
            "intrinsic `store-data-address` is not available: this runtime has no store data"
                .to_owned(),
        ))
    }
}
