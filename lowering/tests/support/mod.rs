//! A deliberately small Cranelift-based "runtime" the tests, examples and
//! benchmark translate with.
//!
//! cranelift-wasm 0.112 no longer exports a ready-made environment, and the
//! plugin must be exercised the way a real runtime would use it: through a
//! `FuncEnvironment` the runtime owns. `MiniEnv` is that environment, cut to
//! what the tests need — direct calls with a hidden `vmctx` argument, one
//! linear memory whose base pointer sits at vmctx offset 0, and the store
//! data pointer at vmctx offset 8. Everything else (tables, globals, GC) is
//! reported as unsupported rather than faked.
//!
//! `MiniEnv::translate_call` also shows the second way to use the plugin: a
//! runtime that owns its `translate_call` offers each call to a
//! `FunctionLowering` first, and calls its `finish` from
//! `after_translate_function` (enabled with `MiniEnv::with_lowering`).
//!
//! Shared by `tests/*.rs`, `examples/*.rs` and `benches/*.rs` through
//! `mod support;` / `#[path]`; each compiles it separately, so the items
//! some of them do not use carry their own `allow(dead_code)`.

use cranelift_codegen::cursor::FuncCursor;
use cranelift_codegen::entity::PrimaryMap;
use cranelift_codegen::ir::{self, AbiParam, ArgumentPurpose, InstBuilder, MemFlags};
use cranelift_codegen::isa::{TargetFrontendConfig, TargetIsa};
use cranelift_wasm::wasmparser::{
    self, CompositeInnerType, FuncValidatorAllocations, Parser, Payload, TypeRef, ValidPayload,
    Validator, WasmFeatures,
};
use cranelift_wasm::{
    EngineOrModuleTypeIndex, FuncEnvironment, FuncIndex, FuncTranslator, GlobalIndex,
    GlobalVariable, Heap, HeapData, HeapStyle, MemoryIndex, ModuleInternedTypeIndex, TableIndex,
    TargetEnvironment, TypeConvert, TypeIndex, WasmError, WasmHeapType, WasmResult,
};
use wasm_prelink_lowering::{FunctionLowering, Lowering, LoweringEnv, VmctxField};

/// Where `MiniEnv` keeps the linear memory's base pointer in the vmctx.
pub const MEMORY_BASE_OFFSET: i32 = 0;
/// Where `MiniEnv` keeps the store data pointer in the vmctx.
pub const STORE_DATA_OFFSET: i32 = 8;

/// The store-data hook of this runtime.
pub fn store_data_hook() -> VmctxField {
    VmctxField {
        offset: STORE_DATA_OFFSET,
    }
}

/// What translation needs to know about the module's functions.
#[derive(Clone, Debug, Default)]
pub struct ModuleInfo {
    /// Wasm signature of every function (imports first), as CLIF types.
    pub functions: Vec<(Vec<ir::Type>, Vec<ir::Type>)>,
    /// Export names of defined functions, by function index.
    pub exports: Vec<(String, FuncIndex)>,
    /// Number of imported functions.
    pub imported: usize,
}

impl ModuleInfo {
    /// Collects the function signatures and exports of `wasm`.
    pub fn parse(wasm: &[u8]) -> WasmResult<ModuleInfo> {
        let mut info = ModuleInfo::default();
        let mut types = Vec::new();
        for payload in Parser::new(0).parse_all(wasm) {
            match payload? {
                Payload::TypeSection(reader) => {
                    for group in reader {
                        for ty in group?.into_types() {
                            types.push(match ty.composite_type.inner {
                                CompositeInnerType::Func(f) => Some(clif_signature(&f)?),
                                _ => None,
                            });
                        }
                    }
                }
                Payload::ImportSection(reader) => {
                    for import in reader {
                        if let TypeRef::Func(ty) = import?.ty {
                            info.functions.push(lookup(&types, ty)?);
                            info.imported += 1;
                        }
                    }
                }
                Payload::FunctionSection(reader) => {
                    for ty in reader {
                        info.functions.push(lookup(&types, ty?)?);
                    }
                }
                Payload::ExportSection(reader) => {
                    for export in reader {
                        let export = export?;
                        if export.kind == wasmparser::ExternalKind::Func {
                            info.exports
                                .push((export.name.to_owned(), FuncIndex::from_u32(export.index)));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(info)
    }
}

fn lookup(
    types: &[Option<(Vec<ir::Type>, Vec<ir::Type>)>],
    index: u32,
) -> WasmResult<(Vec<ir::Type>, Vec<ir::Type>)> {
    types
        .get(index as usize)
        .cloned()
        .flatten()
        .ok_or_else(|| WasmError::Unsupported(format!("type {index} is not a function type")))
}

fn clif_signature(f: &wasmparser::FuncType) -> WasmResult<(Vec<ir::Type>, Vec<ir::Type>)> {
    let convert = |tys: &[wasmparser::ValType]| -> WasmResult<Vec<ir::Type>> {
        tys.iter()
            .map(|ty| match ty {
                wasmparser::ValType::I32 => Ok(ir::types::I32),
                wasmparser::ValType::I64 => Ok(ir::types::I64),
                wasmparser::ValType::F32 => Ok(ir::types::F32),
                wasmparser::ValType::F64 => Ok(ir::types::F64),
                other => Err(WasmError::Unsupported(format!("mini env: {other} values"))),
            })
            .collect()
    };
    Ok((convert(f.params())?, convert(f.results())?))
}

/// The CLIF signature of function `index`: `vmctx` then the Wasm params.
pub fn signature(info: &ModuleInfo, config: TargetFrontendConfig, index: usize) -> ir::Signature {
    let (params, results) = &info.functions[index];
    let mut sig = ir::Signature::new(config.default_call_conv);
    sig.params.push(AbiParam::special(
        config.pointer_type(),
        ArgumentPurpose::VMContext,
    ));
    sig.params
        .extend(params.iter().map(|&ty| AbiParam::new(ty)));
    sig.returns
        .extend(results.iter().map(|&ty| AbiParam::new(ty)));
    sig
}

/// The runtime's own function environment.
pub struct MiniEnv<'a> {
    info: &'a ModuleInfo,
    config: TargetFrontendConfig,
    heaps: PrimaryMap<Heap, HeapData>,
    /// When set, `translate_call` lowers intrinsics itself (the entry-point
    /// way of using the plugin).
    lowering: Option<FunctionLowering<'a>>,
    store_data: VmctxField,
}

impl<'a> MiniEnv<'a> {
    /// An environment that knows nothing of intrinsics.
    pub fn new(info: &'a ModuleInfo, config: TargetFrontendConfig) -> Self {
        MiniEnv {
            info,
            config,
            heaps: PrimaryMap::new(),
            lowering: None,
            store_data: store_data_hook(),
        }
    }

    /// An environment whose own `translate_call` lowers intrinsics.
    #[allow(dead_code, reason = "the wrapper example uses the wrapper only")]
    pub fn with_lowering(
        info: &'a ModuleInfo,
        config: TargetFrontendConfig,
        lowering: &'a Lowering,
    ) -> Self {
        MiniEnv {
            lowering: Some(lowering.function()),
            ..MiniEnv::new(info, config)
        }
    }

    fn vmctx(&self, func: &mut ir::Function) -> ir::GlobalValue {
        func.create_global_value(ir::GlobalValueData::VMContext)
    }
}

fn unsupported<T>(what: &str) -> WasmResult<T> {
    Err(WasmError::Unsupported(format!("mini env: {what}")))
}

impl TypeConvert for MiniEnv<'_> {
    fn lookup_heap_type(&self, index: wasmparser::UnpackedIndex) -> WasmHeapType {
        WasmHeapType::ConcreteFunc(self.lookup_type_index(index))
    }

    fn lookup_type_index(&self, index: wasmparser::UnpackedIndex) -> EngineOrModuleTypeIndex {
        let raw = match index {
            wasmparser::UnpackedIndex::Module(i) => i,
            wasmparser::UnpackedIndex::RecGroup(i) => i,
            wasmparser::UnpackedIndex::Id(_) => 0,
        };
        EngineOrModuleTypeIndex::Module(ModuleInternedTypeIndex::from_u32(raw))
    }
}

impl TargetEnvironment for MiniEnv<'_> {
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
        (self.pointer_type(), false)
    }
}

impl FuncEnvironment for MiniEnv<'_> {
    fn after_translate_function(
        &mut self,
        builder: &mut cranelift_frontend::FunctionBuilder,
        _state: &cranelift_wasm::FuncTranslationState,
    ) -> WasmResult<()> {
        // The entry-point way, continued: once the body is translated, the
        // plugin removes the loads and checks its calls repeated.
        if let Some(lowering) = &mut self.lowering {
            lowering.finish(builder);
        }
        Ok(())
    }

    fn translate_call(
        &mut self,
        builder: &mut cranelift_frontend::FunctionBuilder,
        callee_index: FuncIndex,
        callee: ir::FuncRef,
        call_args: &[ir::Value],
    ) -> WasmResult<ir::Inst> {
        // The entry-point way: offer the call to the plugin first.
        let pointer_type = self.pointer_type();
        if let Some(lowering) = &mut self.lowering {
            if let Some(inst) = lowering.lower_call(
                builder,
                callee_index,
                call_args,
                pointer_type,
                &mut self.store_data,
            )? {
                return Ok(inst);
            }
        }
        let vmctx = builder
            .func
            .special_param(ArgumentPurpose::VMContext)
            .ok_or_else(|| WasmError::Unsupported("mini env: no vmctx".to_owned()))?;
        let mut args = vec![vmctx];
        args.extend_from_slice(call_args);
        Ok(builder.ins().call(callee, &args))
    }

    fn translate_return_call(
        &mut self,
        builder: &mut cranelift_frontend::FunctionBuilder,
        callee_index: FuncIndex,
        callee: ir::FuncRef,
        call_args: &[ir::Value],
    ) -> WasmResult<()> {
        let pointer_type = self.pointer_type();
        if let Some(lowering) = &mut self.lowering {
            if lowering.lower_return_call(
                builder,
                callee_index,
                call_args,
                pointer_type,
                &mut self.store_data,
            )? {
                return Ok(());
            }
        }
        let vmctx = builder
            .func
            .special_param(ArgumentPurpose::VMContext)
            .ok_or_else(|| WasmError::Unsupported("mini env: no vmctx".to_owned()))?;
        let mut args = vec![vmctx];
        args.extend_from_slice(call_args);
        builder.ins().return_call(callee, &args);
        Ok(())
    }

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

    fn make_global(&mut self, _: &mut ir::Function, _: GlobalIndex) -> WasmResult<GlobalVariable> {
        unsupported("globals")
    }

    fn heaps(&self) -> &PrimaryMap<Heap, HeapData> {
        &self.heaps
    }

    fn make_heap(&mut self, func: &mut ir::Function, index: MemoryIndex) -> WasmResult<Heap> {
        if index.as_u32() != 0 {
            return unsupported("more than one memory");
        }
        let vmctx = self.vmctx(func);
        let base = func.create_global_value(ir::GlobalValueData::Load {
            base: vmctx,
            offset: MEMORY_BASE_OFFSET.into(),
            global_type: self.pointer_type(),
            flags: MemFlags::trusted().with_readonly(),
        });
        Ok(self.heaps.push(HeapData {
            base,
            min_size: 0,
            max_size: None,
            offset_guard_size: 0x8000_0000,
            style: HeapStyle::Static {
                bound: 0x1_0000_0000,
            },
            index_type: ir::types::I32,
            memory_type: None,
            page_size_log2: 16,
        }))
    }

    fn make_indirect_sig(&mut self, _: &mut ir::Function, _: TypeIndex) -> WasmResult<ir::SigRef> {
        unsupported("indirect calls")
    }

    fn make_direct_func(
        &mut self,
        func: &mut ir::Function,
        index: FuncIndex,
    ) -> WasmResult<ir::FuncRef> {
        let sig = func.import_signature(signature(self.info, self.config, index.as_u32() as usize));
        let name =
            func.declare_imported_user_function(ir::UserExternalName::new(0, index.as_u32()));
        Ok(func.import_function(ir::ExtFuncData {
            name: ir::ExternalName::user(name),
            signature: sig,
            colocated: false,
        }))
    }

    fn translate_call_indirect(
        &mut self,
        _: &mut cranelift_frontend::FunctionBuilder,
        _: TableIndex,
        _: TypeIndex,
        _: ir::SigRef,
        _: ir::Value,
        _: &[ir::Value],
    ) -> WasmResult<Option<ir::Inst>> {
        unsupported("call_indirect")
    }

    fn translate_return_call_indirect(
        &mut self,
        _: &mut cranelift_frontend::FunctionBuilder,
        _: TableIndex,
        _: TypeIndex,
        _: ir::SigRef,
        _: ir::Value,
        _: &[ir::Value],
    ) -> WasmResult<()> {
        unsupported("return_call_indirect")
    }

    fn translate_return_call_ref(
        &mut self,
        _: &mut cranelift_frontend::FunctionBuilder,
        _: ir::SigRef,
        _: ir::Value,
        _: &[ir::Value],
    ) -> WasmResult<()> {
        unsupported("return_call_ref")
    }

    fn translate_call_ref(
        &mut self,
        _: &mut cranelift_frontend::FunctionBuilder,
        _: ir::SigRef,
        _: ir::Value,
        _: &[ir::Value],
    ) -> WasmResult<ir::Inst> {
        unsupported("call_ref")
    }

    fn translate_memory_grow(
        &mut self,
        _: FuncCursor,
        _: MemoryIndex,
        _: Heap,
        _: ir::Value,
    ) -> WasmResult<ir::Value> {
        unsupported("memory.grow")
    }

    fn translate_memory_size(
        &mut self,
        mut pos: FuncCursor,
        _: MemoryIndex,
        _: Heap,
    ) -> WasmResult<ir::Value> {
        // One fixed page: enough for tests that only read memory.size.
        Ok(pos.ins().iconst(ir::types::I32, 1))
    }

    fn translate_memory_copy(
        &mut self,
        _: FuncCursor,
        _: MemoryIndex,
        _: Heap,
        _: MemoryIndex,
        _: Heap,
        _: ir::Value,
        _: ir::Value,
        _: ir::Value,
    ) -> WasmResult<()> {
        unsupported("memory.copy")
    }

    fn translate_memory_fill(
        &mut self,
        _: FuncCursor,
        _: MemoryIndex,
        _: Heap,
        _: ir::Value,
        _: ir::Value,
        _: ir::Value,
    ) -> WasmResult<()> {
        unsupported("memory.fill")
    }

    fn translate_memory_init(
        &mut self,
        _: FuncCursor,
        _: MemoryIndex,
        _: Heap,
        _: u32,
        _: ir::Value,
        _: ir::Value,
        _: ir::Value,
    ) -> WasmResult<()> {
        unsupported("memory.init")
    }

    fn translate_data_drop(&mut self, _: FuncCursor, _: u32) -> WasmResult<()> {
        unsupported("data.drop")
    }

    fn translate_table_size(&mut self, _: FuncCursor, _: TableIndex) -> WasmResult<ir::Value> {
        unsupported("table.size")
    }

    fn translate_table_grow(
        &mut self,
        _: FuncCursor,
        _: TableIndex,
        _: ir::Value,
        _: ir::Value,
    ) -> WasmResult<ir::Value> {
        unsupported("table.grow")
    }

    fn translate_table_get(
        &mut self,
        _: &mut cranelift_frontend::FunctionBuilder,
        _: TableIndex,
        _: ir::Value,
    ) -> WasmResult<ir::Value> {
        unsupported("table.get")
    }

    fn translate_table_set(
        &mut self,
        _: &mut cranelift_frontend::FunctionBuilder,
        _: TableIndex,
        _: ir::Value,
        _: ir::Value,
    ) -> WasmResult<()> {
        unsupported("table.set")
    }

    fn translate_table_copy(
        &mut self,
        _: FuncCursor,
        _: TableIndex,
        _: TableIndex,
        _: ir::Value,
        _: ir::Value,
        _: ir::Value,
    ) -> WasmResult<()> {
        unsupported("table.copy")
    }

    fn translate_table_fill(
        &mut self,
        _: FuncCursor,
        _: TableIndex,
        _: ir::Value,
        _: ir::Value,
        _: ir::Value,
    ) -> WasmResult<()> {
        unsupported("table.fill")
    }

    fn translate_table_init(
        &mut self,
        _: FuncCursor,
        _: u32,
        _: TableIndex,
        _: ir::Value,
        _: ir::Value,
        _: ir::Value,
    ) -> WasmResult<()> {
        unsupported("table.init")
    }

    fn translate_elem_drop(&mut self, _: FuncCursor, _: u32) -> WasmResult<()> {
        unsupported("elem.drop")
    }

    fn translate_ref_null(
        &mut self,
        mut pos: FuncCursor,
        _: WasmHeapType,
    ) -> WasmResult<ir::Value> {
        let ty = self.pointer_type();
        Ok(pos.ins().iconst(ty, 0))
    }

    fn translate_ref_is_null(
        &mut self,
        mut pos: FuncCursor,
        value: ir::Value,
    ) -> WasmResult<ir::Value> {
        let is_null = pos.ins().icmp_imm(ir::condcodes::IntCC::Equal, value, 0);
        Ok(pos.ins().uextend(ir::types::I32, is_null))
    }

    fn translate_ref_func(
        &mut self,
        mut pos: FuncCursor,
        index: FuncIndex,
    ) -> WasmResult<ir::Value> {
        // A stand-in function reference: the index itself. Enough to show
        // that the import is kept (no call is lowered for it).
        let ty = self.pointer_type();
        Ok(pos.ins().iconst(ty, i64::from(index.as_u32())))
    }

    fn translate_custom_global_get(
        &mut self,
        _: &mut cranelift_frontend::FunctionBuilder,
        _: GlobalIndex,
    ) -> WasmResult<ir::Value> {
        unsupported("custom globals")
    }

    fn translate_custom_global_set(
        &mut self,
        _: &mut cranelift_frontend::FunctionBuilder,
        _: GlobalIndex,
        _: ir::Value,
    ) -> WasmResult<()> {
        unsupported("custom globals")
    }

    fn translate_atomic_wait(
        &mut self,
        _: FuncCursor,
        _: MemoryIndex,
        _: Heap,
        _: ir::Value,
        _: ir::Value,
        _: ir::Value,
    ) -> WasmResult<ir::Value> {
        unsupported("atomics")
    }

    fn translate_atomic_notify(
        &mut self,
        _: FuncCursor,
        _: MemoryIndex,
        _: Heap,
        _: ir::Value,
        _: ir::Value,
    ) -> WasmResult<ir::Value> {
        unsupported("atomics")
    }

    fn translate_ref_i31(&mut self, _: FuncCursor, _: ir::Value) -> WasmResult<ir::Value> {
        unsupported("i31")
    }

    fn translate_i31_get_s(&mut self, _: FuncCursor, _: ir::Value) -> WasmResult<ir::Value> {
        unsupported("i31")
    }

    fn translate_i31_get_u(&mut self, _: FuncCursor, _: ir::Value) -> WasmResult<ir::Value> {
        unsupported("i31")
    }
}

/// How to translate: without the plugin, through the wrapper, or through
/// the runtime's own `translate_call`.
#[derive(Clone, Copy)]
#[allow(
    dead_code,
    reason = "the wrapper example translates itself; the JIT tests use the wrapper mode only"
)]
pub enum Mode<'a> {
    Plain,
    Wrapper(&'a Lowering),
    EntryPoint(&'a Lowering),
}

/// Translates every defined function of `wasm` to CLIF (unoptimized).
#[allow(dead_code, reason = "the wrapper example translates itself")]
pub fn translate(
    wasm: &[u8],
    info: &ModuleInfo,
    config: TargetFrontendConfig,
    mode: Mode<'_>,
) -> WasmResult<Vec<ir::Function>> {
    let mut validator = Validator::new_with_features(WasmFeatures::default());
    let mut translator = FuncTranslator::new();
    let mut allocations = FuncValidatorAllocations::default();
    let mut functions = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload?;
        if let ValidPayload::Func(to_validate, body) = validator.payload(&payload)? {
            let index = info.imported + functions.len();
            let mut func_validator = to_validate.into_validator(allocations);
            let mut func = ir::Function::with_name_signature(
                ir::UserFuncName::user(0, index as u32),
                signature(info, config, index),
            );
            match mode {
                Mode::Plain => {
                    let mut env = MiniEnv::new(info, config);
                    translator.translate_body(&mut func_validator, body, &mut func, &mut env)?
                }
                Mode::Wrapper(lowering) => {
                    let mut env =
                        LoweringEnv::new(MiniEnv::new(info, config), lowering, store_data_hook());
                    translator.translate_body(&mut func_validator, body, &mut func, &mut env)?
                }
                Mode::EntryPoint(lowering) => {
                    let mut env = MiniEnv::with_lowering(info, config, lowering);
                    translator.translate_body(&mut func_validator, body, &mut func, &mut env)?
                }
            }
            allocations = func_validator.into_allocations();
            functions.push(func);
        }
    }
    Ok(functions)
}

/// A Cranelift ISA for `triple` with `opt_level=speed`, the settings the
/// snapshots and JIT tests use.
#[allow(
    dead_code,
    reason = "the JIT tests and the wrapper example build their ISA for the host"
)]
pub fn isa(triple: &str) -> std::sync::Arc<dyn TargetIsa> {
    use cranelift_codegen::settings::{self, Configurable};
    let mut flags = settings::builder();
    flags.set("opt_level", "speed").expect("known setting");
    let flags = settings::Flags::new(flags);
    cranelift_codegen::isa::lookup_by_name(triple)
        .expect("ISA compiled in")
        .finish(flags)
        .expect("valid flags")
}
