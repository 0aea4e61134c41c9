//! The two workloads, what they must leave in the buffer, and the native
//! floor.
//!
//! Every variant runs the same two workloads over the same host buffer, and
//! a benchmark number is only worth printing if the variant did the work:
//! after each run the buffer must hold exactly the bytes computed here. The
//! in-order workload adds one to every byte per call; the random workload
//! adds one to the bytes a 64-bit linear congruential generator picks (the
//! generator of `data/app.wat`, recomputed here), so after `calls` calls a
//! byte has grown by `calls` times the number of times the generator hits
//! it in one call.
//!
//! The native variant is the floor: Rust code with the same API shape and
//! the same bounds checks as the builtin — it reads the buffer's pointer and
//! length from a `#[repr(C)] { ptr, len }` record on every access, as the
//! builtin does through `store-data-address`, and fails on an out-of-range
//! index instead of touching memory.

use std::fmt;

/// Multiplier of the generator (Knuth's MMIX constants, as in `app.wat`).
const LCG_MULTIPLIER: u64 = 6364136223846793005;
/// Increment of the generator.
const LCG_INCREMENT: u64 = 1442695040888963407;
/// The generator's low bits are weak; `app.wat` keeps the top 31.
const LCG_SHIFT: u32 = 33;
/// The seed every random-workload call starts from, so every call touches
/// the same bytes and the expected buffer stays cheap to compute.
pub const RANDOM_SEED: u64 = 0x5eed;

/// One of the two access patterns of the benchmark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// `increment-all`: every byte once, in order.
    InOrder,
    /// `increment-random`: as many generator-chosen bytes as the buffer
    /// holds.
    Random,
}

impl Workload {
    /// Both workloads, in report order.
    pub const ALL: [Workload; 2] = [Workload::InOrder, Workload::Random];

    /// The name used for criterion groups and in the report.
    pub fn name(self) -> &'static str {
        match self {
            Workload::InOrder => "in-order",
            Workload::Random => "random",
        }
    }

    /// Parses [`Workload::name`] back.
    pub fn from_name(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == name)
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One step of the generator; returns the new state and the index it picks
/// in a buffer of `len` bytes (`len` must not be zero, as `i64.rem_u` traps).
pub fn lcg_step(seed: u64, len: u64) -> (u64, u64) {
    let seed = seed
        .wrapping_mul(LCG_MULTIPLIER)
        .wrapping_add(LCG_INCREMENT);
    (seed, (seed >> LCG_SHIFT) % len)
}

/// The buffer every variant starts from: not all zeros, so a variant that
/// wrote the wrong byte cannot pass by accident.
pub fn initial_buffer(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i.wrapping_mul(31) % 251) as u8).collect()
}

/// What the buffer must hold after `calls` calls of `workload` on
/// [`initial_buffer`] of `len` bytes.
pub fn expected_buffer(workload: Workload, len: usize, calls: u64) -> Vec<u8> {
    let mut hits = vec![0u64; len];
    match workload {
        Workload::InOrder => hits.iter_mut().for_each(|h| *h = 1),
        Workload::Random if len > 0 => {
            let mut seed = RANDOM_SEED;
            for _ in 0..len {
                let (next, at) = lcg_step(seed, len as u64);
                seed = next;
                hits[at as usize] += 1;
            }
        }
        Workload::Random => {}
    }
    initial_buffer(len)
        .into_iter()
        .zip(hits)
        .map(|(byte, hits)| byte.wrapping_add((hits.wrapping_mul(calls) % 256) as u8))
        .collect()
}

/// Compares a buffer with [`expected_buffer`], naming the first wrong byte.
pub fn check_buffer(
    variant: &str,
    workload: Workload,
    calls: u64,
    actual: &[u8],
) -> anyhow::Result<()> {
    let expected = expected_buffer(workload, actual.len(), calls);
    match actual.iter().zip(&expected).position(|(a, e)| a != e) {
        None => Ok(()),
        Some(at) => anyhow::bail!(
            "`{variant}` after {calls} `{workload}` calls: byte {at} is {}, expected {}",
            actual[at],
            expected[at]
        ),
    }
}

/// A bounds check failed: the native variant's trap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfRange {
    /// The index asked for.
    pub index: u64,
    /// The buffer's length.
    pub len: u64,
}

impl fmt::Display for OutOfRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "index {} out of range of {} bytes", self.index, self.len)
    }
}

impl std::error::Error for OutOfRange {}

/// The record the builtin reads through `store-data-address`: the host
/// buffer's address and length. `#[repr(C)]` because Wasm code reads its
/// fields at offsets 0 and 8; the owning `Box` comes after them.
#[repr(C)]
pub struct HostBuffer {
    ptr: u64,
    len: u64,
    bytes: Box<[u8]>,
}

// The builtin's field offsets (examples/host-buf/builtin.wat).
/// The store-data descriptor a [`HostBuffer`] keeps the promise of
/// (`wasm_prelink::Linker::store_data_descriptor`): `ptr` and `len`, which
/// no host function changes while Wasm runs and which point outside the
/// record.
pub const DESCRIPTOR_BYTES: u32 = 16;

const _: () = {
    assert!(std::mem::offset_of!(HostBuffer, ptr) == 0);
    assert!(std::mem::offset_of!(HostBuffer, len) == 8);
    assert!(std::mem::offset_of!(HostBuffer, len) + 8 == DESCRIPTOR_BYTES as usize);
};

impl HostBuffer {
    /// Takes ownership of `bytes`.
    pub fn new(bytes: Vec<u8>) -> HostBuffer {
        let mut bytes = bytes.into_boxed_slice();
        HostBuffer {
            ptr: bytes.as_mut_ptr() as u64,
            len: bytes.len() as u64,
            bytes,
        }
    }

    /// The buffer's contents.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The address `store-data-address` must return for this record.
    pub fn address(&self) -> u64 {
        self as *const HostBuffer as u64
    }

    /// `get`, with the API's bounds check, for host-function variants.
    pub fn get(&self, index: u64) -> Result<u8, OutOfRange> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.bytes.get(i).copied())
            .ok_or(OutOfRange {
                index,
                len: self.len,
            })
    }

    /// `set`, with the API's bounds check, for host-function variants.
    pub fn set(&mut self, index: u64, value: u8) -> Result<(), OutOfRange> {
        let len = self.len;
        let slot = usize::try_from(index)
            .ok()
            .and_then(|i| self.bytes.get_mut(i))
            .ok_or(OutOfRange { index, len })?;
        *slot = value;
        Ok(())
    }

    /// `len`.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The native floor: the workloads in Rust over a [`HostBuffer`], through
/// accessors shaped like the builtin's.
pub mod native {
    use super::{lcg_step, HostBuffer, OutOfRange, RANDOM_SEED};

    /// `get` as the builtin computes it: pointer and length read from the
    /// record at each call, then the check, then the load.
    #[inline]
    fn get(record: *const HostBuffer, index: u64) -> Result<u8, OutOfRange> {
        // SAFETY: `record` points to a live `HostBuffer` whose `ptr`/`len`
        // describe its own allocation; the access is checked against `len`.
        unsafe {
            let (ptr, len) = ((*record).ptr, (*record).len);
            if index >= len {
                return Err(OutOfRange { index, len });
            }
            Ok(*(ptr as *const u8).add(index as usize))
        }
    }

    /// `set`, the same way.
    #[inline]
    fn set(record: *mut HostBuffer, index: u64, value: u8) -> Result<(), OutOfRange> {
        // SAFETY: as in `get`; the caller holds the record mutably.
        unsafe {
            let (ptr, len) = ((*record).ptr, (*record).len);
            if index >= len {
                return Err(OutOfRange { index, len });
            }
            *(ptr as *mut u8).add(index as usize) = value;
            Ok(())
        }
    }

    /// `increment-all`.
    pub fn increment_all(buffer: &mut HostBuffer) -> Result<(), OutOfRange> {
        let record: *mut HostBuffer = buffer;
        // SAFETY: `record` comes from a live exclusive reference.
        let len = unsafe { (*record).len };
        for i in 0..len {
            set(record, i, get(record, i)?.wrapping_add(1))?;
        }
        Ok(())
    }

    /// `increment-random` with `count` steps from [`RANDOM_SEED`].
    pub fn increment_random(buffer: &mut HostBuffer, count: u64) -> Result<(), OutOfRange> {
        let record: *mut HostBuffer = buffer;
        // SAFETY: `record` comes from a live exclusive reference.
        let len = unsafe { (*record).len };
        if len == 0 && count > 0 {
            // Where the app's `i64.rem_u` traps on a zero divisor.
            return Err(OutOfRange { index: 0, len });
        }
        let mut seed = RANDOM_SEED;
        for _ in 0..count {
            let (next, at) = lcg_step(seed, len);
            seed = next;
            set(record, at, get(record, at)?.wrapping_add(1))?;
        }
        Ok(())
    }

    /// `peek`.
    pub fn peek(buffer: &HostBuffer, index: u64) -> Result<u8, OutOfRange> {
        get(buffer, index)
    }
}
