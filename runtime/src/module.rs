//! Compiling a module: cranelift-wasm translation with the lowering plugin,
//! then JIT compilation of every function.
//!
//! This is where the plugin is used, in its wrapper form: each function's
//! [`FuncEnv`] is wrapped in a [`LoweringEnv`] built from the module's
//! intrinsic imports, with [`VmctxField`] pointing at the vmctx word that
//! holds the store-data address. Nothing else in the runtime knows about
//! intrinsics, except instantiation, which serves intrinsic imports with the
//! plugin's host implementations.

use cranelift_codegen::entity::EntityRef;
use std::rc::Rc;

use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::{self, TrapCode, UserFuncName};
use cranelift_codegen::isa::TargetIsa;
use cranelift_codegen::{Context, FinalizedMachReloc, FinalizedRelocTarget};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, FuncId, Linkage, Module as _};
use cranelift_wasm::{translate_module, FuncIndex, FuncTranslator};
use wasm_prelink_lowering::{Lowering, LoweringEnv, VmctxField};

use crate::engine::Engine;
use crate::error::Error;
use crate::func_env::{wasm_signature, FuncEnv};
use crate::info::{read_initializers, EntityIndex, InfoBuilder, ModuleInfo};
use crate::limits;
use crate::placement;
use crate::trap::TrapLookup;
use crate::values::{FuncType, ValType};
use crate::vm::{StoreData, VMOffsets, VMCTX_STORE_DATA};

/// A compiled module, ready to instantiate; cheap to clone.
#[derive(Clone)]
pub struct Module {
    pub(crate) inner: Rc<ModuleInner>,
}

/// One compiled function: where it is and where it may trap.
struct CompiledFunc {
    start: usize,
    len: usize,
    /// (offset, code), sorted by offset.
    traps: Vec<(u32, TrapCode)>,
    disassembly: Option<String>,
}

pub(crate) struct ModuleInner {
    pub engine: Engine,
    pub info: ModuleInfo,
    pub offsets: VMOffsets,
    /// Every module type as the embedder sees it.
    pub types: Vec<FuncType>,
    /// Engine-wide signature id of every module type.
    pub type_ids: Vec<u64>,
    pub lowering: Lowering,
    /// Defined functions, by defined index.
    funcs: Vec<CompiledFunc>,
    /// Functions sorted by start address, for trap lookup.
    by_address: Vec<usize>,
    jit: Option<JITModule>,
}

impl Drop for ModuleInner {
    fn drop(&mut self) {
        if let Some(jit) = self.jit.take() {
            // SAFETY: instances hold an `Rc` of their module, so when the
            // module goes, no instance can run its code any more.
            unsafe { jit.free_memory() };
        }
    }
}

fn compile_error(e: impl std::fmt::Display) -> Error {
    Error::Compile(e.to_string())
}

/// Compiles `ctx.func` and defines it in `jit` as [`placement`] places it:
/// allocated at a line boundary, with padding in front that moves its
/// innermost loops into as few lines as they fit. Returns the padding's
/// length, by which every code offset of the function is then shifted.
fn define_placed(
    jit: &mut JITModule,
    id: FuncId,
    ctx: &mut Context,
    isa: &dyn TargetIsa,
) -> Result<u32, String> {
    ctx.compile(isa, &mut ControlPlane::default())
        .map_err(|e| format!("{:?}", e.inner))?;
    let code = ctx.compiled_code().ok_or("no compiled code")?;
    let padding = placement::padding_for(isa, code);
    let mut bytes = placement::padding_bytes(padding as usize);
    bytes.extend_from_slice(code.code_buffer());
    let relocs: Vec<FinalizedMachReloc> = code
        .buffer
        .relocs()
        .iter()
        .map(|reloc| FinalizedMachReloc {
            offset: padding + reloc.offset,
            kind: reloc.kind,
            target: match &reloc.target {
                FinalizedRelocTarget::Func(offset) => FinalizedRelocTarget::Func(padding + offset),
                other => other.clone(),
            },
            addend: reloc.addend,
        })
        .collect();
    let alignment = u64::from(placement::LINE.max(code.buffer.alignment));
    jit.define_function_bytes(id, &ctx.func, alignment, &bytes, &relocs)
        .map_err(|e| format!("{e:?}"))?;
    Ok(padding)
}

impl Module {
    /// Validates and compiles `wasm` (binary).
    pub fn new(engine: &Engine, wasm: &[u8]) -> Result<Module, Error> {
        let config = engine.config();
        // The whole store data is a descriptor in the lowering's sense: it
        // lives in a box that outlives every instance, only host code given
        // the `&mut Store` (between calls, or in a host function Wasm
        // calls) or Wasm's own native stores change it, and the buffer it
        // points to is a separate allocation.
        let lowering = Lowering::new(
            wasm,
            &wasm_prelink_lowering::Config::new()
                .namespace(config.namespace())
                .store_data_descriptor(std::mem::size_of::<StoreData>() as u32),
        )?;
        let mut builder = InfoBuilder::new();
        translate_module(wasm, &mut builder).map_err(compile_error)?;
        let InfoBuilder { mut info, bodies } = builder;
        read_initializers(wasm, &mut info).map_err(compile_error)?;

        let types = info
            .types
            .iter()
            .map(|t| {
                let convert = |tys: &[cranelift_wasm::WasmValType]| {
                    tys.iter()
                        .map(|t| {
                            ValType::from_wasm(t)
                                .ok_or_else(|| Error::Compile(format!("unsupported type `{t}`")))
                        })
                        .collect::<Result<Vec<_>, _>>()
                };
                Ok(FuncType {
                    params: convert(t.params())?,
                    results: convert(t.returns())?,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let type_ids: Vec<u64> = types.iter().map(|t| engine.signature_id(t)).collect();
        let offsets = VMOffsets::new(
            info.funcs.len() as u32,
            info.memories.len() as u32,
            info.tables.len() as u32,
            info.globals.len() as u32,
        );

        let mut jit = JITModule::new(JITBuilder::with_isa(
            engine.isa().clone(),
            default_libcall_names(),
        ));
        let imported = info.imported_funcs as usize;
        let mut func_ids: Vec<FuncId> = Vec::with_capacity(bodies.len());
        for defined in 0..bodies.len() {
            let index = FuncIndex::from_u32((imported + defined) as u32);
            let sig = wasm_signature(info.func_type(index));
            func_ids.push(
                jit.declare_function(&format!("wasm{}", index.as_u32()), Linkage::Local, &sig)
                    .map_err(compile_error)?,
            );
        }

        let mut translator = FuncTranslator::new();
        let mut ctx = Context::new();
        let mut compiled = Vec::with_capacity(bodies.len());
        let hook = VmctxField {
            offset: VMCTX_STORE_DATA,
        };
        for (defined, (mut validator, body)) in bodies.into_iter().enumerate() {
            let index = FuncIndex::from_u32((imported + defined) as u32);
            limits::check_body(index, &body)?;
            let id = func_ids[defined];
            ctx.func = ir::Function::with_name_signature(
                UserFuncName::user(0, id.as_u32()),
                wasm_signature(info.func_type(index)),
            );
            let mut env = FuncEnv::new(
                &info,
                offsets,
                &type_ids,
                &func_ids,
                engine.isa().frontend_config(),
            )
            .with_epoch_interruption(config.epoch_interruption_enabled());
            env.set_stack_limit(&mut ctx.func);
            if config.lowering_enabled() {
                let mut env = LoweringEnv::new(env, &lowering, hook);
                translator.translate_body(&mut validator, body, &mut ctx.func, &mut env)
            } else {
                translator.translate_body(&mut validator, body, &mut ctx.func, &mut env)
            }
            .map_err(compile_error)?;
            ctx.set_disasm(config.disassembly_enabled());
            let padding = define_placed(&mut jit, id, &mut ctx, engine.isa().as_ref())
                .map_err(|e| Error::Compile(format!("function {}: {e}", index.as_u32())))?;
            let code = ctx
                .compiled_code()
                .ok_or_else(|| Error::Compile("no compiled code".to_owned()))?;
            let mut traps: Vec<(u32, TrapCode)> = code
                .buffer
                .traps()
                .iter()
                .map(|t| (padding + t.offset, t.code))
                .collect();
            traps.sort_by_key(|t| t.0);
            compiled.push(CompiledFunc {
                start: 0,
                len: (padding + code.code_info().total_size) as usize,
                traps,
                disassembly: code.vcode.clone(),
            });
            jit.clear_context(&mut ctx);
        }
        jit.finalize_definitions().map_err(compile_error)?;
        for (func, &id) in compiled.iter_mut().zip(&func_ids) {
            func.start = jit.get_finalized_function(id) as usize;
        }
        let mut by_address: Vec<usize> = (0..compiled.len()).collect();
        by_address.sort_by_key(|&i| compiled[i].start);

        Ok(Module {
            inner: Rc::new(ModuleInner {
                engine: engine.clone(),
                info,
                offsets,
                types,
                type_ids,
                lowering,
                funcs: compiled,
                by_address,
                jit: Some(jit),
            }),
        })
    }

    /// The names of the exported functions with their types, in export
    /// order.
    pub fn exported_funcs(&self) -> Vec<(String, FuncType)> {
        let inner = &self.inner;
        inner
            .info
            .exports
            .iter()
            .filter_map(|(name, e)| match e {
                EntityIndex::Func(f) => Some((name.clone(), inner.func_type(*f).clone())),
                _ => None,
            })
            .collect()
    }

    /// The machine code of the exported function `name`, when the engine
    /// was configured with [`Config::disassembly`](crate::Config::disassembly).
    pub fn disassembly(&self, name: &str) -> Option<&str> {
        let inner = &self.inner;
        let index = inner.info.exports.iter().find_map(|(n, e)| match e {
            EntityIndex::Func(f) if n == name => Some(*f),
            _ => None,
        })?;
        let defined = index.as_u32().checked_sub(inner.info.imported_funcs)?;
        inner.funcs[defined as usize].disassembly.as_deref()
    }
}

impl ModuleInner {
    /// The signature of function `index`.
    pub fn func_type(&self, index: FuncIndex) -> &FuncType {
        &self.types[self.info.funcs[index.index()].index()]
    }

    /// The signature id of function `index`.
    pub fn func_type_id(&self, index: FuncIndex) -> u64 {
        self.type_ids[self.info.funcs[index.index()].index()]
    }

    /// The code address of defined function `index`.
    pub fn code(&self, index: FuncIndex) -> *const u8 {
        let defined = (index.as_u32() - self.info.imported_funcs) as usize;
        self.funcs[defined].start as *const u8
    }
}

impl ModuleInner {
    /// The compiled function whose code holds `pc`, if any.
    fn func_at(&self, pc: usize) -> Option<&CompiledFunc> {
        let position = self
            .by_address
            .partition_point(|&i| self.funcs[i].start <= pc);
        let func = &self.funcs[*self.by_address.get(position.checked_sub(1)?)?];
        (pc < func.start + func.len).then_some(func)
    }
}

impl TrapLookup for ModuleInner {
    fn lookup(&self, pc: usize) -> Option<TrapCode> {
        let func = self.func_at(pc)?;
        let offset = (pc - func.start) as u32;
        let i = func.traps.binary_search_by_key(&offset, |t| t.0).ok()?;
        Some(func.traps[i].1)
    }

    fn is_wasm_code(&self, pc: usize) -> bool {
        self.func_at(pc).is_some()
    }
}
