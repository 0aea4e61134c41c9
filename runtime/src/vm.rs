//! The data compiled code reads: the vmctx layout and the structures it
//! points to.
//!
//! Every instance has a vmctx, a flat array of machine words whose address
//! compiled functions receive as their first (hidden) parameter. The layout
//! is a fixed header followed by one region per index space, each entry a
//! pointer (or, for memories, the base address itself). Everything an
//! instance can import — functions, memories, tables, globals — is reached
//! through such a pointer, so an imported item and a defined one compile to
//! the same code.
//!
//! Which entries may be marked `readonly` for Cranelift (letting the
//! optimizer share and hoist their loads) is decided here, once:
//! everything in the vmctx itself is written before the first call and
//! never again, because memories never move (see [`crate::memory`]) and
//! tables, globals and functions are reached through stable boxes. The
//! length of a memory, the elements and length of a table and global values
//! change while Wasm runs, so the loads of those are never `readonly`.

use cranelift_wasm::FuncIndex;

/// A function reference as compiled code sees it: code to call with which
/// vmctx, and the engine-wide signature id `call_indirect` compares.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct VMFuncRef {
    /// Entry of the function, in the Wasm (tail) calling convention.
    pub code: *const u8,
    /// The vmctx the function expects (a host function's context for host
    /// functions).
    pub vmctx: *mut u8,
    /// Engine-wide id of the function's signature.
    pub type_id: u64,
}

/// Byte offsets within [`VMFuncRef`].
pub(crate) mod funcref {
    /// `code`.
    pub const CODE: i32 = 0;
    /// `vmctx`.
    pub const VMCTX: i32 = 8;
    /// `type_id`.
    pub const TYPE_ID: i32 = 16;
}

/// The part of a linear memory compiled code reads: its base (which never
/// changes) and its current length in bytes.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct VMMemory {
    /// Start of the memory's reservation.
    pub base: *mut u8,
    /// Accessible bytes.
    pub length: u64,
}

/// Byte offset of `length` in [`VMMemory`].
pub(crate) const MEMORY_LENGTH: i32 = 8;

/// The part of a table compiled code reads: its elements (one machine word
/// each: a `*const VMFuncRef` or an encoded externref, 0 for null) and
/// length. Both change when the table grows.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct VMTable {
    /// First element.
    pub base: *mut usize,
    /// Number of elements.
    pub length: u64,
}

/// Byte offsets within [`VMTable`].
pub(crate) mod table {
    /// `base`.
    pub const BASE: i32 = 0;
    /// `length`.
    pub const LENGTH: i32 = 8;
}

/// Per-store state compiled code reads, shared by all the store's instances.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct VMStoreContext {
    /// The lowest stack address Wasm frames may use; function prologues
    /// compare the stack pointer against it (`stack_limit` in Cranelift).
    pub stack_limit: usize,
    /// The engine's epoch counter (see [`crate::interrupt::epoch`]); it lives as
    /// long as the engine, which the store keeps.
    pub epoch: *const std::sync::atomic::AtomicU64,
    /// The epoch at which running Wasm traps with `Interrupt`.
    pub epoch_deadline: u64,
    /// Written by the slow path of an epoch check, read by nothing; see
    /// [`crate::interrupt::epoch`] for why the store is there.
    pub epoch_seen: u64,
}

/// Byte offsets within [`VMStoreContext`].
pub(crate) mod store_ctx {
    /// `epoch`.
    pub const EPOCH: i32 = 8;
    /// `epoch_deadline`.
    pub const EPOCH_DEADLINE: i32 = 16;
    /// `epoch_seen`.
    pub const EPOCH_SEEN: i32 = 24;
}

/// The store data `store-data-address` yields: the host buffer the bundled
/// `host-buf` builtin reads and writes.
#[repr(C)]
#[derive(Debug)]
pub struct StoreData {
    /// Address of the first byte.
    pub ptr: u64,
    /// Length in bytes.
    pub len: u64,
}

/// vmctx header: pointer to the store's [`VMStoreContext`].
pub(crate) const VMCTX_STORE: i32 = 0;
/// vmctx header: pointer to the store's [`StoreData`]; the lowering plugin's
/// `store-data-address` hook loads it.
pub(crate) const VMCTX_STORE_DATA: i32 = 8;
/// vmctx header: pointer to the owning instance, for libcalls.
pub(crate) const VMCTX_INSTANCE: i32 = 16;
/// Number of header words.
const HEADER_WORDS: u32 = 3;

/// Where each region of a module's vmctx starts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct VMOffsets {
    funcs: u32,
    memories: u32,
    tables: u32,
    globals: u32,
    total: u32,
}

impl VMOffsets {
    /// The layout for a module with these counts (imports included).
    pub fn new(funcs: u32, memories: u32, tables: u32, globals: u32) -> VMOffsets {
        let word = 8;
        let funcs_at = HEADER_WORDS * word;
        // Each memory has two words: the base, and the `VMMemory` pointer.
        let memories_at = funcs_at + funcs * word;
        let tables_at = memories_at + memories * 2 * word;
        let globals_at = tables_at + tables * word;
        let total = globals_at + globals * word;
        VMOffsets {
            funcs: funcs_at,
            memories: memories_at,
            tables: tables_at,
            globals: globals_at,
            total,
        }
    }

    /// Size of the vmctx in words.
    pub fn words(&self) -> usize {
        self.total as usize / 8
    }

    /// The `*const VMFuncRef` of function `index` (null for none).
    pub fn func(&self, index: FuncIndex) -> i32 {
        (self.funcs + index.as_u32() * 8) as i32
    }

    /// The base address of memory `index`.
    pub fn memory_base(&self, index: u32) -> i32 {
        (self.memories + index * 16) as i32
    }

    /// The `*const VMMemory` of memory `index`.
    pub fn memory_def(&self, index: u32) -> i32 {
        (self.memories + index * 16 + 8) as i32
    }

    /// The `*const VMTable` of table `index`.
    pub fn table(&self, index: u32) -> i32 {
        (self.tables + index * 8) as i32
    }

    /// The pointer to the 16-byte cell of global `index`.
    pub fn global(&self, index: u32) -> i32 {
        (self.globals + index * 8) as i32
    }
}
