//! Epoch interruption: Wasmtime's scheme, a check compiled into every
//! function entry and loop header.
//!
//! The scheme is Wasmtime's (`Config::epoch_interruption`), so an embedder
//! can drive both runtimes with the same code: the [`Engine`] owns an epoch
//! counter that any thread may [increment](crate::Engine::increment_epoch);
//! each store has a deadline ([`Store::set_epoch_deadline`]); compiled code
//! compares the two at every function entry and every loop header and
//! traps with [`Trap::Interrupt`](crate::Trap::Interrupt) once the epoch
//! has reached the deadline. Every way Wasm can run forever passes one of
//! those points again and again: a loop its header, a recursion (plain or
//! through `return_call`) the callee's entry. Host functions are not
//! checked; they are the embedder's to bound.
//!
//! # The check
//!
//! ```text
//! block_n:                          ; function entry or loop header
//!   v1 = load.i64 vmctx_region v_epoch_ptr      ; the engine's counter
//!   v2 = icmp uge v1, v_deadline
//!   brif v2, slow, continue
//! slow (cold):
//!   store vmctx_region v1, v_store_ctx+EPOCH_SEEN
//!   v3 = load.i64 vmctx_region v_epoch_ptr
//!   brif (icmp uge v3, v_deadline), interrupt, continue
//! interrupt (cold):
//!   trap interrupt
//! ```
//!
//! The counter's and the deadline's addresses, and the deadline itself,
//! are `readonly` loads from the store context, which the optimizer hoists
//! out of loops; what stays in the loop is one load, a compare and a
//! not-taken branch. (The deadline is read once per function, which is why
//! a deadline moved by a host function while Wasm runs applies to the
//! functions entered afterwards.)
//!
//! The slow path looks roundabout for a reason. Cranelift's alias analysis
//! replaces a load by an earlier one of the same address when no store of
//! the same alias region lies between them; in a loop that stores nothing,
//! the load at the header would become the one at function entry, and the
//! loop would never see the epoch move. Wasmtime avoids that with a
//! libcall on the slow path whose effects flow back into the loop; here a
//! call would cost more, because the lowering plugin's clean-up
//! (`wasm_prelink_lowering::redundant`) counts every call as a possible
//! write of native memory and would then reload the host buffer's pointer
//! and length in every iteration. A store in the `vmctx` alias region that
//! flows back into the loop gives every loop header a memory version of its
//! own for Cranelift, and is invisible to the plugin, whose contract keeps
//! that region apart from native memory. The store's value is never read;
//! the second load merely makes the trap depend on a fresh read, so that
//! the path back into the loop is a real one.
//!
//! The check is cheap but not free: on a loop of two cycles per byte (the
//! host-buffer benchmark) it doubles the time. An embedder that only needs
//! to stop runaway code uses an [`InterruptHandle`] instead, which costs
//! compiled code nothing (see the parent module).
//!
//! [`Engine`]: crate::Engine
//! [`InterruptHandle`]: crate::InterruptHandle
//! [`Store::set_epoch_deadline`]: crate::Store::set_epoch_deadline

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, types, InstBuilder, MemFlags, TrapCode};
use cranelift_frontend::FunctionBuilder;

use crate::vm::{self, store_ctx};

/// The values every check of one function shares, created at the first.
#[derive(Clone, Copy)]
pub(crate) struct EpochCheck {
    store_ctx: ir::Value,
    epoch_ptr: ir::Value,
    deadline: ir::Value,
}

/// Loads of memory only compiled code reads while Wasm runs, or only the
/// host between calls.
fn readonly() -> MemFlags {
    MemFlags::trusted().with_readonly()
}

/// The flags of the epoch loads and the slow path's store: the `vmctx`
/// alias region, which no other access of compiled code uses for this
/// memory (see the module documentation).
fn epoch_flags() -> MemFlags {
    MemFlags::trusted().with_alias_region(Some(ir::AliasRegion::Vmctx))
}

impl EpochCheck {
    /// Loads the store context, the counter's address and the deadline, in
    /// the current block, which must dominate every later check (the
    /// function's entry block).
    pub fn new(builder: &mut FunctionBuilder, vmctx: ir::Value) -> EpochCheck {
        let store_ctx = builder
            .ins()
            .load(types::I64, readonly(), vmctx, vm::VMCTX_STORE);
        let epoch_ptr = builder
            .ins()
            .load(types::I64, readonly(), store_ctx, store_ctx::EPOCH);
        let deadline =
            builder
                .ins()
                .load(types::I64, readonly(), store_ctx, store_ctx::EPOCH_DEADLINE);
        EpochCheck {
            store_ctx,
            epoch_ptr,
            deadline,
        }
    }

    /// Emits the check at the current position and continues translation
    /// in a new block after it.
    pub fn emit(&self, builder: &mut FunctionBuilder) {
        let slow = builder.create_block();
        let interrupt = builder.create_block();
        let continuation = builder.create_block();
        builder.set_cold_block(slow);
        builder.set_cold_block(interrupt);

        let epoch = builder
            .ins()
            .load(types::I64, epoch_flags(), self.epoch_ptr, 0);
        let reached = builder
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, epoch, self.deadline);
        builder.ins().brif(reached, slow, &[], continuation, &[]);

        builder.switch_to_block(slow);
        builder.seal_block(slow);
        builder
            .ins()
            .store(epoch_flags(), epoch, self.store_ctx, store_ctx::EPOCH_SEEN);
        let epoch = builder
            .ins()
            .load(types::I64, epoch_flags(), self.epoch_ptr, 0);
        let reached = builder
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, epoch, self.deadline);
        builder
            .ins()
            .brif(reached, interrupt, &[], continuation, &[]);

        builder.switch_to_block(interrupt);
        builder.seal_block(interrupt);
        builder.ins().trap(TrapCode::Interrupt);

        builder.switch_to_block(continuation);
        builder.seal_block(continuation);
    }
}
