//! [`LoweringEnv`]: the plugin as a drop-in `FuncEnvironment`.
//!
//! A runtime that does not want to touch its own `translate_call` wraps its
//! environment: `LoweringEnv` implements cranelift-wasm's `FuncEnvironment`
//! (and its supertraits) by handing every method to the wrapped environment,
//! except `translate_call` and `translate_return_call`, which first offer
//! the callee to the [`Lowering`] (through a [`FunctionLowering`]), and
//! `after_translate_function`, which after the wrapped environment's own
//! work lets the `FunctionLowering` remove repeated loads and checks.
//!
//! The forwarding is deliberately exhaustive, provided methods included:
//! cranelift-wasm gives many hooks a default body, and a wrapper that relied
//! on those defaults would silently discard the runtime's overrides (its
//! loop-header interrupt checks, its `before_load` instrumentation, its
//! relaxed-SIMD choices). `clippy::missing_trait_methods` is denied on each
//! impl, so a method added to the traits in a Cranelift upgrade is a lint
//! error here rather than a dropped override.
//!
//! This file is long only because it is that list; each method is one line
//! of delegation.

use cranelift_codegen::cursor::FuncCursor;
use cranelift_codegen::entity::PrimaryMap;
use cranelift_codegen::ir::{self, InstBuilder, Type};
use cranelift_codegen::isa::TargetFrontendConfig;
use cranelift_frontend::FunctionBuilder;
use cranelift_wasm::wasmparser::{self, Operator};
use cranelift_wasm::{
    EngineOrModuleTypeIndex, FuncEnvironment, FuncIndex, FuncTranslationState, Global, GlobalIndex,
    GlobalVariable, Heap, HeapData, MemoryIndex, Table, TableIndex, TargetEnvironment, TypeConvert,
    TypeIndex, WasmArrayType, WasmCompositeType, WasmFieldType, WasmFuncType, WasmHeapType,
    WasmRefType, WasmResult, WasmStorageType, WasmStructType, WasmSubType, WasmValType,
};

use crate::function::FunctionLowering;
use crate::hook::StoreDataAddress;
use crate::lower::Lowering;

/// Wraps a runtime's `FuncEnvironment`, lowering direct calls to intrinsics
/// and delegating everything else.
///
/// `H` produces the store-data address (see [`StoreDataAddress`]). Use one
/// `LoweringEnv` per function translation, as the runtime would its own
/// environment; the [`Lowering`] is borrowed and can be shared.
pub struct LoweringEnv<'l, E, H> {
    inner: E,
    function: FunctionLowering<'l>,
    hook: H,
}

impl<'l, E, H> LoweringEnv<'l, E, H> {
    /// Wraps `inner`.
    pub fn new(inner: E, lowering: &'l Lowering, hook: H) -> Self {
        LoweringEnv {
            inner,
            function: lowering.function(),
            hook,
        }
    }

    /// The wrapped environment.
    pub fn inner(&self) -> &E {
        &self.inner
    }

    /// The wrapped environment, mutably.
    pub fn inner_mut(&mut self) -> &mut E {
        &mut self.inner
    }

    /// Unwraps the environment.
    pub fn into_inner(self) -> E {
        self.inner
    }
}

#[deny(clippy::missing_trait_methods)]
impl<E: TypeConvert, H> TypeConvert for LoweringEnv<'_, E, H> {
    fn convert_global_type(&self, ty: &wasmparser::GlobalType) -> Global {
        self.inner.convert_global_type(ty)
    }
    fn convert_table_type(&self, ty: &wasmparser::TableType) -> WasmResult<Table> {
        self.inner.convert_table_type(ty)
    }
    fn convert_sub_type(&self, ty: &wasmparser::SubType) -> WasmSubType {
        self.inner.convert_sub_type(ty)
    }
    fn convert_composite_type(&self, ty: &wasmparser::CompositeType) -> WasmCompositeType {
        self.inner.convert_composite_type(ty)
    }
    fn convert_struct_type(&self, ty: &wasmparser::StructType) -> WasmStructType {
        self.inner.convert_struct_type(ty)
    }
    fn convert_array_type(&self, ty: &wasmparser::ArrayType) -> WasmArrayType {
        self.inner.convert_array_type(ty)
    }
    fn convert_field_type(&self, ty: &wasmparser::FieldType) -> WasmFieldType {
        self.inner.convert_field_type(ty)
    }
    fn convert_storage_type(&self, ty: &wasmparser::StorageType) -> WasmStorageType {
        self.inner.convert_storage_type(ty)
    }
    fn convert_func_type(&self, ty: &wasmparser::FuncType) -> WasmFuncType {
        self.inner.convert_func_type(ty)
    }
    fn convert_valtype(&self, ty: wasmparser::ValType) -> WasmValType {
        self.inner.convert_valtype(ty)
    }
    fn convert_ref_type(&self, ty: wasmparser::RefType) -> WasmRefType {
        self.inner.convert_ref_type(ty)
    }
    fn convert_heap_type(&self, ty: wasmparser::HeapType) -> WasmHeapType {
        self.inner.convert_heap_type(ty)
    }
    fn lookup_heap_type(&self, index: wasmparser::UnpackedIndex) -> WasmHeapType {
        self.inner.lookup_heap_type(index)
    }
    fn lookup_type_index(&self, index: wasmparser::UnpackedIndex) -> EngineOrModuleTypeIndex {
        self.inner.lookup_type_index(index)
    }
}

#[deny(clippy::missing_trait_methods)]
impl<E: TargetEnvironment, H> TargetEnvironment for LoweringEnv<'_, E, H> {
    fn target_config(&self) -> TargetFrontendConfig {
        self.inner.target_config()
    }
    fn heap_access_spectre_mitigation(&self) -> bool {
        self.inner.heap_access_spectre_mitigation()
    }
    fn proof_carrying_code(&self) -> bool {
        self.inner.proof_carrying_code()
    }
    fn pointer_type(&self) -> ir::Type {
        self.inner.pointer_type()
    }
    fn pointer_bytes(&self) -> u8 {
        self.inner.pointer_bytes()
    }
    fn reference_type(&self, ty: WasmHeapType) -> (ir::Type, bool) {
        self.inner.reference_type(ty)
    }
}

#[deny(clippy::missing_trait_methods)]
impl<E: FuncEnvironment, H: StoreDataAddress> FuncEnvironment for LoweringEnv<'_, E, H> {
    fn translate_call(
        &mut self,
        builder: &mut FunctionBuilder,
        callee_index: FuncIndex,
        callee: ir::FuncRef,
        call_args: &[ir::Value],
    ) -> WasmResult<ir::Inst> {
        let pointer_type = self.inner.pointer_type();
        match self.function.lower_call(
            builder,
            callee_index,
            call_args,
            pointer_type,
            &mut self.hook,
        )? {
            Some(inst) => Ok(inst),
            None => self
                .inner
                .translate_call(builder, callee_index, callee, call_args),
        }
    }

    fn translate_return_call(
        &mut self,
        builder: &mut FunctionBuilder,
        callee_index: FuncIndex,
        callee: ir::FuncRef,
        call_args: &[ir::Value],
    ) -> WasmResult<()> {
        let pointer_type = self.inner.pointer_type();
        match self.function.lower_call(
            builder,
            callee_index,
            call_args,
            pointer_type,
            &mut self.hook,
        )? {
            // A tail call to an intrinsic returns its results, through the
            // runtime's own before-return hook like any `return`.
            Some(inst) => {
                let results = builder.inst_results(inst).to_vec();
                self.inner.handle_before_return(&results, builder);
                builder.ins().return_(&results);
                Ok(())
            }
            None => self
                .inner
                .translate_return_call(builder, callee_index, callee, call_args),
        }
    }

    fn is_wasm_parameter(&self, signature: &ir::Signature, index: usize) -> bool {
        self.inner.is_wasm_parameter(signature, index)
    }
    fn param_needs_stack_map(&self, signature: &ir::Signature, index: usize) -> bool {
        self.inner.param_needs_stack_map(signature, index)
    }
    fn sig_ref_result_needs_stack_map(&self, sig_ref: ir::SigRef, index: usize) -> bool {
        self.inner.sig_ref_result_needs_stack_map(sig_ref, index)
    }
    fn func_ref_result_needs_stack_map(
        &self,
        func: &ir::Function,
        func_ref: ir::FuncRef,
        index: usize,
    ) -> bool {
        self.inner
            .func_ref_result_needs_stack_map(func, func_ref, index)
    }
    fn is_wasm_return(&self, signature: &ir::Signature, index: usize) -> bool {
        self.inner.is_wasm_return(signature, index)
    }
    fn after_locals(&mut self, num_locals_defined: usize) {
        self.inner.after_locals(num_locals_defined)
    }
    fn make_global(
        &mut self,
        func: &mut ir::Function,
        index: GlobalIndex,
    ) -> WasmResult<GlobalVariable> {
        self.inner.make_global(func, index)
    }
    fn heaps(&self) -> &PrimaryMap<Heap, HeapData> {
        self.inner.heaps()
    }
    fn make_heap(&mut self, func: &mut ir::Function, index: MemoryIndex) -> WasmResult<Heap> {
        self.inner.make_heap(func, index)
    }
    fn make_indirect_sig(
        &mut self,
        func: &mut ir::Function,
        index: TypeIndex,
    ) -> WasmResult<ir::SigRef> {
        self.inner.make_indirect_sig(func, index)
    }
    fn make_direct_func(
        &mut self,
        func: &mut ir::Function,
        index: FuncIndex,
    ) -> WasmResult<ir::FuncRef> {
        self.inner.make_direct_func(func, index)
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
        self.inner.translate_call_indirect(
            builder,
            table_index,
            sig_index,
            sig_ref,
            callee,
            call_args,
        )
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
        self.inner.translate_return_call_indirect(
            builder,
            table_index,
            sig_index,
            sig_ref,
            callee,
            call_args,
        )
    }
    fn translate_return_call_ref(
        &mut self,
        builder: &mut FunctionBuilder,
        sig_ref: ir::SigRef,
        callee: ir::Value,
        call_args: &[ir::Value],
    ) -> WasmResult<()> {
        self.inner
            .translate_return_call_ref(builder, sig_ref, callee, call_args)
    }
    fn translate_call_ref(
        &mut self,
        builder: &mut FunctionBuilder,
        sig_ref: ir::SigRef,
        callee: ir::Value,
        call_args: &[ir::Value],
    ) -> WasmResult<ir::Inst> {
        self.inner
            .translate_call_ref(builder, sig_ref, callee, call_args)
    }
    fn translate_memory_grow(
        &mut self,
        pos: FuncCursor,
        index: MemoryIndex,
        heap: Heap,
        val: ir::Value,
    ) -> WasmResult<ir::Value> {
        self.inner.translate_memory_grow(pos, index, heap, val)
    }
    fn translate_memory_size(
        &mut self,
        pos: FuncCursor,
        index: MemoryIndex,
        heap: Heap,
    ) -> WasmResult<ir::Value> {
        self.inner.translate_memory_size(pos, index, heap)
    }
    fn translate_memory_copy(
        &mut self,
        pos: FuncCursor,
        src_index: MemoryIndex,
        src_heap: Heap,
        dst_index: MemoryIndex,
        dst_heap: Heap,
        dst: ir::Value,
        src: ir::Value,
        len: ir::Value,
    ) -> WasmResult<()> {
        self.inner
            .translate_memory_copy(pos, src_index, src_heap, dst_index, dst_heap, dst, src, len)
    }
    fn translate_memory_fill(
        &mut self,
        pos: FuncCursor,
        index: MemoryIndex,
        heap: Heap,
        dst: ir::Value,
        val: ir::Value,
        len: ir::Value,
    ) -> WasmResult<()> {
        self.inner
            .translate_memory_fill(pos, index, heap, dst, val, len)
    }
    fn translate_memory_init(
        &mut self,
        pos: FuncCursor,
        index: MemoryIndex,
        heap: Heap,
        seg_index: u32,
        dst: ir::Value,
        src: ir::Value,
        len: ir::Value,
    ) -> WasmResult<()> {
        self.inner
            .translate_memory_init(pos, index, heap, seg_index, dst, src, len)
    }
    fn translate_data_drop(&mut self, pos: FuncCursor, seg_index: u32) -> WasmResult<()> {
        self.inner.translate_data_drop(pos, seg_index)
    }
    fn translate_table_size(
        &mut self,
        pos: FuncCursor,
        index: TableIndex,
    ) -> WasmResult<ir::Value> {
        self.inner.translate_table_size(pos, index)
    }
    fn translate_table_grow(
        &mut self,
        pos: FuncCursor,
        table_index: TableIndex,
        delta: ir::Value,
        init_value: ir::Value,
    ) -> WasmResult<ir::Value> {
        self.inner
            .translate_table_grow(pos, table_index, delta, init_value)
    }
    fn translate_table_get(
        &mut self,
        builder: &mut FunctionBuilder,
        table_index: TableIndex,
        index: ir::Value,
    ) -> WasmResult<ir::Value> {
        self.inner.translate_table_get(builder, table_index, index)
    }
    fn translate_table_set(
        &mut self,
        builder: &mut FunctionBuilder,
        table_index: TableIndex,
        value: ir::Value,
        index: ir::Value,
    ) -> WasmResult<()> {
        self.inner
            .translate_table_set(builder, table_index, value, index)
    }
    fn translate_table_copy(
        &mut self,
        pos: FuncCursor,
        dst_table_index: TableIndex,
        src_table_index: TableIndex,
        dst: ir::Value,
        src: ir::Value,
        len: ir::Value,
    ) -> WasmResult<()> {
        self.inner
            .translate_table_copy(pos, dst_table_index, src_table_index, dst, src, len)
    }
    fn translate_table_fill(
        &mut self,
        pos: FuncCursor,
        table_index: TableIndex,
        dst: ir::Value,
        val: ir::Value,
        len: ir::Value,
    ) -> WasmResult<()> {
        self.inner
            .translate_table_fill(pos, table_index, dst, val, len)
    }
    fn translate_table_init(
        &mut self,
        pos: FuncCursor,
        seg_index: u32,
        table_index: TableIndex,
        dst: ir::Value,
        src: ir::Value,
        len: ir::Value,
    ) -> WasmResult<()> {
        self.inner
            .translate_table_init(pos, seg_index, table_index, dst, src, len)
    }
    fn translate_elem_drop(&mut self, pos: FuncCursor, seg_index: u32) -> WasmResult<()> {
        self.inner.translate_elem_drop(pos, seg_index)
    }
    fn translate_ref_null(&mut self, pos: FuncCursor, ty: WasmHeapType) -> WasmResult<ir::Value> {
        self.inner.translate_ref_null(pos, ty)
    }
    fn translate_ref_is_null(
        &mut self,
        pos: FuncCursor,
        value: ir::Value,
    ) -> WasmResult<ir::Value> {
        self.inner.translate_ref_is_null(pos, value)
    }
    fn translate_ref_func(
        &mut self,
        pos: FuncCursor,
        func_index: FuncIndex,
    ) -> WasmResult<ir::Value> {
        self.inner.translate_ref_func(pos, func_index)
    }
    fn translate_custom_global_get(
        &mut self,
        builder: &mut FunctionBuilder,
        global_index: GlobalIndex,
    ) -> WasmResult<ir::Value> {
        self.inner
            .translate_custom_global_get(builder, global_index)
    }
    fn translate_custom_global_set(
        &mut self,
        builder: &mut FunctionBuilder,
        global_index: GlobalIndex,
        val: ir::Value,
    ) -> WasmResult<()> {
        self.inner
            .translate_custom_global_set(builder, global_index, val)
    }
    fn translate_atomic_wait(
        &mut self,
        pos: FuncCursor,
        index: MemoryIndex,
        heap: Heap,
        addr: ir::Value,
        expected: ir::Value,
        timeout: ir::Value,
    ) -> WasmResult<ir::Value> {
        self.inner
            .translate_atomic_wait(pos, index, heap, addr, expected, timeout)
    }
    fn translate_atomic_notify(
        &mut self,
        pos: FuncCursor,
        index: MemoryIndex,
        heap: Heap,
        addr: ir::Value,
        count: ir::Value,
    ) -> WasmResult<ir::Value> {
        self.inner
            .translate_atomic_notify(pos, index, heap, addr, count)
    }
    fn translate_ref_i31(&mut self, pos: FuncCursor, val: ir::Value) -> WasmResult<ir::Value> {
        self.inner.translate_ref_i31(pos, val)
    }
    fn translate_i31_get_s(&mut self, pos: FuncCursor, i31ref: ir::Value) -> WasmResult<ir::Value> {
        self.inner.translate_i31_get_s(pos, i31ref)
    }
    fn translate_i31_get_u(&mut self, pos: FuncCursor, i31ref: ir::Value) -> WasmResult<ir::Value> {
        self.inner.translate_i31_get_u(pos, i31ref)
    }
    fn translate_loop_header(&mut self, builder: &mut FunctionBuilder) -> WasmResult<()> {
        self.inner.translate_loop_header(builder)
    }
    fn before_translate_operator(
        &mut self,
        op: &Operator,
        builder: &mut FunctionBuilder,
        state: &FuncTranslationState,
    ) -> WasmResult<()> {
        self.inner.before_translate_operator(op, builder, state)
    }
    fn after_translate_operator(
        &mut self,
        op: &Operator,
        builder: &mut FunctionBuilder,
        state: &FuncTranslationState,
    ) -> WasmResult<()> {
        self.inner.after_translate_operator(op, builder, state)
    }
    fn before_unconditionally_trapping_memory_access(
        &mut self,
        builder: &mut FunctionBuilder,
    ) -> WasmResult<()> {
        self.inner
            .before_unconditionally_trapping_memory_access(builder)
    }
    fn before_translate_function(
        &mut self,
        builder: &mut FunctionBuilder,
        state: &FuncTranslationState,
    ) -> WasmResult<()> {
        // Nothing recorded for an earlier, abandoned translation applies.
        self.function.reset();
        self.inner.before_translate_function(builder, state)
    }
    fn after_translate_function(
        &mut self,
        builder: &mut FunctionBuilder,
        state: &FuncTranslationState,
    ) -> WasmResult<()> {
        // The runtime's work first, so the clean-up sees the finished body.
        self.inner.after_translate_function(builder, state)?;
        self.function.finish(builder);
        Ok(())
    }
    fn relaxed_simd_deterministic(&self) -> bool {
        self.inner.relaxed_simd_deterministic()
    }
    fn has_native_fma(&self) -> bool {
        self.inner.has_native_fma()
    }
    fn is_x86(&self) -> bool {
        self.inner.is_x86()
    }
    fn use_x86_blendv_for_relaxed_laneselect(&self, ty: Type) -> bool {
        self.inner.use_x86_blendv_for_relaxed_laneselect(ty)
    }
    fn use_x86_pshufb_for_relaxed_swizzle(&self) -> bool {
        self.inner.use_x86_pshufb_for_relaxed_swizzle()
    }
    fn use_x86_pmulhrsw_for_relaxed_q15mul(&self) -> bool {
        self.inner.use_x86_pmulhrsw_for_relaxed_q15mul()
    }
    fn use_x86_pmaddubsw_for_dot(&self) -> bool {
        self.inner.use_x86_pmaddubsw_for_dot()
    }
    fn handle_before_return(&mut self, retvals: &[ir::Value], builder: &mut FunctionBuilder) {
        self.inner.handle_before_return(retvals, builder)
    }
    fn before_load(
        &mut self,
        builder: &mut FunctionBuilder,
        val_size: u8,
        addr: ir::Value,
        offset: u64,
    ) {
        self.inner.before_load(builder, val_size, addr, offset)
    }
    fn before_store(
        &mut self,
        builder: &mut FunctionBuilder,
        val_size: u8,
        addr: ir::Value,
        offset: u64,
    ) {
        self.inner.before_store(builder, val_size, addr, offset)
    }
    fn update_global(
        &mut self,
        builder: &mut FunctionBuilder,
        global_index: u32,
        value: ir::Value,
    ) {
        self.inner.update_global(builder, global_index, value)
    }
    fn before_memory_grow(
        &mut self,
        builder: &mut FunctionBuilder,
        num_bytes: ir::Value,
        mem_index: MemoryIndex,
    ) {
        self.inner.before_memory_grow(builder, num_bytes, mem_index)
    }
}
