//! Trampolines between the host's C calling convention and compiled Wasm
//! functions, one pair per signature.
//!
//! * The *entry* trampoline lets the host call any Wasm function through
//!   one Rust type, `extern "C" fn(vmctx, code, values)`: it loads the
//!   arguments from the value array, calls `code` in the Wasm (`tail`)
//!   convention, and stores the results back into the same array.
//! * The *host adapter* is a Wasm-convention function that stores its
//!   arguments into a stack array and calls the Rust dispatcher
//!   [`crate::func::host_call`] with it; a nonzero status becomes a trap
//!   (the host error is kept by the trap machinery, see [`crate::trap`]).
//!   A host function thus has a code pointer like any compiled function,
//!   and `call`, `call_indirect` and tables treat both alike.
//!
//! Both are small Cranelift functions in their own JIT module, compiled the
//! first time a store needs a signature and cached by the store.

use cranelift_codegen::ir::{
    self, types, AbiParam, InstBuilder, MemFlags, StackSlotData, StackSlotKind, TrapCode,
    UserFuncName,
};
use cranelift_codegen::isa::{CallConv, OwnedTargetIsa};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, Linkage, Module};

use crate::error::Error;
use crate::values::{FuncType, ValType, VAL_RAW_SIZE};

/// The trap code of a host function that returned an error.
pub(crate) const HOST_TRAP: TrapCode = TrapCode::User(1);

/// The entry trampoline's Rust type: callee vmctx, callee code, value array.
pub(crate) type EntryFn = unsafe extern "C" fn(*mut u8, *const u8, *mut u8);

/// Compiled trampolines for one signature.
pub(crate) struct Trampolines {
    jit: Option<JITModule>,
    /// Calls a Wasm-convention function from the host.
    pub entry: EntryFn,
    /// Code of the host adapter.
    pub host_adapter: *const u8,
    /// Where the adapter lies, with its trap sites (offset, code).
    pub adapter_range: (usize, usize),
    /// Offsets of the adapter's host-error trap.
    pub adapter_traps: Vec<(u32, TrapCode)>,
}

impl Drop for Trampolines {
    fn drop(&mut self) {
        if let Some(jit) = self.jit.take() {
            // SAFETY: the store dropping these trampolines runs no more code.
            unsafe { jit.free_memory() };
        }
    }
}

fn clif(ty: ValType) -> ir::Type {
    match ty {
        ValType::I32 => types::I32,
        ValType::I64 => types::I64,
        ValType::F32 => types::F32,
        ValType::F64 => types::F64,
        ValType::V128 => types::I8X16,
        ValType::FuncRef | ValType::ExternRef => types::I64,
    }
}

/// The Wasm-convention signature of `ty` (see `func_env::wasm_signature`).
fn wasm_signature(ty: &FuncType) -> ir::Signature {
    let mut sig = ir::Signature::new(CallConv::Tail);
    sig.params.push(AbiParam::special(
        types::I64,
        ir::ArgumentPurpose::VMContext,
    ));
    sig.params
        .extend(ty.params.iter().map(|&t| AbiParam::new(clif(t))));
    sig.returns
        .extend(ty.results.iter().map(|&t| AbiParam::new(clif(t))));
    sig
}

/// Value-array accesses are to host memory the trampoline's caller owns.
fn flags() -> MemFlags {
    MemFlags::trusted()
}

fn compile_err(e: impl std::fmt::Display) -> Error {
    Error::Compile(format!("trampoline: {e}"))
}

/// Compiles the trampolines of `ty`.
pub(crate) fn compile(isa: &OwnedTargetIsa, ty: &FuncType) -> Result<Trampolines, Error> {
    let mut jit = JITModule::new(JITBuilder::with_isa(isa.clone(), default_libcall_names()));
    let call_conv = isa.default_call_conv();
    let mut fctx = FunctionBuilderContext::new();

    // Entry: (vmctx, code, values) in the host convention.
    let mut entry_sig = ir::Signature::new(call_conv);
    entry_sig.params.extend([AbiParam::new(types::I64); 3]);
    let entry_id = jit
        .declare_anonymous_function(&entry_sig)
        .map_err(compile_err)?;
    let mut ctx = Context::new();
    ctx.func = ir::Function::with_name_signature(UserFuncName::user(0, 0), entry_sig);
    {
        let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
        let block = b.create_block();
        b.append_block_params_for_function_params(block);
        b.switch_to_block(block);
        b.seal_block(block);
        let [vmctx, code, values] = b.block_params(block) else {
            unreachable!("the entry signature has three parameters")
        };
        let (vmctx, code, values) = (*vmctx, *code, *values);
        let mut args = vec![vmctx];
        for (i, &p) in ty.params.iter().enumerate() {
            let offset = (i as u32 * VAL_RAW_SIZE) as i32;
            args.push(b.ins().load(clif(p), flags(), values, offset));
        }
        let sig = b.import_signature(wasm_signature(ty));
        let call = b.ins().call_indirect(sig, code, &args);
        let results = b.inst_results(call).to_vec();
        for (i, r) in results.into_iter().enumerate() {
            let offset = (i as u32 * VAL_RAW_SIZE) as i32;
            b.ins().store(flags(), r, values, offset);
        }
        b.ins().return_(&[]);
        b.finalize();
    }
    jit.define_function(entry_id, &mut ctx)
        .map_err(compile_err)?;
    jit.clear_context(&mut ctx);

    // Host adapter: Wasm convention, calls `host_call(vmctx, values)`.
    let adapter_id = jit
        .declare_function("host_adapter", Linkage::Local, &wasm_signature(ty))
        .map_err(compile_err)?;
    ctx.func = ir::Function::with_name_signature(UserFuncName::user(0, 1), wasm_signature(ty));
    {
        let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
        let block = b.create_block();
        b.append_block_params_for_function_params(block);
        b.switch_to_block(block);
        b.seal_block(block);
        let params = b.block_params(block).to_vec();
        let slots = ty.params.len().max(ty.results.len()).max(1) as u32;
        let slot = b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            slots * VAL_RAW_SIZE,
            4,
        ));
        for (i, &p) in params[1..].iter().enumerate() {
            b.ins()
                .stack_store(p, slot, (i as u32 * VAL_RAW_SIZE) as i32);
        }
        let values = b.ins().stack_addr(types::I64, slot, 0);
        let mut host_sig = ir::Signature::new(call_conv);
        host_sig.params.extend([AbiParam::new(types::I64); 2]);
        host_sig.returns.push(AbiParam::new(types::I32));
        let host_sig = b.import_signature(host_sig);
        let host = b.ins().iconst(
            types::I64,
            crate::func::host_call as *const () as usize as i64,
        );
        let call = b.ins().call_indirect(host_sig, host, &[params[0], values]);
        let status = b.inst_results(call)[0];
        b.ins().trapnz(status, HOST_TRAP);
        let mut results = Vec::new();
        for (i, &r) in ty.results.iter().enumerate() {
            results.push(
                b.ins()
                    .stack_load(clif(r), slot, (i as u32 * VAL_RAW_SIZE) as i32),
            );
        }
        b.ins().return_(&results);
        b.finalize();
    }
    jit.define_function(adapter_id, &mut ctx)
        .map_err(compile_err)?;
    let compiled = ctx
        .compiled_code()
        .ok_or_else(|| compile_err("no code for the host adapter"))?;
    let adapter_traps = compiled
        .buffer
        .traps()
        .iter()
        .map(|t| (t.offset, t.code))
        .collect();
    let adapter_size = compiled.code_info().total_size as usize;
    jit.finalize_definitions().map_err(compile_err)?;
    let entry = jit.get_finalized_function(entry_id);
    let host_adapter = jit.get_finalized_function(adapter_id);
    Ok(Trampolines {
        // SAFETY: `entry` was compiled above with exactly the signature
        // `EntryFn` describes, in the host's default calling convention.
        entry: unsafe { std::mem::transmute::<*const u8, EntryFn>(entry) },
        host_adapter,
        adapter_range: (host_adapter as usize, host_adapter as usize + adapter_size),
        adapter_traps,
        jit: Some(jit),
    })
}
