//! The `FuncEnvironment`: how this runtime's compiled code reaches its
//! vmctx, memories, tables, globals and other functions.
//!
//! cranelift-wasm translates operators and calls back here for everything
//! that depends on the runtime's data layout (see [`crate::vm`]). The
//! lowering plugin wraps this environment (see `crate::module`) and
//! takes over only direct calls to intrinsic imports.
//!
//! Choices that matter for speed:
//! * 32-bit heaps are `Static` with a 4 GiB bound and a 2 GiB guard, so
//!   cranelift-wasm emits no bounds checks; 64-bit heaps are `Dynamic`.
//! * vmctx loads are `readonly` + `notrap` + `aligned` (see [`crate::vm`]
//!   for why that is sound), so the optimizer hoists them out of loops.
//! * Functions use the `tail` calling convention, which supports any number
//!   of results and `return_call`; the trampolines bridge to the host's C
//!   convention.
//!
//! Bulk operations and growth call Rust "libcalls" (see
//! [`crate::libcalls`]) by absolute address; those report failure by a
//! status result that the compiled code turns into the right trap.

use cranelift_codegen::cursor::FuncCursor;
use cranelift_codegen::entity::{EntityRef, PrimaryMap};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    self, types, AbiParam, ArgumentPurpose, InstBuilder, MemFlags, TrapCode, UserExternalName,
};
use cranelift_codegen::isa::{CallConv, TargetFrontendConfig};
use cranelift_frontend::FunctionBuilder;
use cranelift_module::FuncId;
use cranelift_wasm::{
    EngineOrModuleTypeIndex, FuncEnvironment, FuncIndex, GlobalIndex, GlobalVariable, Heap,
    HeapData, HeapStyle, MemoryIndex, ModuleInternedTypeIndex, TableIndex, TargetEnvironment,
    TypeConvert, TypeIndex, WasmError, WasmFuncType, WasmHeapType, WasmResult, WasmValType,
};

use crate::info::{module_type_index, ModuleInfo};
use crate::interrupt::EpochCheck;
use crate::libcalls::Libcall;
use crate::memory::{GUARD_SIZE, MEMORY32_MAX};
use crate::vm::{self, VMOffsets};

/// The CLIF type of a Wasm value type on a 64-bit host.
pub(crate) fn clif_type(ty: &WasmValType) -> ir::Type {
    match ty {
        WasmValType::I32 => types::I32,
        WasmValType::I64 => types::I64,
        WasmValType::F32 => types::F32,
        WasmValType::F64 => types::F64,
        WasmValType::V128 => types::I8X16,
        WasmValType::Ref(_) => types::I64,
    }
}

/// The CLIF signature of a Wasm function: the callee's vmctx, then the
/// Wasm parameters, in the `tail` convention.
pub(crate) fn wasm_signature(ty: &WasmFuncType) -> ir::Signature {
    let mut sig = ir::Signature::new(CallConv::Tail);
    sig.params
        .push(AbiParam::special(types::I64, ArgumentPurpose::VMContext));
    sig.params
        .extend(ty.params().iter().map(|t| AbiParam::new(clif_type(t))));
    sig.returns
        .extend(ty.returns().iter().map(|t| AbiParam::new(clif_type(t))));
    sig
}

/// Flags of a load from the vmctx or an immutable runtime structure.
fn readonly() -> MemFlags {
    MemFlags::trusted().with_readonly()
}

/// Flags of a load of runtime state that changes while Wasm runs.
fn mutable() -> MemFlags {
    MemFlags::trusted()
}

/// Environment for translating one function.
pub(crate) struct FuncEnv<'a> {
    info: &'a ModuleInfo,
    offsets: VMOffsets,
    /// Engine-wide signature id of every module type.
    type_ids: &'a [u64],
    /// The JIT's id of every defined function.
    func_ids: &'a [FuncId],
    config: TargetFrontendConfig,
    heaps: PrimaryMap<Heap, HeapData>,
    vmctx: Option<ir::GlobalValue>,
    /// Whether to emit epoch checks (see [`crate::interrupt::epoch`]).
    epoch_interruption: bool,
    /// The values the function's epoch checks share, once made at entry.
    epoch: Option<EpochCheck>,
}

impl<'a> FuncEnv<'a> {
    pub fn new(
        info: &'a ModuleInfo,
        offsets: VMOffsets,
        type_ids: &'a [u64],
        func_ids: &'a [FuncId],
        config: TargetFrontendConfig,
    ) -> Self {
        FuncEnv {
            info,
            offsets,
            type_ids,
            func_ids,
            config,
            heaps: PrimaryMap::new(),
            vmctx: None,
            epoch_interruption: false,
            epoch: None,
        }
    }

    /// Makes the translation check the store's epoch deadline at the
    /// function's entry and every loop header (see [`crate::interrupt::epoch`]).
    pub fn with_epoch_interruption(mut self, enable: bool) -> Self {
        self.epoch_interruption = enable;
        self
    }

    /// The vmctx as a global value, created on first use.
    pub fn vmctx_gv(&mut self, func: &mut ir::Function) -> ir::GlobalValue {
        *self
            .vmctx
            .get_or_insert_with(|| func.create_global_value(ir::GlobalValueData::VMContext))
    }

    /// Sets the stack limit the prologue checks: `stack_limit` of the
    /// store context, two loads from the vmctx. A function that overflows
    /// traps with `StackOverflow` before its frame is allocated.
    pub fn set_stack_limit(&mut self, func: &mut ir::Function) {
        let vmctx = self.vmctx_gv(func);
        let store = func.create_global_value(ir::GlobalValueData::Load {
            base: vmctx,
            offset: vm::VMCTX_STORE.into(),
            global_type: types::I64,
            flags: readonly(),
        });
        let limit = func.create_global_value(ir::GlobalValueData::Load {
            base: store,
            offset: 0.into(),
            global_type: types::I64,
            flags: readonly(),
        });
        func.stack_limit = Some(limit);
    }

    fn vmctx_value(func: &ir::Function) -> WasmResult<ir::Value> {
        func.special_param(ArgumentPurpose::VMContext)
            .ok_or_else(|| WasmError::Unsupported("function without vmctx".to_owned()))
    }

    fn type_id(&self, index: TypeIndex) -> u64 {
        self.type_ids[index.index()]
    }

    /// Emits a call of `libcall` with `args` (vmctx first) and returns its
    /// results.
    fn call_libcall(pos: &mut FuncCursor, libcall: Libcall, args: &[ir::Value]) -> Vec<ir::Value> {
        let sig = pos.func.import_signature(libcall.signature());
        let callee = pos.ins().iconst(types::I64, libcall.address() as i64);
        let inst = pos.ins().call_indirect(sig, callee, args);
        pos.func.dfg.inst_results(inst).to_vec()
    }

    /// Emits a libcall whose status result is nonzero on failure, trapping
    /// with `code` then.
    fn call_checked(
        pos: &mut FuncCursor,
        libcall: Libcall,
        args: &[ir::Value],
        code: TrapCode,
    ) -> WasmResult<()> {
        let results = Self::call_libcall(pos, libcall, args);
        pos.ins().trapnz(results[0], code);
        Ok(())
    }

    fn to_i64(pos: &mut FuncCursor, value: ir::Value) -> ir::Value {
        if pos.func.dfg.value_type(value) == types::I64 {
            value
        } else {
            pos.ins().uextend(types::I64, value)
        }
    }

    /// The `VMTable` pointer, element base and checked element address of
    /// `index` in `table`; traps when out of bounds.
    fn table_element(
        &self,
        builder: &mut FunctionBuilder,
        table: TableIndex,
        index: ir::Value,
    ) -> WasmResult<ir::Value> {
        let vmctx = Self::vmctx_value(builder.func)?;
        let vmtable = builder.ins().load(
            types::I64,
            readonly(),
            vmctx,
            self.offsets.table(table.as_u32()),
        );
        let length = builder
            .ins()
            .load(types::I64, mutable(), vmtable, vm::table::LENGTH);
        let index = if builder.func.dfg.value_type(index) == types::I64 {
            index
        } else {
            builder.ins().uextend(types::I64, index)
        };
        let oob = builder
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, index, length);
        builder.ins().trapnz(oob, TrapCode::TableOutOfBounds);
        let base = builder
            .ins()
            .load(types::I64, mutable(), vmtable, vm::table::BASE);
        let offset = builder.ins().ishl_imm(index, 3);
        Ok(builder.ins().iadd(base, offset))
    }

    /// The code and vmctx of a checked `call_indirect` target.
    fn indirect_target(
        &self,
        builder: &mut FunctionBuilder,
        table: TableIndex,
        sig_index: TypeIndex,
        callee: ir::Value,
    ) -> WasmResult<(ir::Value, ir::Value)> {
        let element = self.table_element(builder, table, callee)?;
        let funcref = builder.ins().load(types::I64, mutable(), element, 0);
        builder.ins().trapz(funcref, TrapCode::IndirectCallToNull);
        let type_id = builder
            .ins()
            .load(types::I64, readonly(), funcref, vm::funcref::TYPE_ID);
        let mismatch =
            builder
                .ins()
                .icmp_imm(IntCC::NotEqual, type_id, self.type_id(sig_index) as i64);
        builder.ins().trapnz(mismatch, TrapCode::BadSignature);
        Ok(Self::funcref_target(builder, funcref))
    }

    fn funcref_target(builder: &mut FunctionBuilder, funcref: ir::Value) -> (ir::Value, ir::Value) {
        let code = builder
            .ins()
            .load(types::I64, readonly(), funcref, vm::funcref::CODE);
        let vmctx = builder
            .ins()
            .load(types::I64, readonly(), funcref, vm::funcref::VMCTX);
        (code, vmctx)
    }

    /// The code and vmctx of imported function `index`.
    fn import_target(
        &self,
        builder: &mut FunctionBuilder,
        index: FuncIndex,
    ) -> WasmResult<(ir::Value, ir::Value)> {
        let vmctx = Self::vmctx_value(builder.func)?;
        let funcref = builder
            .ins()
            .load(types::I64, readonly(), vmctx, self.offsets.func(index));
        Ok(Self::funcref_target(builder, funcref))
    }

    fn with_vmctx(callee_vmctx: ir::Value, args: &[ir::Value]) -> Vec<ir::Value> {
        let mut all = Vec::with_capacity(args.len() + 1);
        all.push(callee_vmctx);
        all.extend_from_slice(args);
        all
    }

    fn memory64(&self, index: MemoryIndex) -> bool {
        self.info.memories[index.index()].memory64
    }

    fn memory_arg(pos: &mut FuncCursor, index: MemoryIndex) -> ir::Value {
        pos.ins().iconst(types::I32, i64::from(index.as_u32()))
    }
}

fn unsupported<T>(what: &str) -> WasmResult<T> {
    Err(WasmError::Unsupported(what.to_owned()))
}

impl TypeConvert for FuncEnv<'_> {
    fn lookup_heap_type(&self, index: cranelift_wasm::wasmparser::UnpackedIndex) -> WasmHeapType {
        WasmHeapType::ConcreteFunc(self.lookup_type_index(index))
    }

    fn lookup_type_index(
        &self,
        index: cranelift_wasm::wasmparser::UnpackedIndex,
    ) -> EngineOrModuleTypeIndex {
        EngineOrModuleTypeIndex::Module(ModuleInternedTypeIndex::from_u32(module_type_index(index)))
    }
}

impl TargetEnvironment for FuncEnv<'_> {
    fn target_config(&self) -> TargetFrontendConfig {
        self.config
    }

    fn heap_access_spectre_mitigation(&self) -> bool {
        false
    }

    fn proof_carrying_code(&self) -> bool {
        false
    }

    fn reference_type(&self, _ty: WasmHeapType) -> (ir::Type, bool) {
        // References are machine words and never need stack maps: this
        // runtime has no garbage collector.
        (types::I64, false)
    }
}

impl FuncEnvironment for FuncEnv<'_> {
    fn param_needs_stack_map(&self, _signature: &ir::Signature, _index: usize) -> bool {
        false
    }

    fn sig_ref_result_needs_stack_map(&self, _sig_ref: ir::SigRef, _index: usize) -> bool {
        false
    }

    fn func_ref_result_needs_stack_map(
        &self,
        _func: &ir::Function,
        _func_ref: ir::FuncRef,
        _index: usize,
    ) -> bool {
        false
    }

    fn make_global(
        &mut self,
        func: &mut ir::Function,
        index: GlobalIndex,
    ) -> WasmResult<GlobalVariable> {
        let vmctx = self.vmctx_gv(func);
        let cell = func.create_global_value(ir::GlobalValueData::Load {
            base: vmctx,
            offset: self.offsets.global(index.as_u32()).into(),
            global_type: types::I64,
            flags: readonly(),
        });
        let ty = clif_type(&self.info.globals[index.index()].0.wasm_ty);
        Ok(GlobalVariable::Memory {
            gv: cell,
            offset: 0.into(),
            ty,
        })
    }

    fn heaps(&self) -> &PrimaryMap<Heap, HeapData> {
        &self.heaps
    }

    fn make_heap(&mut self, func: &mut ir::Function, index: MemoryIndex) -> WasmResult<Heap> {
        let vmctx = self.vmctx_gv(func);
        let memory = &self.info.memories[index.index()];
        let base = func.create_global_value(ir::GlobalValueData::Load {
            base: vmctx,
            offset: self.offsets.memory_base(index.as_u32()).into(),
            global_type: types::I64,
            flags: readonly(),
        });
        let (style, index_type, guard) = if memory.memory64 {
            let def = func.create_global_value(ir::GlobalValueData::Load {
                base: vmctx,
                offset: self.offsets.memory_def(index.as_u32()).into(),
                global_type: types::I64,
                flags: readonly(),
            });
            let bound_gv = func.create_global_value(ir::GlobalValueData::Load {
                base: def,
                offset: vm::MEMORY_LENGTH.into(),
                global_type: types::I64,
                flags: mutable(),
            });
            (HeapStyle::Dynamic { bound_gv }, types::I64, GUARD_SIZE)
        } else {
            (
                HeapStyle::Static {
                    bound: MEMORY32_MAX,
                },
                types::I32,
                GUARD_SIZE,
            )
        };
        Ok(self.heaps.push(HeapData {
            base,
            min_size: memory.minimum.saturating_mul(crate::memory::PAGE_SIZE),
            max_size: memory
                .maximum
                .map(|m| m.saturating_mul(crate::memory::PAGE_SIZE)),
            offset_guard_size: guard,
            style,
            index_type,
            memory_type: None,
            page_size_log2: memory.page_size_log2,
        }))
    }

    fn make_indirect_sig(
        &mut self,
        func: &mut ir::Function,
        index: TypeIndex,
    ) -> WasmResult<ir::SigRef> {
        let ty = &self.info.types[index.index()];
        Ok(func.import_signature(wasm_signature(ty)))
    }

    fn make_direct_func(
        &mut self,
        func: &mut ir::Function,
        index: FuncIndex,
    ) -> WasmResult<ir::FuncRef> {
        let signature = func.import_signature(wasm_signature(self.info.func_type(index)));
        // Defined functions are JIT symbols (namespace 0, as cranelift-module
        // names them); imports are called through their vmctx entry, and
        // their name here is never referenced by code.
        let name = match index.as_u32().checked_sub(self.info.imported_funcs) {
            Some(defined) => UserExternalName::new(0, self.func_ids[defined as usize].as_u32()),
            None => UserExternalName::new(1, index.as_u32()),
        };
        let name = func.declare_imported_user_function(name);
        Ok(func.import_function(ir::ExtFuncData {
            name: ir::ExternalName::user(name),
            signature,
            colocated: true,
        }))
    }

    fn translate_call(
        &mut self,
        builder: &mut FunctionBuilder,
        callee_index: FuncIndex,
        callee: ir::FuncRef,
        call_args: &[ir::Value],
    ) -> WasmResult<ir::Inst> {
        if self.info.is_imported_func(callee_index) {
            let (code, callee_vmctx) = self.import_target(builder, callee_index)?;
            let sig = builder.func.dfg.ext_funcs[callee].signature;
            let args = Self::with_vmctx(callee_vmctx, call_args);
            Ok(builder.ins().call_indirect(sig, code, &args))
        } else {
            let vmctx = Self::vmctx_value(builder.func)?;
            let args = Self::with_vmctx(vmctx, call_args);
            Ok(builder.ins().call(callee, &args))
        }
    }

    fn translate_return_call(
        &mut self,
        builder: &mut FunctionBuilder,
        callee_index: FuncIndex,
        callee: ir::FuncRef,
        call_args: &[ir::Value],
    ) -> WasmResult<()> {
        if self.info.is_imported_func(callee_index) {
            let (code, callee_vmctx) = self.import_target(builder, callee_index)?;
            let sig = builder.func.dfg.ext_funcs[callee].signature;
            let args = Self::with_vmctx(callee_vmctx, call_args);
            builder.ins().return_call_indirect(sig, code, &args);
        } else {
            let vmctx = Self::vmctx_value(builder.func)?;
            let args = Self::with_vmctx(vmctx, call_args);
            builder.ins().return_call(callee, &args);
        }
        Ok(())
    }

    fn translate_call_indirect(
        &mut self,
        builder: &mut FunctionBuilder,
        table_index: TableIndex,
        sig_index: TypeIndex,
        sig_ref: ir::SigRef,
        callee: ir::Value,
        call_args: &[ir::Value],
    ) -> WasmResult<Option<ir::Inst>> {
        let (code, callee_vmctx) = self.indirect_target(builder, table_index, sig_index, callee)?;
        let args = Self::with_vmctx(callee_vmctx, call_args);
        Ok(Some(builder.ins().call_indirect(sig_ref, code, &args)))
    }

    fn translate_return_call_indirect(
        &mut self,
        builder: &mut FunctionBuilder,
        table_index: TableIndex,
        sig_index: TypeIndex,
        sig_ref: ir::SigRef,
        callee: ir::Value,
        call_args: &[ir::Value],
    ) -> WasmResult<()> {
        let (code, callee_vmctx) = self.indirect_target(builder, table_index, sig_index, callee)?;
        let args = Self::with_vmctx(callee_vmctx, call_args);
        builder.ins().return_call_indirect(sig_ref, code, &args);
        Ok(())
    }

    fn translate_return_call_ref(
        &mut self,
        _builder: &mut FunctionBuilder,
        _sig_ref: ir::SigRef,
        _callee: ir::Value,
        _call_args: &[ir::Value],
    ) -> WasmResult<()> {
        unsupported("typed function references (`return_call_ref`)")
    }

    fn translate_call_ref(
        &mut self,
        _builder: &mut FunctionBuilder,
        _sig_ref: ir::SigRef,
        _callee: ir::Value,
        _call_args: &[ir::Value],
    ) -> WasmResult<ir::Inst> {
        unsupported("typed function references (`call_ref`)")
    }

    fn translate_memory_grow(
        &mut self,
        mut pos: FuncCursor,
        index: MemoryIndex,
        _heap: Heap,
        val: ir::Value,
    ) -> WasmResult<ir::Value> {
        let vmctx = Self::vmctx_value(pos.func)?;
        let memory = Self::memory_arg(&mut pos, index);
        let delta = Self::to_i64(&mut pos, val);
        let old = Self::call_libcall(&mut pos, Libcall::MemoryGrow, &[vmctx, memory, delta])[0];
        Ok(if self.memory64(index) {
            old
        } else {
            pos.ins().ireduce(types::I32, old)
        })
    }

    fn translate_memory_size(
        &mut self,
        mut pos: FuncCursor,
        index: MemoryIndex,
        _heap: Heap,
    ) -> WasmResult<ir::Value> {
        let vmctx = Self::vmctx_value(pos.func)?;
        let def = pos.ins().load(
            types::I64,
            readonly(),
            vmctx,
            self.offsets.memory_def(index.as_u32()),
        );
        let length = pos
            .ins()
            .load(types::I64, mutable(), def, vm::MEMORY_LENGTH);
        let pages = pos.ins().ushr_imm(length, 16);
        Ok(if self.memory64(index) {
            pages
        } else {
            pos.ins().ireduce(types::I32, pages)
        })
    }

    fn translate_memory_copy(
        &mut self,
        mut pos: FuncCursor,
        src_index: MemoryIndex,
        _src_heap: Heap,
        dst_index: MemoryIndex,
        _dst_heap: Heap,
        dst: ir::Value,
        src: ir::Value,
        len: ir::Value,
    ) -> WasmResult<()> {
        let vmctx = Self::vmctx_value(pos.func)?;
        let dst_memory = Self::memory_arg(&mut pos, dst_index);
        let src_memory = Self::memory_arg(&mut pos, src_index);
        let dst = Self::to_i64(&mut pos, dst);
        let src = Self::to_i64(&mut pos, src);
        let len = Self::to_i64(&mut pos, len);
        Self::call_checked(
            &mut pos,
            Libcall::MemoryCopy,
            &[vmctx, dst_memory, dst, src_memory, src, len],
            TrapCode::HeapOutOfBounds,
        )
    }

    fn translate_memory_fill(
        &mut self,
        mut pos: FuncCursor,
        index: MemoryIndex,
        _heap: Heap,
        dst: ir::Value,
        val: ir::Value,
        len: ir::Value,
    ) -> WasmResult<()> {
        let vmctx = Self::vmctx_value(pos.func)?;
        let memory = Self::memory_arg(&mut pos, index);
        let dst = Self::to_i64(&mut pos, dst);
        let len = Self::to_i64(&mut pos, len);
        Self::call_checked(
            &mut pos,
            Libcall::MemoryFill,
            &[vmctx, memory, dst, val, len],
            TrapCode::HeapOutOfBounds,
        )
    }

    fn translate_memory_init(
        &mut self,
        mut pos: FuncCursor,
        index: MemoryIndex,
        _heap: Heap,
        seg_index: u32,
        dst: ir::Value,
        src: ir::Value,
        len: ir::Value,
    ) -> WasmResult<()> {
        let vmctx = Self::vmctx_value(pos.func)?;
        let memory = Self::memory_arg(&mut pos, index);
        let segment = pos.ins().iconst(types::I32, i64::from(seg_index));
        let dst = Self::to_i64(&mut pos, dst);
        let src = Self::to_i64(&mut pos, src);
        let len = Self::to_i64(&mut pos, len);
        Self::call_checked(
            &mut pos,
            Libcall::MemoryInit,
            &[vmctx, memory, segment, dst, src, len],
            TrapCode::HeapOutOfBounds,
        )
    }

    fn translate_data_drop(&mut self, mut pos: FuncCursor, seg_index: u32) -> WasmResult<()> {
        let vmctx = Self::vmctx_value(pos.func)?;
        let segment = pos.ins().iconst(types::I32, i64::from(seg_index));
        Self::call_libcall(&mut pos, Libcall::DataDrop, &[vmctx, segment]);
        Ok(())
    }

    fn translate_table_size(
        &mut self,
        mut pos: FuncCursor,
        index: TableIndex,
    ) -> WasmResult<ir::Value> {
        let vmctx = Self::vmctx_value(pos.func)?;
        let vmtable = pos.ins().load(
            types::I64,
            readonly(),
            vmctx,
            self.offsets.table(index.as_u32()),
        );
        let length = pos
            .ins()
            .load(types::I64, mutable(), vmtable, vm::table::LENGTH);
        Ok(pos.ins().ireduce(types::I32, length))
    }

    fn translate_table_grow(
        &mut self,
        mut pos: FuncCursor,
        table_index: TableIndex,
        delta: ir::Value,
        init_value: ir::Value,
    ) -> WasmResult<ir::Value> {
        let vmctx = Self::vmctx_value(pos.func)?;
        let table = pos
            .ins()
            .iconst(types::I32, i64::from(table_index.as_u32()));
        let delta = Self::to_i64(&mut pos, delta);
        let old = Self::call_libcall(
            &mut pos,
            Libcall::TableGrow,
            &[vmctx, table, delta, init_value],
        )[0];
        Ok(pos.ins().ireduce(types::I32, old))
    }

    fn translate_table_get(
        &mut self,
        builder: &mut FunctionBuilder,
        table_index: TableIndex,
        index: ir::Value,
    ) -> WasmResult<ir::Value> {
        let element = self.table_element(builder, table_index, index)?;
        Ok(builder.ins().load(types::I64, mutable(), element, 0))
    }

    fn translate_table_set(
        &mut self,
        builder: &mut FunctionBuilder,
        table_index: TableIndex,
        value: ir::Value,
        index: ir::Value,
    ) -> WasmResult<()> {
        let element = self.table_element(builder, table_index, index)?;
        builder.ins().store(mutable(), value, element, 0);
        Ok(())
    }

    fn translate_table_copy(
        &mut self,
        mut pos: FuncCursor,
        dst_table_index: TableIndex,
        src_table_index: TableIndex,
        dst: ir::Value,
        src: ir::Value,
        len: ir::Value,
    ) -> WasmResult<()> {
        let vmctx = Self::vmctx_value(pos.func)?;
        let dst_table = pos
            .ins()
            .iconst(types::I32, i64::from(dst_table_index.as_u32()));
        let src_table = pos
            .ins()
            .iconst(types::I32, i64::from(src_table_index.as_u32()));
        let dst = Self::to_i64(&mut pos, dst);
        let src = Self::to_i64(&mut pos, src);
        let len = Self::to_i64(&mut pos, len);
        Self::call_checked(
            &mut pos,
            Libcall::TableCopy,
            &[vmctx, dst_table, dst, src_table, src, len],
            TrapCode::TableOutOfBounds,
        )
    }

    fn translate_table_fill(
        &mut self,
        mut pos: FuncCursor,
        table_index: TableIndex,
        dst: ir::Value,
        val: ir::Value,
        len: ir::Value,
    ) -> WasmResult<()> {
        let vmctx = Self::vmctx_value(pos.func)?;
        let table = pos
            .ins()
            .iconst(types::I32, i64::from(table_index.as_u32()));
        let dst = Self::to_i64(&mut pos, dst);
        let len = Self::to_i64(&mut pos, len);
        Self::call_checked(
            &mut pos,
            Libcall::TableFill,
            &[vmctx, table, dst, val, len],
            TrapCode::TableOutOfBounds,
        )
    }

    fn translate_table_init(
        &mut self,
        mut pos: FuncCursor,
        seg_index: u32,
        table_index: TableIndex,
        dst: ir::Value,
        src: ir::Value,
        len: ir::Value,
    ) -> WasmResult<()> {
        let vmctx = Self::vmctx_value(pos.func)?;
        let table = pos
            .ins()
            .iconst(types::I32, i64::from(table_index.as_u32()));
        let segment = pos.ins().iconst(types::I32, i64::from(seg_index));
        let dst = Self::to_i64(&mut pos, dst);
        let src = Self::to_i64(&mut pos, src);
        let len = Self::to_i64(&mut pos, len);
        Self::call_checked(
            &mut pos,
            Libcall::TableInit,
            &[vmctx, table, segment, dst, src, len],
            TrapCode::TableOutOfBounds,
        )
    }

    fn translate_elem_drop(&mut self, mut pos: FuncCursor, seg_index: u32) -> WasmResult<()> {
        let vmctx = Self::vmctx_value(pos.func)?;
        let segment = pos.ins().iconst(types::I32, i64::from(seg_index));
        Self::call_libcall(&mut pos, Libcall::ElemDrop, &[vmctx, segment]);
        Ok(())
    }

    fn translate_ref_null(
        &mut self,
        mut pos: FuncCursor,
        _ty: WasmHeapType,
    ) -> WasmResult<ir::Value> {
        Ok(pos.ins().iconst(types::I64, 0))
    }

    fn translate_ref_is_null(
        &mut self,
        mut pos: FuncCursor,
        value: ir::Value,
    ) -> WasmResult<ir::Value> {
        let is_null = pos.ins().icmp_imm(IntCC::Equal, value, 0);
        Ok(pos.ins().uextend(types::I32, is_null))
    }

    fn translate_ref_func(
        &mut self,
        mut pos: FuncCursor,
        func_index: FuncIndex,
    ) -> WasmResult<ir::Value> {
        let vmctx = Self::vmctx_value(pos.func)?;
        Ok(pos
            .ins()
            .load(types::I64, readonly(), vmctx, self.offsets.func(func_index)))
    }

    fn translate_custom_global_get(
        &mut self,
        _builder: &mut FunctionBuilder,
        _global_index: GlobalIndex,
    ) -> WasmResult<ir::Value> {
        unsupported("custom globals")
    }

    fn translate_custom_global_set(
        &mut self,
        _builder: &mut FunctionBuilder,
        _global_index: GlobalIndex,
        _val: ir::Value,
    ) -> WasmResult<()> {
        unsupported("custom globals")
    }

    fn translate_atomic_wait(
        &mut self,
        _pos: FuncCursor,
        _index: MemoryIndex,
        _heap: Heap,
        _addr: ir::Value,
        _expected: ir::Value,
        _timeout: ir::Value,
    ) -> WasmResult<ir::Value> {
        unsupported("threads (`memory.atomic.wait`)")
    }

    fn translate_atomic_notify(
        &mut self,
        _pos: FuncCursor,
        _index: MemoryIndex,
        _heap: Heap,
        _addr: ir::Value,
        _count: ir::Value,
    ) -> WasmResult<ir::Value> {
        unsupported("threads (`memory.atomic.notify`)")
    }

    fn translate_ref_i31(&mut self, _pos: FuncCursor, _val: ir::Value) -> WasmResult<ir::Value> {
        unsupported("GC (`ref.i31`)")
    }

    fn translate_i31_get_s(
        &mut self,
        _pos: FuncCursor,
        _i31ref: ir::Value,
    ) -> WasmResult<ir::Value> {
        unsupported("GC (`i31.get_s`)")
    }

    fn translate_i31_get_u(
        &mut self,
        _pos: FuncCursor,
        _i31ref: ir::Value,
    ) -> WasmResult<ir::Value> {
        unsupported("GC (`i31.get_u`)")
    }

    /// The entry check of epoch interruption: a recursion that never
    /// returns (a `return_call` one never even overflows the stack) passes
    /// here on every call.
    fn before_translate_function(
        &mut self,
        builder: &mut FunctionBuilder,
        _state: &cranelift_wasm::FuncTranslationState,
    ) -> WasmResult<()> {
        self.epoch = None;
        if self.epoch_interruption {
            let check = EpochCheck::new(builder, Self::vmctx_value(builder.func)?);
            check.emit(builder);
            self.epoch = Some(check);
        }
        Ok(())
    }

    /// The loop check of epoch interruption: every iteration passes here.
    fn translate_loop_header(&mut self, builder: &mut FunctionBuilder) -> WasmResult<()> {
        if let Some(check) = self.epoch {
            check.emit(builder);
        }
        Ok(())
    }
}
