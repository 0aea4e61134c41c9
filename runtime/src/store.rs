//! The store: everything instances own at run time, and the host data.
//!
//! Memories, tables, globals, functions and instances live in the store's
//! arenas, each boxed so compiled code can hold its address; the public
//! handles ([`Memory`], [`Table`], [`Global`], [`Func`], [`Instance`]) are
//! indices into them, valid for the store's lifetime. Nothing is freed
//! before the store, which is what makes the raw pointers in vmctxs and
//! function references sound.
//!
//! The store also owns the *store data* the lowering plugin's
//! `store-data-address` returns: a `#[repr(C)] { ptr: u64, len: u64 }`
//! pair ([`StoreData`]) describing a host buffer the store owns. Builtins
//! like the bundled `host-buf` read and write that buffer natively.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;

use crate::engine::Engine;
use crate::error::{Error, Trap};
use crate::func::{Func, FuncData, HostFuncCtx, HostImpl};
use crate::instance::{Instance, InstanceData};
use crate::interrupt::{self, handle::InterruptHandle};
use crate::memory::{self, MemoryType};
use crate::module::ModuleInner;
use crate::table::{self, TableType};
use crate::trampoline::{self, Trampolines};
use crate::trap::{self, TrapLookup};
use crate::values::{FuncAddr, FuncType, Val, ValRaw, ValType};
use crate::vm::{StoreData, VMFuncRef, VMStoreContext};

/// The type of a global.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GlobalType {
    /// Value type.
    pub content: ValType,
    /// Whether `global.set` may change it.
    pub mutable: bool,
}

/// A global's storage; compiled code reads and writes `value`.
#[repr(C)]
pub(crate) struct GlobalCell {
    pub value: ValRaw,
    pub ty: GlobalType,
}

/// A linear memory in a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Memory(pub(crate) usize);
/// A table in a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Table(pub(crate) usize);
/// A global in a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Global(pub(crate) usize);

/// Anything an instance can import or export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extern {
    /// A function.
    Func(Func),
    /// A memory.
    Memory(Memory),
    /// A table.
    Table(Table),
    /// A global.
    Global(Global),
}

/// Compiled code a call may run, for the trap handler.
#[derive(Default)]
struct CodeRegistry {
    modules: Vec<Rc<ModuleInner>>,
    trampolines: HashMap<u64, Trampolines>,
}

impl TrapLookup for CodeRegistry {
    fn lookup(&self, pc: usize) -> Option<cranelift_codegen::ir::TrapCode> {
        self.modules.iter().find_map(|m| m.lookup(pc)).or_else(|| {
            self.trampolines.values().find_map(|t| {
                let (start, end) = t.adapter_range;
                if pc < start || pc >= end {
                    return None;
                }
                let offset = (pc - start) as u32;
                t.adapter_traps
                    .iter()
                    .find(|(o, _)| *o == offset)
                    .map(|(_, c)| *c)
            })
        })
    }

    fn is_wasm_code(&self, pc: usize) -> bool {
        self.modules.iter().any(|m| m.is_wasm_code(pc))
    }
}

/// The code registry as the trap handler sees it while a call runs: by raw
/// pointer, because a host function may use the store (and register more
/// code) during the call, which a borrow held across it would forbid.
struct ActiveCode(*const CodeRegistry);

impl TrapLookup for ActiveCode {
    fn lookup(&self, pc: usize) -> Option<cranelift_codegen::ir::TrapCode> {
        // SAFETY: the registry belongs to the store whose `call_func` frame
        // is on the stack for as long as this value exists.
        unsafe { (*self.0).lookup(pc) }
    }

    fn is_wasm_code(&self, pc: usize) -> bool {
        // SAFETY: as for `lookup`.
        unsafe { (*self.0).is_wasm_code(pc) }
    }
}

thread_local! {
    /// The store whose call is running on this thread, innermost first:
    /// what a [`HostImpl::WithStore`] function is handed. A stack through
    /// `call_func`'s frames, like the trap state, so host functions may call
    /// back into Wasm.
    static ACTIVE_STORE: Cell<*mut Store> = const { Cell::new(std::ptr::null_mut()) };
}

/// Runs `f` with the store whose call is running on this thread.
pub(crate) fn with_active_store<R>(
    f: impl FnOnce(&mut Store) -> Result<R, Trap>,
) -> Result<R, Trap> {
    let store = ACTIVE_STORE.with(Cell::get);
    // SAFETY: a non-null pointer was published by `call_func`, whose frame
    // (holding the store's exclusive borrow, unused until the call returns)
    // is below us on this thread's stack.
    match unsafe { store.as_mut() } {
        Some(store) => f(store),
        None => Err(Trap::Host(
            "a host function that uses the store ran outside a call".to_owned(),
        )),
    }
}

/// The arenas hold boxes on purpose: compiled code and vmctxs keep the
/// address of each item, which must not move when the vector grows.
#[expect(
    clippy::vec_box,
    reason = "each item's address is held by compiled code and must stay put"
)]
pub(crate) struct StoreInner {
    pub ctx: Box<VMStoreContext>,
    pub data: Box<StoreData>,
    buffer: Box<[u8]>,
    code: CodeRegistry,
    pub instances: Vec<Box<InstanceData>>,
    pub memories: Vec<Box<memory::Memory>>,
    pub tables: Vec<Box<table::Table>>,
    pub globals: Vec<Box<GlobalCell>>,
    pub funcs: Vec<FuncData>,
    host_funcs: Vec<Box<HostFuncCtx>>,
    host_funcrefs: Vec<Box<VMFuncRef>>,
    /// Every function-reference address handed out, so references coming
    /// back from the host can be checked.
    pub funcref_addrs: HashSet<usize>,
    /// What the store's interrupt handles share, once one was asked for.
    interrupt: Option<Arc<interrupt::handle::Shared>>,
}

/// Owns instances and their state, and the host buffer.
pub struct Store {
    pub(crate) engine: Engine,
    pub(crate) inner: StoreInner,
}

impl Store {
    /// Sets the deadline of epoch interruption: Wasm running in this store
    /// traps with [`Trap::Interrupt`] once the engine's epoch has been
    /// [incremented](Engine::increment_epoch) `ticks` more times. Only
    /// code compiled with
    /// [`Config::epoch_interruption`](crate::Config::epoch_interruption)
    /// checks it. A new store has no deadline.
    ///
    /// Compiled code reads the deadline once per call into a function, so a
    /// host function that changes it while Wasm runs affects the functions
    /// entered afterwards, not the frames already running.
    pub fn set_epoch_deadline(&mut self, ticks: u64) {
        self.inner.ctx.epoch_deadline = self.engine.current_epoch().saturating_add(ticks);
    }

    /// A handle that stops this store's running call from any thread, with
    /// [`Trap::Interrupt`]. Unlike epoch interruption it needs no support
    /// in compiled code, so it costs running Wasm nothing; see
    /// [`InterruptHandle::interrupt`] for when the call stops.
    ///
    /// Interrupts arrive as a real-time signal (the first the C library
    /// leaves to applications); the runtime installs its handler for it
    /// here, passing on to an earlier handler the signals that are not
    /// its own.
    pub fn interrupt_handle(&mut self) -> InterruptHandle {
        self.inner
            .interrupt
            .get_or_insert_with(Default::default)
            .handle()
    }

    /// An empty store with an empty host buffer.
    pub fn new(engine: &Engine) -> Store {
        let mut store = Store {
            engine: engine.clone(),
            inner: StoreInner {
                ctx: Box::new(VMStoreContext {
                    stack_limit: 0,
                    epoch: engine.epoch_counter(),
                    epoch_deadline: u64::MAX,
                    epoch_seen: 0,
                }),
                data: Box::new(StoreData { ptr: 0, len: 0 }),
                buffer: Box::new([]),
                code: CodeRegistry::default(),
                instances: Vec::new(),
                memories: Vec::new(),
                tables: Vec::new(),
                globals: Vec::new(),
                funcs: Vec::new(),
                host_funcs: Vec::new(),
                host_funcrefs: Vec::new(),
                funcref_addrs: HashSet::new(),
                interrupt: None,
            },
        };
        store.set_host_buffer(Vec::new());
        store
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Replaces the host buffer the store data describes.
    pub fn set_host_buffer(&mut self, bytes: Vec<u8>) {
        self.inner.buffer = bytes.into_boxed_slice();
        self.inner.data.ptr = self.inner.buffer.as_mut_ptr() as u64;
        self.inner.data.len = self.inner.buffer.len() as u64;
    }

    /// The host buffer.
    pub fn host_buffer(&self) -> &[u8] {
        &self.inner.buffer
    }

    /// The host buffer, mutably.
    pub fn host_buffer_mut(&mut self) -> &mut [u8] {
        &mut self.inner.buffer
    }

    /// The address `store-data-address` returns.
    pub fn store_data_address(&self) -> u64 {
        &*self.inner.data as *const StoreData as u64
    }

    /// The store data as it is now: builtins may write to it natively.
    pub fn store_data(&self) -> &StoreData {
        &self.inner.data
    }

    /// Every instance of the store, oldest first. An instance is listed as
    /// soon as its start function may run, so a host function called from
    /// a start function finds its caller here.
    pub fn instances(&self) -> impl Iterator<Item = Instance> + '_ {
        (0..self.inner.instances.len()).map(Instance)
    }

    /// The function a non-null function reference (from a table, a global
    /// or a result) stands for, if it belongs to this store.
    pub fn func_from_ref(&mut self, addr: FuncAddr) -> Option<Func> {
        let funcref = addr.0 as *const VMFuncRef;
        if let Some(index) = self.inner.funcs.iter().position(|f| f.funcref == funcref) {
            return Some(Func(index));
        }
        let ty = self
            .inner
            .instances
            .iter()
            .find_map(|instance| instance.func_type_of(funcref))?;
        Some(self.push_func(funcref, ty))
    }

    pub(crate) fn register_module(&mut self, module: &Rc<ModuleInner>) {
        if !self
            .inner
            .code
            .modules
            .iter()
            .any(|m| Rc::ptr_eq(m, module))
        {
            self.inner.code.modules.push(module.clone());
        }
    }

    /// The trampolines of `ty`, compiled on first use.
    fn trampolines(&mut self, ty: &FuncType) -> Result<&Trampolines, Error> {
        let id = self.engine.signature_id(ty);
        if !self.inner.code.trampolines.contains_key(&id) {
            let compiled = trampoline::compile(self.engine.isa(), ty)?;
            self.inner.code.trampolines.insert(id, compiled);
        }
        self.inner
            .code
            .trampolines
            .get(&id)
            .ok_or_else(|| Error::Compile("trampoline cache".to_owned()))
    }

    pub(crate) fn push_func(&mut self, funcref: *const VMFuncRef, ty: FuncType) -> Func {
        self.inner.funcref_addrs.insert(funcref as usize);
        self.inner.funcs.push(FuncData { funcref, ty });
        Func(self.inner.funcs.len() - 1)
    }

    pub(crate) fn new_host_func(&mut self, ty: FuncType, func: HostImpl) -> Result<Func, Error> {
        let adapter = self.trampolines(&ty)?.host_adapter;
        let type_id = self.engine.signature_id(&ty);
        let mut ctx = Box::new(HostFuncCtx {
            ty: ty.clone(),
            func,
        });
        let funcref = Box::new(VMFuncRef {
            code: adapter,
            vmctx: (&mut *ctx as *mut HostFuncCtx).cast(),
            type_id,
        });
        let addr: *const VMFuncRef = &*funcref;
        self.inner.host_funcs.push(ctx);
        self.inner.host_funcrefs.push(funcref);
        Ok(self.push_func(addr, ty))
    }

    /// Checks `args` against `func`'s type and calls it.
    pub(crate) fn call_func(&mut self, func: Func, args: &[Val]) -> Result<Vec<Val>, Error> {
        let data = self
            .inner
            .funcs
            .get(func.0)
            .ok_or(Error::ForeignItem("function"))?;
        let ty = data.ty.clone();
        let funcref = data.funcref;
        if args.len() != ty.params.len() || args.iter().zip(&ty.params).any(|(a, t)| a.ty() != *t) {
            let found: Vec<String> = args.iter().map(|a| a.ty().to_string()).collect();
            return Err(Error::ArgumentMismatch {
                name: "function".to_owned(),
                ty,
                found: format!("({})", found.join(" ")),
            });
        }
        for arg in args {
            if let Val::FuncRef(Some(addr)) = arg {
                if !self.inner.funcref_addrs.contains(&addr.0) {
                    return Err(Error::ForeignItem("function reference"));
                }
            }
        }
        let entry = self.trampolines(&ty)?.entry;
        let mut values = vec![ValRaw::default(); ty.params.len().max(ty.results.len())];
        for (slot, arg) in values.iter_mut().zip(args) {
            *slot = arg.to_raw();
        }
        self.inner.ctx.stack_limit = trap::stack_limit();
        let values_ptr: *mut u8 = values.as_mut_ptr().cast();
        let this: *mut Store = self;
        let code = ActiveCode(std::ptr::addr_of!(self.inner.code));
        let interrupt = self.inner.interrupt.clone();
        // Registered before the request is looked at, so that a request
        // made after the look is signalled to this thread.
        let _running = interrupt.as_deref().map(interrupt::handle::Shared::enter);
        if interrupt.as_ref().is_some_and(|i| i.take_request()) {
            return Err(Error::Trap(Trap::Interrupt));
        }
        let previous = ACTIVE_STORE.with(|active| active.replace(this));
        // SAFETY: `funcref` was created by this store and stays valid while
        // it lives; the trampoline matches `ty`, the value array has room
        // for every argument and result.
        let result = trap::catch(
            &code,
            interrupt.as_deref().map(interrupt::handle::Shared::flag),
            || unsafe { entry((*funcref).vmctx, (*funcref).code, values_ptr) },
        );
        ACTIVE_STORE.with(|active| active.set(previous));
        result.map_err(Error::Trap)?;
        let results: Vec<Val> = values
            .iter()
            .zip(&ty.results)
            .map(|(&raw, &t)| Val::from_raw(raw, t))
            .collect();
        for r in &results {
            if let Val::FuncRef(Some(addr)) = r {
                self.inner.funcref_addrs.insert(addr.0);
            }
        }
        Ok(results)
    }

    pub(crate) fn instance(&self, instance: Instance) -> &InstanceData {
        &self.inner.instances[instance.0]
    }
}

impl Memory {
    /// A new memory.
    pub fn new(store: &mut Store, ty: MemoryType) -> Result<Memory, Error> {
        store
            .inner
            .memories
            .push(Box::new(memory::Memory::new(ty)?));
        Ok(Memory(store.inner.memories.len() - 1))
    }

    /// The memory's bytes.
    pub fn data<'s>(&self, store: &'s Store) -> &'s [u8] {
        store.inner.memories[self.0].data()
    }

    /// The memory's bytes, mutably.
    pub fn data_mut<'s>(&self, store: &'s mut Store) -> &'s mut [u8] {
        store.inner.memories[self.0].data_mut()
    }

    /// Current size in pages.
    pub fn size(&self, store: &Store) -> u64 {
        store.inner.memories[self.0].pages()
    }

    /// The memory's type, with its current size as the minimum.
    pub fn ty(&self, store: &Store) -> MemoryType {
        store.inner.memories[self.0].ty
    }
}

impl Table {
    /// A new table filled with `init`.
    pub fn new(store: &mut Store, ty: TableType, init: Val) -> Result<Table, Error> {
        if init.ty() != ty.element {
            return Err(Error::ValueType {
                expected: ty.element,
                found: init.ty(),
            });
        }
        let word = init.to_raw().0 as usize;
        store
            .inner
            .tables
            .push(Box::new(table::Table::new(ty, word)));
        Ok(Table(store.inner.tables.len() - 1))
    }

    /// Current size.
    pub fn size(&self, store: &Store) -> u32 {
        store.inner.tables[self.0].elements().len() as u32
    }

    /// The table's type, with its current size as the minimum.
    pub fn ty(&self, store: &Store) -> TableType {
        store.inner.tables[self.0].ty
    }

    /// Element `index`, or `None` past the end. A non-null function
    /// reference can be called through [`Store::func_from_ref`].
    pub fn get(&self, store: &Store, index: u64) -> Option<Val> {
        let table = &store.inner.tables[self.0];
        let word = *table.elements().get(usize::try_from(index).ok()?)?;
        Some(Val::from_raw(ValRaw(word as u128), table.ty.element))
    }
}

impl Global {
    /// A new global holding `value`.
    pub fn new(store: &mut Store, ty: GlobalType, value: Val) -> Result<Global, Error> {
        if value.ty() != ty.content {
            return Err(Error::ValueType {
                expected: ty.content,
                found: value.ty(),
            });
        }
        store.inner.globals.push(Box::new(GlobalCell {
            value: value.to_raw(),
            ty,
        }));
        Ok(Global(store.inner.globals.len() - 1))
    }

    /// The current value.
    pub fn get(&self, store: &Store) -> Val {
        let cell = &store.inner.globals[self.0];
        Val::from_raw(cell.value, cell.ty.content)
    }

    /// The global's type.
    pub fn ty(&self, store: &Store) -> GlobalType {
        store.inner.globals[self.0].ty
    }
}
