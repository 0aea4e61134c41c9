//! Instantiation: resolving imports, creating the defined memories, tables
//! and globals, building the vmctx, and running the segment initializers
//! and start function, in the order the Wasm 2.0 spec prescribes (element
//! segments, then data segments, each in order, stopping at the first that
//! is out of bounds — earlier writes stay visible through shared tables and
//! memories — then the start function).

use cranelift_codegen::entity::packed_option::ReservedValue;
use cranelift_codegen::entity::EntityRef;
use std::rc::Rc;

use cranelift_wasm::{ConstExpr, ConstOp, FuncIndex};

use crate::error::{Error, Trap};
use crate::func::Func;
use crate::info::{EntityIndex, Import, ModuleInfo};
use crate::memory::{self, MemoryType};
use crate::module::{Module, ModuleInner};
use crate::store::{Extern, Global, GlobalCell, GlobalType, Memory, Store, Table};
use crate::table::{self, TableType};
use crate::values::{Val, ValRaw, ValType};
use crate::vm::{VMFuncRef, VMCTX_INSTANCE, VMCTX_STORE, VMCTX_STORE_DATA};

/// An instance in a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instance(pub(crate) usize);

/// Run-time state of an instance; compiled code reaches it through the
/// vmctx header, libcalls through [`crate::libcalls`].
pub(crate) struct InstanceData {
    pub module: Rc<ModuleInner>,
    /// Boxed so its address, which compiled code receives, is stable.
    vmctx: Box<[usize]>,
    memories: Vec<*mut memory::Memory>,
    tables: Vec<*mut table::Table>,
    /// The function reference of every function, imports included.
    funcrefs: Vec<*const VMFuncRef>,
    /// The function references of the defined functions.
    _own_funcrefs: Box<[VMFuncRef]>,
    pub dropped_data: Vec<bool>,
    pub dropped_elems: Vec<bool>,
    exports: Vec<(String, Extern)>,
}

impl InstanceData {
    /// Memory `index` of this instance.
    pub fn memory(&mut self, index: u32) -> &mut memory::Memory {
        // SAFETY: the pointer is to a memory boxed in the store, which
        // outlives the instance; `&mut self` stands for the exclusive access
        // compiled code has while it runs.
        unsafe { &mut *self.memories[index as usize] }
    }

    /// Table `index` of this instance.
    pub fn table(&mut self, index: u32) -> &mut table::Table {
        // SAFETY: as for `memory`.
        unsafe { &mut *self.tables[index as usize] }
    }

    /// The type of the function whose reference is `funcref`, if it is one
    /// of this instance's functions (imports included).
    pub fn func_type_of(&self, funcref: *const VMFuncRef) -> Option<crate::values::FuncType> {
        let index = self.funcrefs.iter().position(|&f| f == funcref)?;
        Some(
            self.module
                .func_type(FuncIndex::from_u32(index as u32))
                .clone(),
        )
    }

    /// The table word of function `index` (0 for the null marker).
    pub fn funcref_word(&self, index: FuncIndex) -> usize {
        if index == FuncIndex::reserved_value() {
            0
        } else {
            self.funcrefs[index.index()] as usize
        }
    }
}

impl Instance {
    /// Instantiates `module` with `imports`, one per import in order.
    pub fn new(store: &mut Store, module: &Module, imports: &[Extern]) -> Result<Instance, Error> {
        let module = module.inner.clone();
        if !module.engine.same(store.engine()) {
            return Err(Error::ForeignItem("module"));
        }
        store.register_module(&module);
        let mut items = link_imports(store, &module, imports)?;
        create_memories(store, &module.info, &mut items.memories)?;
        create_tables(store, &module.info, &mut items.tables)?;
        let mut instance =
            allocate_instance(store, &module, items.funcrefs, items.memories, items.tables);
        let mut globals = items.globals;
        create_globals(store, &instance, &mut globals)?;
        fill_defined_tables(&mut instance, &globals)?;
        fill_vmctx(store, &mut instance, &globals);
        instance.exports = collect_exports(store, &instance, &globals);
        store.inner.instances.push(instance);
        let handle = Instance(store.inner.instances.len() - 1);
        initialize(store, handle, &globals)?;
        Ok(handle)
    }

    /// The export `name`.
    pub fn get_export(&self, store: &Store, name: &str) -> Option<Extern> {
        store
            .instance(*self)
            .exports
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, e)| *e)
    }

    /// The exported function `name`.
    pub fn get_func(&self, store: &Store, name: &str) -> Option<Func> {
        match self.get_export(store, name)? {
            Extern::Func(f) => Some(f),
            _ => None,
        }
    }

    /// All exports, in order.
    pub fn exports<'s>(&self, store: &'s Store) -> &'s [(String, Extern)] {
        &store.instance(*self).exports
    }

    /// Calls the exported function `name`: the typed-call entry point.
    pub fn call(&self, store: &mut Store, name: &str, args: &[Val]) -> Result<Vec<Val>, Error> {
        let func = self.get_func(store, name).ok_or_else(|| {
            let names: Vec<String> = self
                .exports(store)
                .iter()
                .filter(|(_, e)| matches!(e, Extern::Func(_)))
                .map(|(n, _)| format!("`{n}`"))
                .collect();
            Error::UnknownExport {
                kind: "function",
                name: name.to_owned(),
                hint: if names.is_empty() {
                    String::new()
                } else {
                    format!(" (it exports {})", names.join(", "))
                },
            }
        })?;
        store.call_func(func, args).map_err(|e| match e {
            Error::ArgumentMismatch { ty, found, .. } => Error::ArgumentMismatch {
                name: name.to_owned(),
                ty,
                found,
            },
            other => other,
        })
    }
}

/// The items of an instance in its index spaces, imported ones first.
struct Items {
    funcrefs: Vec<*const VMFuncRef>,
    memories: Vec<*mut memory::Memory>,
    tables: Vec<*mut table::Table>,
    globals: Vec<*mut GlobalCell>,
}

/// Checks each of `imports` against the module's import of the same
/// position, and collects the imported items.
fn link_imports(
    store: &mut Store,
    module: &ModuleInner,
    imports: &[Extern],
) -> Result<Items, Error> {
    let info = &module.info;
    if imports.len() != info.imports.len() {
        return Err(Error::Compile(format!(
            "{} imports given, the module has {}",
            imports.len(),
            info.imports.len()
        )));
    }
    let mut items = Items {
        funcrefs: Vec::with_capacity(info.funcs.len()),
        memories: Vec::new(),
        tables: Vec::new(),
        globals: Vec::new(),
    };
    for (import, &definition) in info.imports.iter().zip(imports) {
        link_import(store, module, import, definition, &mut items).map_err(|e| match e {
            Mismatch::Reason(reason) => Error::IncompatibleImport {
                module: import.module.clone(),
                name: import.name.clone(),
                reason,
            },
            Mismatch::Error(error) => error,
        })?;
    }
    Ok(items)
}

/// Why an import was refused: a reason its definition does not match, or an
/// error that is not about the match (a foreign item).
enum Mismatch {
    Reason(String),
    Error(Error),
}

impl From<Error> for Mismatch {
    fn from(error: Error) -> Mismatch {
        Mismatch::Error(error)
    }
}

/// Checks one import's definition against Wasm's import-matching rules and
/// adds the item to `items`.
fn link_import(
    store: &mut Store,
    module: &ModuleInner,
    import: &Import,
    definition: Extern,
    items: &mut Items,
) -> Result<(), Mismatch> {
    let info = &module.info;
    match (import.index, definition) {
        (EntityIndex::Func(f), Extern::Func(func)) => {
            items.funcrefs.push(import_func(store, module, f, func)?);
        }
        (EntityIndex::Memory(m), Extern::Memory(memory)) => {
            let declared = &info.memories[m.index()];
            items.memories.push(import_memory(store, declared, memory)?);
        }
        (EntityIndex::Table(t), Extern::Table(table)) => {
            let declared = &info.tables[t.index()];
            items.tables.push(import_table(store, declared, table)?);
        }
        (EntityIndex::Global(g), Extern::Global(global)) => {
            let declared = &info.globals[g.index()].0;
            items.globals.push(import_global(store, declared, global)?);
        }
        (_, found) => {
            return Err(Mismatch::Reason(format!("wrong kind of item: {found:?}")));
        }
    }
    Ok(())
}

/// The reference of a function imported as function `index`: its type
/// must be the declared one.
fn import_func(
    store: &Store,
    module: &ModuleInner,
    index: FuncIndex,
    func: Func,
) -> Result<*const VMFuncRef, Mismatch> {
    let data = store
        .inner
        .funcs
        .get(func.0)
        .ok_or(Error::ForeignItem("function"))?;
    let expected = module.func_type(index);
    if &data.ty != expected {
        return Err(Mismatch::Reason(format!(
            "expected {expected}, found {}",
            data.ty
        )));
    }
    Ok(data.funcref)
}

/// An imported memory: its limits must fit the declared ones.
fn import_memory(
    store: &mut Store,
    declared: &cranelift_wasm::Memory,
    memory: Memory,
) -> Result<*mut memory::Memory, Mismatch> {
    let actual = store
        .inner
        .memories
        .get_mut(memory.0)
        .ok_or(Error::ForeignItem("memory"))?;
    let ty = actual.ty;
    if ty.memory64 != declared.memory64
        || !limits_match(ty.minimum, ty.maximum, declared.minimum, declared.maximum)
    {
        return Err(Mismatch::Reason("memory limits do not match".to_owned()));
    }
    Ok(&mut **actual as *mut memory::Memory)
}

/// An imported table: its element type must be the declared one and its
/// limits must fit.
fn import_table(
    store: &mut Store,
    declared: &cranelift_wasm::Table,
    table: Table,
) -> Result<*mut table::Table, Mismatch> {
    let actual = store
        .inner
        .tables
        .get_mut(table.0)
        .ok_or(Error::ForeignItem("table"))?;
    let ty = actual.ty;
    let element = ValType::from_wasm(&cranelift_wasm::WasmValType::Ref(declared.wasm_ty));
    if Some(ty.element) != element
        || !limits_match(
            u64::from(ty.minimum),
            ty.maximum.map(u64::from),
            u64::from(declared.minimum),
            declared.maximum.map(u64::from),
        )
    {
        return Err(Mismatch::Reason("table types do not match".to_owned()));
    }
    Ok(&mut **actual as *mut table::Table)
}

/// An imported global: its content type and mutability must be the
/// declared ones.
fn import_global(
    store: &mut Store,
    declared: &cranelift_wasm::Global,
    global: Global,
) -> Result<*mut GlobalCell, Mismatch> {
    let cell = store
        .inner
        .globals
        .get_mut(global.0)
        .ok_or(Error::ForeignItem("global"))?;
    if Some(cell.ty.content) != ValType::from_wasm(&declared.wasm_ty)
        || cell.ty.mutable != declared.mutability
    {
        return Err(Mismatch::Reason("global types do not match".to_owned()));
    }
    Ok(&mut **cell as *mut GlobalCell)
}

/// Creates the defined memories, after the imported ones.
fn create_memories(
    store: &mut Store,
    info: &ModuleInfo,
    memories: &mut Vec<*mut memory::Memory>,
) -> Result<(), Error> {
    for declared in &info.memories[memories.len()..] {
        let memory = Memory::new(
            store,
            MemoryType {
                minimum: declared.minimum,
                maximum: declared.maximum,
                memory64: declared.memory64,
            },
        )?;
        memories.push(&mut *store.inner.memories[memory.0] as *mut memory::Memory);
    }
    Ok(())
}

/// Creates the defined tables, after the imported ones, all null: an
/// initializer expression is evaluated later, by [`fill_defined_tables`].
fn create_tables(
    store: &mut Store,
    info: &ModuleInfo,
    tables: &mut Vec<*mut table::Table>,
) -> Result<(), Error> {
    for declared in &info.tables[tables.len()..] {
        let element = ValType::from_wasm(&cranelift_wasm::WasmValType::Ref(declared.wasm_ty))
            .ok_or_else(|| Error::Compile("unsupported table type".to_owned()))?;
        let table = Table::new(
            store,
            TableType {
                element,
                minimum: declared.minimum,
                maximum: declared.maximum,
            },
            Val::default_for(element),
        )?;
        tables.push(&mut *store.inner.tables[table.0] as *mut table::Table);
    }
    Ok(())
}

/// Allocates the instance with its vmctx and the defined functions'
/// references. The two point at each other: both are allocated here, the
/// vmctx filled in by [`fill_vmctx`] once the globals exist.
fn allocate_instance(
    store: &mut Store,
    module: &Rc<ModuleInner>,
    mut funcrefs: Vec<*const VMFuncRef>,
    memories: Vec<*mut memory::Memory>,
    tables: Vec<*mut table::Table>,
) -> Box<InstanceData> {
    let info = &module.info;
    let mut vmctx = vec![0usize; module.offsets.words()].into_boxed_slice();
    let vmctx_ptr: *mut u8 = vmctx.as_mut_ptr().cast();
    let own_funcrefs: Box<[VMFuncRef]> = (info.imported_funcs..info.funcs.len() as u32)
        .map(|i| {
            let index = FuncIndex::from_u32(i);
            VMFuncRef {
                code: module.code(index),
                vmctx: vmctx_ptr,
                type_id: module.func_type_id(index),
            }
        })
        .collect();
    funcrefs.extend(own_funcrefs.iter().map(|f| f as *const VMFuncRef));
    for &f in &funcrefs {
        store.inner.funcref_addrs.insert(f as usize);
    }
    Box::new(InstanceData {
        module: module.clone(),
        vmctx,
        memories,
        tables,
        funcrefs,
        _own_funcrefs: own_funcrefs,
        dropped_data: vec![false; info.data.len()],
        dropped_elems: vec![false; info.elems.len()],
        exports: Vec::new(),
    })
}

/// Creates the defined globals, after the imported ones; their
/// initializers may read imported globals and take function references.
fn create_globals(
    store: &mut Store,
    instance: &InstanceData,
    globals: &mut Vec<*mut GlobalCell>,
) -> Result<(), Error> {
    let module = instance.module.clone();
    for (global, init) in &module.info.globals[globals.len()..] {
        let content = ValType::from_wasm(&global.wasm_ty)
            .ok_or_else(|| Error::Compile("unsupported global type".to_owned()))?;
        let init = init
            .as_ref()
            .ok_or_else(|| Error::Compile("global without initializer".to_owned()))?;
        let value = eval_const(init, globals, instance)?;
        store.inner.globals.push(Box::new(GlobalCell {
            value,
            ty: GlobalType {
                content,
                mutable: global.mutability,
            },
        }));
        let cell = store
            .inner
            .globals
            .last_mut()
            .map(|c| &mut **c as *mut GlobalCell);
        globals.extend(cell);
    }
    Ok(())
}

/// Fills in the vmctx: the store, every function reference, memory, table
/// and global, and the instance itself.
fn fill_vmctx(store: &Store, instance: &mut InstanceData, globals: &[*mut GlobalCell]) {
    let offsets = instance.module.offsets;
    let instance_ptr: *mut InstanceData = instance;
    let words = &mut instance.vmctx;
    let word = |offset: i32| offset as usize / 8;
    words[word(VMCTX_STORE)] = &*store.inner.ctx as *const _ as usize;
    words[word(VMCTX_STORE_DATA)] = &*store.inner.data as *const _ as usize;
    for (i, &funcref) in instance.funcrefs.iter().enumerate() {
        words[word(offsets.func(FuncIndex::from_u32(i as u32)))] = funcref as usize;
    }
    for (i, &m) in instance.memories.iter().enumerate() {
        // SAFETY: `m` points to a memory boxed in the store.
        let vm = unsafe { &*(*m).vm };
        words[word(offsets.memory_base(i as u32))] = vm.base as usize;
        words[word(offsets.memory_def(i as u32))] = vm as *const _ as usize;
    }
    for (i, &t) in instance.tables.iter().enumerate() {
        // SAFETY: `t` points to a table boxed in the store.
        words[word(offsets.table(i as u32))] = unsafe { &*(*t).vm } as *const _ as usize;
    }
    for (i, &g) in globals.iter().enumerate() {
        words[word(offsets.global(i as u32))] = g as usize;
    }
    words[word(VMCTX_INSTANCE)] = instance_ptr as usize;
}

/// The instance's exports, each as a handle to its item in the store.
fn collect_exports(
    store: &mut Store,
    instance: &InstanceData,
    globals: &[*mut GlobalCell],
) -> Vec<(String, Extern)> {
    let module = &instance.module;
    let mut exports = Vec::with_capacity(module.info.exports.len());
    for (name, index) in &module.info.exports {
        let export = match *index {
            EntityIndex::Func(f) => {
                let funcref = instance.funcrefs[f.index()];
                Extern::Func(store.push_func(funcref, module.func_type(f).clone()))
            }
            EntityIndex::Memory(m) => Extern::Memory(Memory(find_index(
                &store.inner.memories,
                instance.memories[m.index()],
            ))),
            EntityIndex::Table(t) => Extern::Table(Table(find_index(
                &store.inner.tables,
                instance.tables[t.index()],
            ))),
            EntityIndex::Global(g) => {
                Extern::Global(Global(find_index(&store.inner.globals, globals[g.index()])))
            }
        };
        exports.push((name.clone(), export));
    }
    exports
}

/// Wasm import matching of limits: the actual minimum is at least the
/// declared one, and a declared maximum is respected by the actual one.
fn limits_match(min: u64, max: Option<u64>, want_min: u64, want_max: Option<u64>) -> bool {
    min >= want_min
        && match (max, want_max) {
            (_, None) => true,
            (Some(max), Some(want)) => max <= want,
            (None, Some(_)) => false,
        }
}

fn find_index<T>(arena: &[Box<T>], item: *mut T) -> usize {
    arena
        .iter()
        .position(|b| std::ptr::eq(&**b, item))
        .unwrap_or(usize::MAX)
}

/// Evaluates a constant expression.
fn eval_const(
    expr: &ConstExpr,
    globals: &[*mut GlobalCell],
    instance: &InstanceData,
) -> Result<ValRaw, Error> {
    let mut stack: Vec<u128> = Vec::new();
    let pop = |stack: &mut Vec<u128>| {
        stack
            .pop()
            .ok_or_else(|| Error::Compile("invalid constant expression".to_owned()))
    };
    for op in expr.ops() {
        let value = match *op {
            ConstOp::I32Const(v) => u128::from(v as u32),
            ConstOp::I64Const(v) => u128::from(v as u64),
            ConstOp::F32Const(v) => u128::from(v),
            ConstOp::F64Const(v) => u128::from(v),
            ConstOp::V128Const(v) => v,
            ConstOp::GlobalGet(g) => {
                let cell = globals.get(g.index()).ok_or_else(|| {
                    Error::Compile(format!("global {} not yet defined", g.as_u32()))
                })?;
                // SAFETY: the cell is boxed in the store.
                unsafe { (**cell).value.0 }
            }
            ConstOp::RefNull => 0,
            ConstOp::RefFunc(f) => instance.funcref_word(f) as u128,
            ConstOp::RefI31 => return Err(Error::Compile("GC (`ref.i31`)".to_owned())),
            ConstOp::I32Add | ConstOp::I32Sub | ConstOp::I32Mul => {
                let b = pop(&mut stack)? as u32;
                let a = pop(&mut stack)? as u32;
                u128::from(match *op {
                    ConstOp::I32Add => a.wrapping_add(b),
                    ConstOp::I32Sub => a.wrapping_sub(b),
                    _ => a.wrapping_mul(b),
                })
            }
            ConstOp::I64Add | ConstOp::I64Sub | ConstOp::I64Mul => {
                let b = pop(&mut stack)? as u64;
                let a = pop(&mut stack)? as u64;
                u128::from(match *op {
                    ConstOp::I64Add => a.wrapping_add(b),
                    ConstOp::I64Sub => a.wrapping_sub(b),
                    _ => a.wrapping_mul(b),
                })
            }
        };
        stack.push(value);
    }
    Ok(ValRaw(pop(&mut stack)?))
}

/// Sets every element of each defined table that has an initializer
/// expression (`(table 2 funcref (ref.func $f))`) to its value.
///
/// The tables were created null; the expression can only be evaluated now,
/// once the instance's function references and defined globals exist. Wasm
/// evaluates table initializers after the globals' and before any segment,
/// which is where this runs.
fn fill_defined_tables(
    instance: &mut InstanceData,
    globals: &[*mut GlobalCell],
) -> Result<(), Error> {
    let module = instance.module.clone();
    let info = &module.info;
    for (defined, init) in info.table_inits.iter().enumerate() {
        let Some(init) = init else { continue };
        let word = eval_const(init, globals, instance)?.0 as usize;
        let index = info.imported_tables + defined as u32;
        instance.table(index).elements_mut().fill(word);
    }
    Ok(())
}

/// The start of an active segment: its offset expression evaluated like a
/// global initializer.
///
/// Validation gave the expression the index type of its table or memory;
/// a 32-bit result is truncated, because only the low half of a 32-bit
/// global's slot is meaningful once compiled code has written it.
fn segment_start(
    offset: &ConstExpr,
    index64: bool,
    globals: &[*mut GlobalCell],
    instance: &InstanceData,
) -> Result<u64, Error> {
    let value = eval_const(offset, globals, instance)?.0;
    Ok(if index64 {
        value as u64
    } else {
        u64::from(value as u32)
    })
}

/// Applies the active segments, then runs the start function.
fn initialize(
    store: &mut Store,
    handle: Instance,
    globals: &[*mut GlobalCell],
) -> Result<(), Error> {
    let instance = &mut store.inner.instances[handle.0];
    let module = instance.module.clone();
    for (i, segment) in module.info.elems.iter().enumerate() {
        let Some((table, offset)) = &segment.active else {
            // A declarative segment (recorded without items) is dropped from
            // the start; a passive one stays until `elem.drop`.
            instance.dropped_elems[i] = segment.items.is_empty();
            continue;
        };
        // Active segments are dropped once applied.
        instance.dropped_elems[i] = true;
        let start = segment_start(offset, false, globals, instance)?;
        let words: Vec<usize> = segment
            .items
            .iter()
            .map(|&f| instance.funcref_word(f))
            .collect();
        let elements = instance.table(table.as_u32()).elements_mut();
        let end = start.checked_add(words.len() as u64);
        match end {
            Some(end) if end <= elements.len() as u64 => {
                elements[start as usize..end as usize].copy_from_slice(&words);
            }
            _ => return Err(Error::Trap(Trap::TableOutOfBounds)),
        }
    }
    for (i, segment) in module.info.data.iter().enumerate() {
        let Some((memory, offset)) = &segment.active else {
            continue;
        };
        instance.dropped_data[i] = true;
        let index64 = module.info.memories[memory.index()].memory64;
        let start = segment_start(offset, index64, globals, instance)?;
        let data = instance.memory(memory.as_u32()).data_mut();
        let end = start.checked_add(segment.bytes.len() as u64);
        match end {
            Some(end) if end <= data.len() as u64 => {
                data[start as usize..end as usize].copy_from_slice(&segment.bytes);
            }
            _ => return Err(Error::Trap(Trap::MemoryOutOfBounds)),
        }
    }
    if let Some(start) = module.info.start {
        let funcref = instance.funcrefs[start.index()];
        let func = store.push_func(funcref, module.func_type(start).clone());
        func.call(store, &[])?;
    }
    Ok(())
}
