//! Linear memories: one fixed reservation per memory, guard pages included.
//!
//! A 32-bit memory can address at most 4 GiB plus a static offset. Reserving
//! the whole 4 GiB up front, plus a 2 GiB guard region, lets compiled code
//! skip bounds checks entirely: every address a 32-bit load can form lies in
//! the reservation, the bytes past the current length are `PROT_NONE`, and
//! touching them raises a signal the trap handler turns into an
//! out-of-bounds trap (the access carries Cranelift's heap trap code). Growing
//! only changes the protection of the next pages, so the base never moves,
//! which is what lets compiled code treat the base as a constant.
//!
//! 64-bit memories get the same kind of reservation, capped at
//! [`MEMORY64_RESERVATION`]; they are compiled with explicit bounds checks
//! against the current length (a 64-bit index can exceed any reservation),
//! and growing past the reservation fails as `memory.grow` may.
//!
//! Reservations are virtual address space only: untouched pages cost no
//! memory, and `munmap` on drop returns them.

use crate::error::Error;
use crate::vm::VMMemory;

/// Wasm page size.
pub(crate) const PAGE_SIZE: u64 = 0x1_0000;
/// The most bytes a 32-bit memory can hold.
pub(crate) const MEMORY32_MAX: u64 = 1 << 32;
/// The guard region after a 32-bit memory's 4 GiB: a static offset up to
/// this size needs no bounds check either.
pub(crate) const GUARD_SIZE: u64 = 2 << 30;
/// How far a 64-bit memory can grow in this runtime.
pub(crate) const MEMORY64_RESERVATION: u64 = 1 << 32;

/// The declared limits of a memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryType {
    /// Initial pages.
    pub minimum: u64,
    /// Maximum pages, if declared.
    pub maximum: Option<u64>,
    /// Whether addresses are 64-bit.
    pub memory64: bool,
}

/// A linear memory: its reservation and its current length.
#[derive(Debug)]
pub(crate) struct Memory {
    /// What compiled code reads; boxed so its address is stable.
    pub vm: Box<VMMemory>,
    reservation: usize,
    /// The declared type, with the current size as its minimum (the type
    /// an import of it is checked against).
    pub ty: MemoryType,
}

impl Memory {
    /// Reserves a memory of `ty.minimum` pages.
    pub fn new(ty: MemoryType) -> Result<Memory, Error> {
        let reservation = if ty.memory64 {
            MEMORY64_RESERVATION + GUARD_SIZE
        } else {
            MEMORY32_MAX + GUARD_SIZE
        } as usize;
        // SAFETY: a fresh anonymous private mapping, no address hint; the
        // result is checked before use.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                reservation,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(Error::Memory(std::io::Error::last_os_error().to_string()));
        }
        let mut memory = Memory {
            vm: Box::new(VMMemory {
                base: base.cast(),
                length: 0,
            }),
            reservation,
            ty,
        };
        if memory.grow(ty.minimum).is_none() {
            return Err(Error::Memory(format!(
                "a memory of {} pages does not fit the reservation",
                ty.minimum
            )));
        }
        Ok(memory)
    }

    /// Current size in pages.
    pub fn pages(&self) -> u64 {
        self.vm.length / PAGE_SIZE
    }

    /// The accessible bytes.
    pub fn data(&self) -> &[u8] {
        // SAFETY: `base..base+length` is mapped read-write for as long as
        // `self` lives, and only shrinks on drop.
        unsafe { std::slice::from_raw_parts(self.vm.base, self.vm.length as usize) }
    }

    /// The accessible bytes, mutably.
    pub fn data_mut(&mut self) -> &mut [u8] {
        // SAFETY: as for `data`, and `&mut self` makes the access exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.vm.base, self.vm.length as usize) }
    }

    /// Grows by `delta` pages; returns the previous size in pages, or `None`
    /// (leaving the memory unchanged) past the maximum or the reservation.
    pub fn grow(&mut self, delta: u64) -> Option<u64> {
        let old = self.pages();
        let new = old.checked_add(delta)?;
        let limit = if self.ty.memory64 {
            MEMORY64_RESERVATION / PAGE_SIZE
        } else {
            MEMORY32_MAX / PAGE_SIZE
        };
        if new > self.ty.maximum.unwrap_or(limit).min(limit) {
            return None;
        }
        let new_bytes = new * PAGE_SIZE;
        if new_bytes > self.vm.length {
            // SAFETY: the range lies within the reservation made in `new`
            // (checked against `limit` above); it only gains access.
            let rc = unsafe {
                libc::mprotect(
                    self.vm.base.add(self.vm.length as usize).cast(),
                    (new_bytes - self.vm.length) as usize,
                    libc::PROT_READ | libc::PROT_WRITE,
                )
            };
            if rc != 0 {
                return None;
            }
        }
        self.vm.length = new_bytes;
        self.ty.minimum = new;
        Some(old)
    }
}

impl Drop for Memory {
    fn drop(&mut self) {
        // SAFETY: the reservation was mapped in `new` with this size, and no
        // compiled code runs once the store owning this memory is dropped.
        unsafe {
            libc::munmap(self.vm.base.cast(), self.reservation);
        }
    }
}
