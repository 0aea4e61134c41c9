//! What the runtime learns about a module while cranelift-wasm parses it:
//! the `ModuleEnvironment` half of the translation hooks.
//!
//! cranelift-wasm drives parsing and validation and calls these hooks once
//! per declaration. Nothing is compiled here: function bodies are kept (with
//! their validators) until the whole module has been seen, because
//! translating a body needs every declaration before it, and the vmctx
//! layout needs the final counts.

use cranelift_codegen::entity::EntityRef;
use cranelift_wasm::wasmparser::{
    DataKind, ElementKind, FuncValidator, FunctionBody, Parser, Payload, TableInit,
    ValidatorResources, WasmFeatures,
};
use cranelift_wasm::{
    ConstExpr, ConstOp, DataIndex, ElemIndex, EngineOrModuleTypeIndex, FuncIndex, Global,
    GlobalIndex, Memory, MemoryIndex, ModuleEnvironment, ModuleInternedTypeIndex, Table,
    TableIndex, TypeConvert, TypeIndex, WasmError, WasmFuncType, WasmHeapType, WasmResult,
};

/// The kind and index of an import or export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EntityIndex {
    /// A function.
    Func(FuncIndex),
    /// A table.
    Table(TableIndex),
    /// A memory.
    Memory(MemoryIndex),
    /// A global.
    Global(GlobalIndex),
}

/// One import, in declaration order.
#[derive(Clone, Debug)]
pub(crate) struct Import {
    pub module: String,
    pub name: String,
    pub index: EntityIndex,
}

/// An element segment; `FuncIndex::reserved_value()` items are null.
#[derive(Clone, Debug)]
pub(crate) struct ElemSegment {
    /// The table and offset expression of an active segment.
    pub active: Option<(TableIndex, ConstExpr)>,
    pub items: Box<[FuncIndex]>,
}

/// A data segment.
#[derive(Clone, Debug)]
pub(crate) struct DataSegment {
    /// The memory and offset expression of an active segment.
    pub active: Option<(MemoryIndex, ConstExpr)>,
    pub bytes: Box<[u8]>,
}

/// Everything but the function bodies.
#[derive(Debug, Default)]
pub(crate) struct ModuleInfo {
    /// Function types, by type index.
    pub types: Vec<WasmFuncType>,
    /// Type of every function (imports first).
    pub funcs: Vec<TypeIndex>,
    pub tables: Vec<Table>,
    /// The initializer expression of every defined table (after the
    /// imported ones), `None` when the table starts out null.
    pub table_inits: Vec<Option<ConstExpr>>,
    pub memories: Vec<Memory>,
    /// Globals with their initializer (`None` for imports).
    pub globals: Vec<(Global, Option<ConstExpr>)>,
    pub imports: Vec<Import>,
    pub imported_funcs: u32,
    pub imported_tables: u32,
    pub imported_memories: u32,
    pub imported_globals: u32,
    pub exports: Vec<(String, EntityIndex)>,
    pub start: Option<FuncIndex>,
    /// All element segments, by element index.
    pub elems: Vec<ElemSegment>,
    /// All data segments, by data index.
    pub data: Vec<DataSegment>,
    /// Functions whose address escapes (`ref.func`, elements, exports).
    pub escaping: Vec<FuncIndex>,
}

impl ModuleInfo {
    /// The signature of function `index`.
    pub fn func_type(&self, index: FuncIndex) -> &WasmFuncType {
        &self.types[self.funcs[index.index()].index()]
    }

    /// Whether function `index` is an import.
    pub fn is_imported_func(&self, index: FuncIndex) -> bool {
        index.as_u32() < self.imported_funcs
    }
}

/// The `ModuleEnvironment`: fills a [`ModuleInfo`] and keeps the bodies.
pub(crate) struct InfoBuilder<'data> {
    pub info: ModuleInfo,
    pub bodies: Vec<(FuncValidator<ValidatorResources>, FunctionBody<'data>)>,
}

impl<'data> InfoBuilder<'data> {
    pub fn new() -> Self {
        InfoBuilder {
            info: ModuleInfo::default(),
            bodies: Vec::new(),
        }
    }

    fn import(&mut self, module: &str, name: &str, index: EntityIndex) {
        self.info.imports.push(Import {
            module: module.to_owned(),
            name: name.to_owned(),
            index,
        });
    }
}

/// Module type indices are used as-is: this runtime does not canonicalize
/// rec groups (it runs no GC types), only function signatures, at the
/// engine level.
pub(crate) fn module_type_index(index: cranelift_wasm::wasmparser::UnpackedIndex) -> u32 {
    match index {
        cranelift_wasm::wasmparser::UnpackedIndex::Module(i)
        | cranelift_wasm::wasmparser::UnpackedIndex::RecGroup(i) => i,
        cranelift_wasm::wasmparser::UnpackedIndex::Id(_) => u32::MAX,
    }
}

impl TypeConvert for InfoBuilder<'_> {
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

impl<'data> ModuleEnvironment<'data> for InfoBuilder<'data> {
    /// wasmparser's defaults plus 64-bit memories, which the runtime
    /// implements with explicit bounds checks (see `memory.rs`).
    fn wasm_features(&self) -> WasmFeatures {
        WasmFeatures::default() | WasmFeatures::MEMORY64
    }

    fn declare_type_func(&mut self, wasm_func_type: WasmFuncType) -> WasmResult<()> {
        self.info.types.push(wasm_func_type);
        Ok(())
    }

    fn type_to_signature(&self, index: TypeIndex) -> WasmResult<ModuleInternedTypeIndex> {
        Ok(ModuleInternedTypeIndex::from_u32(index.as_u32()))
    }

    fn declare_func_import(
        &mut self,
        index: TypeIndex,
        module: &'data str,
        field: &'data str,
    ) -> WasmResult<()> {
        let func = FuncIndex::from_u32(self.info.funcs.len() as u32);
        self.info.funcs.push(index);
        self.info.imported_funcs += 1;
        self.import(module, field, EntityIndex::Func(func));
        Ok(())
    }

    fn declare_table_import(
        &mut self,
        table: Table,
        module: &'data str,
        field: &'data str,
    ) -> WasmResult<()> {
        let index = TableIndex::from_u32(self.info.tables.len() as u32);
        self.info.tables.push(table);
        self.info.imported_tables += 1;
        self.import(module, field, EntityIndex::Table(index));
        Ok(())
    }

    fn declare_memory_import(
        &mut self,
        memory: Memory,
        module: &'data str,
        field: &'data str,
    ) -> WasmResult<()> {
        let index = MemoryIndex::from_u32(self.info.memories.len() as u32);
        self.info.memories.push(memory);
        self.info.imported_memories += 1;
        self.import(module, field, EntityIndex::Memory(index));
        Ok(())
    }

    fn declare_global_import(
        &mut self,
        global: Global,
        module: &'data str,
        field: &'data str,
    ) -> WasmResult<()> {
        let index = GlobalIndex::from_u32(self.info.globals.len() as u32);
        self.info.globals.push((global, None));
        self.info.imported_globals += 1;
        self.import(module, field, EntityIndex::Global(index));
        Ok(())
    }

    fn declare_func_type(&mut self, index: TypeIndex) -> WasmResult<()> {
        self.info.funcs.push(index);
        Ok(())
    }

    fn declare_table(&mut self, table: Table) -> WasmResult<()> {
        self.info.tables.push(table);
        Ok(())
    }

    fn declare_memory(&mut self, memory: Memory) -> WasmResult<()> {
        if memory.shared {
            return Err(WasmError::Unsupported("shared memories".to_owned()));
        }
        self.info.memories.push(memory);
        Ok(())
    }

    fn declare_global(&mut self, global: Global, init: ConstExpr) -> WasmResult<()> {
        for op in init.ops() {
            if let cranelift_wasm::ConstOp::RefFunc(f) = op {
                self.info.escaping.push(*f);
            }
        }
        self.info.globals.push((global, Some(init)));
        Ok(())
    }

    fn declare_func_export(&mut self, func_index: FuncIndex, name: &'data str) -> WasmResult<()> {
        self.info.escaping.push(func_index);
        self.info
            .exports
            .push((name.to_owned(), EntityIndex::Func(func_index)));
        Ok(())
    }

    fn declare_table_export(
        &mut self,
        table_index: TableIndex,
        name: &'data str,
    ) -> WasmResult<()> {
        self.info
            .exports
            .push((name.to_owned(), EntityIndex::Table(table_index)));
        Ok(())
    }

    fn declare_memory_export(
        &mut self,
        memory_index: MemoryIndex,
        name: &'data str,
    ) -> WasmResult<()> {
        self.info
            .exports
            .push((name.to_owned(), EntityIndex::Memory(memory_index)));
        Ok(())
    }

    fn declare_global_export(
        &mut self,
        global_index: GlobalIndex,
        name: &'data str,
    ) -> WasmResult<()> {
        self.info
            .exports
            .push((name.to_owned(), EntityIndex::Global(global_index)));
        Ok(())
    }

    fn declare_start_func(&mut self, index: FuncIndex) -> WasmResult<()> {
        self.info.start = Some(index);
        Ok(())
    }

    /// cranelift-wasm passes only the first operator of the offset
    /// expression (`base` or `offset`), which is wrong for extended constant
    /// expressions; [`read_initializers`] replaces it with the whole
    /// expression.
    fn declare_table_elements(
        &mut self,
        table_index: TableIndex,
        base: Option<GlobalIndex>,
        offset: u32,
        elements: Box<[FuncIndex]>,
    ) -> WasmResult<()> {
        self.info.escaping.extend(elements.iter().copied());
        self.info.elems.push(ElemSegment {
            active: Some((table_index, first_operator(base, u64::from(offset)))),
            items: elements,
        });
        Ok(())
    }

    fn declare_passive_element(
        &mut self,
        index: ElemIndex,
        elements: Box<[FuncIndex]>,
    ) -> WasmResult<()> {
        debug_assert_eq!(index.index(), self.info.elems.len());
        self.info.escaping.extend(elements.iter().copied());
        self.info.elems.push(ElemSegment {
            active: None,
            items: elements,
        });
        Ok(())
    }

    fn declare_elements(&mut self, elements: Box<[FuncIndex]>) -> WasmResult<()> {
        // A declarative segment only declares `ref.func` targets; at run
        // time it behaves as an already dropped passive segment.
        self.info.escaping.extend(elements.iter().copied());
        self.info.elems.push(ElemSegment {
            active: None,
            items: Box::new([]),
        });
        Ok(())
    }

    fn declare_passive_data(&mut self, data_index: DataIndex, data: &'data [u8]) -> WasmResult<()> {
        debug_assert_eq!(data_index.index(), self.info.data.len());
        self.info.data.push(DataSegment {
            active: None,
            bytes: data.into(),
        });
        Ok(())
    }

    fn define_function_body(
        &mut self,
        validator: FuncValidator<ValidatorResources>,
        body: FunctionBody<'data>,
    ) -> WasmResult<()> {
        self.bodies.push((validator, body));
        Ok(())
    }

    /// As for [`declare_table_elements`](Self::declare_table_elements),
    /// the offset is filled in by [`read_initializers`].
    fn declare_data_initialization(
        &mut self,
        memory_index: MemoryIndex,
        base: Option<GlobalIndex>,
        offset: u64,
        data: &'data [u8],
    ) -> WasmResult<()> {
        self.info.data.push(DataSegment {
            active: Some((memory_index, first_operator(base, offset))),
            bytes: data.into(),
        });
        Ok(())
    }
}

/// The offset expression made of the one operator cranelift-wasm passes.
fn first_operator(base: Option<GlobalIndex>, offset: u64) -> ConstExpr {
    ConstExpr::new([base.map_or(ConstOp::I64Const(offset as i64), ConstOp::GlobalGet)])
}

/// Reads the constant expressions cranelift-wasm drops or truncates from
/// `wasm`'s table, element and data sections into `info`.
///
/// cranelift-wasm 0.112 hands its `ModuleEnvironment` neither a table's
/// initializer expression (`(table 2 funcref (ref.func $f))` would start out
/// null) nor more than the first operator of an offset expression (so
/// `(i32.add (global.get $g) (i32.const 10))` would be taken as `(global.get
/// $g)`). The module has been validated by then, so the sections parse, and
/// their tables and active segments are the ones the hooks recorded, in the
/// same order.
pub(crate) fn read_initializers(wasm: &[u8], info: &mut ModuleInfo) -> WasmResult<()> {
    let mut elems = info.elems.iter_mut().filter_map(|e| e.active.as_mut());
    let mut data = info.data.iter_mut().filter_map(|d| d.active.as_mut());
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::TableSection(reader) => {
                for table in reader {
                    info.table_inits.push(match table?.init {
                        TableInit::RefNull => None,
                        TableInit::Expr(expr) => Some(ConstExpr::from_wasmparser(expr)?.0),
                    });
                }
            }
            Payload::ElementSection(reader) => {
                for element in reader {
                    if let ElementKind::Active { offset_expr, .. } = element?.kind {
                        set_offset(elems.next().map(|e| &mut e.1), offset_expr)?;
                    }
                }
            }
            Payload::DataSection(reader) => {
                for segment in reader {
                    if let DataKind::Active { offset_expr, .. } = segment?.kind {
                        set_offset(data.next().map(|d| &mut d.1), offset_expr)?;
                    }
                }
            }
            _ => {}
        }
    }
    if elems.next().is_some() || data.next().is_some() {
        return Err(WasmError::Unsupported(
            "more active segments declared than the sections hold".to_owned(),
        ));
    }
    if info.table_inits.len() + info.imported_tables as usize != info.tables.len() {
        return Err(WasmError::Unsupported(
            "the table section holds another number of tables than were declared".to_owned(),
        ));
    }
    Ok(())
}

/// Stores `expr` in the next recorded active segment's `slot`.
fn set_offset(
    slot: Option<&mut ConstExpr>,
    expr: cranelift_wasm::wasmparser::ConstExpr<'_>,
) -> WasmResult<()> {
    let slot = slot.ok_or_else(|| {
        WasmError::Unsupported("an active segment cranelift-wasm did not declare".to_owned())
    })?;
    *slot = ConstExpr::from_wasmparser(expr)?.0;
    Ok(())
}
