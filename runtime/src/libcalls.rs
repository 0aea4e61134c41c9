//! Runtime functions compiled code calls for the operations too large to
//! inline: memory and table growth, bulk memory and table operations, and
//! segment drops.
//!
//! Compiled code calls them by absolute address, in the host's C calling
//! convention, with the caller's vmctx first (from which they find the
//! instance). They never unwind: a failing bounds check returns a nonzero
//! status, and the compiled caller executes the trap (see
//! `FuncEnv::call_checked`), so every trap is raised in compiled code where
//! the trap handler expects it. Wasm semantics of the bulk operations: the
//! whole range is checked before anything is written, so an out-of-bounds
//! operation has no effect.

use cranelift_codegen::ir::{types, AbiParam, Signature};
use cranelift_codegen::isa::CallConv;
use cranelift_wasm::FuncIndex;

use crate::instance::InstanceData;
use crate::vm::VMCTX_INSTANCE;

/// The runtime functions compiled code may call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Libcall {
    MemoryGrow,
    MemoryCopy,
    MemoryFill,
    MemoryInit,
    DataDrop,
    TableGrow,
    TableCopy,
    TableFill,
    TableInit,
    ElemDrop,
}

impl Libcall {
    /// The CLIF signature matching the Rust function.
    pub fn signature(self) -> Signature {
        use types::{I32, I64};
        let (params, results): (&[_], &[_]) = match self {
            Libcall::MemoryGrow => (&[I64, I32, I64], &[I64]),
            Libcall::MemoryCopy => (&[I64, I32, I64, I32, I64, I64], &[I32]),
            Libcall::MemoryFill => (&[I64, I32, I64, I32, I64], &[I32]),
            Libcall::MemoryInit => (&[I64, I32, I32, I64, I64, I64], &[I32]),
            Libcall::DataDrop | Libcall::ElemDrop => (&[I64, I32], &[]),
            Libcall::TableGrow => (&[I64, I32, I64, I64], &[I64]),
            Libcall::TableCopy => (&[I64, I32, I64, I32, I64, I64], &[I32]),
            Libcall::TableFill => (&[I64, I32, I64, I64, I64], &[I32]),
            Libcall::TableInit => (&[I64, I32, I32, I64, I64, I64], &[I32]),
        };
        let mut sig = Signature::new(CallConv::SystemV);
        sig.params.extend(params.iter().map(|&t| AbiParam::new(t)));
        sig.returns
            .extend(results.iter().map(|&t| AbiParam::new(t)));
        sig
    }

    /// The address compiled code calls.
    pub fn address(self) -> usize {
        match self {
            Libcall::MemoryGrow => memory_grow as *const () as usize,
            Libcall::MemoryCopy => memory_copy as *const () as usize,
            Libcall::MemoryFill => memory_fill as *const () as usize,
            Libcall::MemoryInit => memory_init as *const () as usize,
            Libcall::DataDrop => data_drop as *const () as usize,
            Libcall::TableGrow => table_grow as *const () as usize,
            Libcall::TableCopy => table_copy as *const () as usize,
            Libcall::TableFill => table_fill as *const () as usize,
            Libcall::TableInit => table_init as *const () as usize,
            Libcall::ElemDrop => elem_drop as *const () as usize,
        }
    }
}

/// The instance owning `vmctx`.
///
/// # Safety
/// `vmctx` must be the vmctx of a live instance, passed by compiled code,
/// and no other reference to that instance may be in use (compiled code
/// holds none; the host is blocked in the call that entered Wasm).
unsafe fn instance<'a>(vmctx: *mut u8) -> &'a mut InstanceData {
    // SAFETY: per the contract, the header word holds the instance pointer.
    unsafe { &mut *(*(vmctx.add(VMCTX_INSTANCE as usize) as *mut *mut InstanceData)) }
}

/// `start..start+len` if it lies within `size`.
fn range(start: u64, len: u64, size: usize) -> Option<std::ops::Range<usize>> {
    let end = start.checked_add(len)?;
    (end <= size as u64).then_some(start as usize..end as usize)
}

const OK: u32 = 0;
const OUT_OF_BOUNDS: u32 = 1;

extern "C" fn memory_grow(vmctx: *mut u8, memory: u32, delta: u64) -> u64 {
    // SAFETY: called by compiled code with its vmctx (see `instance`).
    let instance = unsafe { instance(vmctx) };
    instance.memory(memory).grow(delta).unwrap_or(u64::MAX)
}

extern "C" fn memory_copy(
    vmctx: *mut u8,
    dst_memory: u32,
    dst: u64,
    src_memory: u32,
    src: u64,
    len: u64,
) -> u32 {
    // SAFETY: called by compiled code with its vmctx (see `instance`).
    let instance = unsafe { instance(vmctx) };
    let src_len = instance.memory(src_memory).data().len();
    let dst_len = instance.memory(dst_memory).data().len();
    let (Some(from), Some(to)) = (range(src, len, src_len), range(dst, len, dst_len)) else {
        return OUT_OF_BOUNDS;
    };
    if src_memory == dst_memory {
        instance
            .memory(dst_memory)
            .data_mut()
            .copy_within(from, to.start);
    } else {
        let bytes = instance.memory(src_memory).data()[from].to_vec();
        instance.memory(dst_memory).data_mut()[to].copy_from_slice(&bytes);
    }
    OK
}

extern "C" fn memory_fill(vmctx: *mut u8, memory: u32, dst: u64, value: u32, len: u64) -> u32 {
    // SAFETY: called by compiled code with its vmctx (see `instance`).
    let instance = unsafe { instance(vmctx) };
    let data = instance.memory(memory).data_mut();
    match range(dst, len, data.len()) {
        Some(to) => {
            data[to].fill(value as u8);
            OK
        }
        None => OUT_OF_BOUNDS,
    }
}

extern "C" fn memory_init(
    vmctx: *mut u8,
    memory: u32,
    segment: u32,
    dst: u64,
    src: u64,
    len: u64,
) -> u32 {
    // SAFETY: called by compiled code with its vmctx (see `instance`).
    let instance = unsafe { instance(vmctx) };
    let module = instance.module.clone();
    let bytes: &[u8] = if instance.dropped_data[segment as usize] {
        &[]
    } else {
        &module.info.data[segment as usize].bytes
    };
    let data = instance.memory(memory).data_mut();
    match (range(src, len, bytes.len()), range(dst, len, data.len())) {
        (Some(from), Some(to)) => {
            data[to].copy_from_slice(&bytes[from]);
            OK
        }
        _ => OUT_OF_BOUNDS,
    }
}

extern "C" fn data_drop(vmctx: *mut u8, segment: u32) {
    // SAFETY: called by compiled code with its vmctx (see `instance`).
    let instance = unsafe { instance(vmctx) };
    instance.dropped_data[segment as usize] = true;
}

extern "C" fn table_grow(vmctx: *mut u8, table: u32, delta: u64, init: u64) -> u64 {
    // SAFETY: called by compiled code with its vmctx (see `instance`).
    let instance = unsafe { instance(vmctx) };
    instance
        .table(table)
        .grow(delta, init as usize)
        .map_or(u64::from(u32::MAX), u64::from)
}

extern "C" fn table_copy(
    vmctx: *mut u8,
    dst_table: u32,
    dst: u64,
    src_table: u32,
    src: u64,
    len: u64,
) -> u32 {
    // SAFETY: called by compiled code with its vmctx (see `instance`).
    let instance = unsafe { instance(vmctx) };
    let src_len = instance.table(src_table).elements().len();
    let dst_len = instance.table(dst_table).elements().len();
    let (Some(from), Some(to)) = (range(src, len, src_len), range(dst, len, dst_len)) else {
        return OUT_OF_BOUNDS;
    };
    if src_table == dst_table {
        instance
            .table(dst_table)
            .elements_mut()
            .copy_within(from, to.start);
    } else {
        let items = instance.table(src_table).elements()[from].to_vec();
        instance.table(dst_table).elements_mut()[to].copy_from_slice(&items);
    }
    OK
}

extern "C" fn table_fill(vmctx: *mut u8, table: u32, dst: u64, value: u64, len: u64) -> u32 {
    // SAFETY: called by compiled code with its vmctx (see `instance`).
    let instance = unsafe { instance(vmctx) };
    let elements = instance.table(table).elements_mut();
    match range(dst, len, elements.len()) {
        Some(to) => {
            elements[to].fill(value as usize);
            OK
        }
        None => OUT_OF_BOUNDS,
    }
}

extern "C" fn table_init(
    vmctx: *mut u8,
    table: u32,
    segment: u32,
    dst: u64,
    src: u64,
    len: u64,
) -> u32 {
    // SAFETY: called by compiled code with its vmctx (see `instance`).
    let instance = unsafe { instance(vmctx) };
    let module = instance.module.clone();
    let items: &[FuncIndex] = if instance.dropped_elems[segment as usize] {
        &[]
    } else {
        &module.info.elems[segment as usize].items
    };
    let Some(from) = range(src, len, items.len()) else {
        return OUT_OF_BOUNDS;
    };
    let values: Vec<usize> = items[from]
        .iter()
        .map(|&f| instance.funcref_word(f))
        .collect();
    let elements = instance.table(table).elements_mut();
    match range(dst, len, elements.len()) {
        Some(to) => {
            elements[to].copy_from_slice(&values);
            OK
        }
        None => OUT_OF_BOUNDS,
    }
}

extern "C" fn elem_drop(vmctx: *mut u8, segment: u32) {
    // SAFETY: called by compiled code with its vmctx (see `instance`).
    let instance = unsafe { instance(vmctx) };
    instance.dropped_elems[segment as usize] = true;
}
