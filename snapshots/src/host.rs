//! The test host: what an embedder gives a module, identical for the
//! unlinked and the linked run.
//!
//! The differential test is only as strong as the host is honest: anything a
//! module can observe or change outside itself must live here, and both runs
//! must see the same. So the host owns
//!
//! - a *host buffer* and a `#[repr(C)] StoreData { ptr, len }` describing it,
//!   the convention of `examples/host-buf/`: builtins find the buffer through
//!   the `store-data-address` intrinsic and walk it with native loads and
//!   stores;
//! - a *log* of host-visible effects: every `env` function call appends a
//!   line, so the order of side effects is compared, not just their sum;
//! - `env` items every case may import: `log_i32`, `log_i64`, `log_f32`,
//!   `log_f64` (`(param T)`), `tick` (no parameters, so it can even be a
//!   start function), `log_str` (`(param i32 i32)`, UTF-8 read from
//!   the caller's exported `memory`), `call_back` (`(param i32) (result
//!   i32)`, calls the caller's exported `callback`), the memory `memory` (1
//!   page, max 2), the table `table` (10 `funcref`s, no max), the global
//!   `counter` (`(mut i32)`, starts at 0) and the immutable global `seed`
//!   (`i32`, [`SEED`]) for constant expressions to read.
//!
//! ## Intrinsics without `unsafe`
//!
//! The intrinsics (namespace `unsafe-intrinsics` unless a case says
//! otherwise) are host functions here, which is exactly what the linker
//! promises any engine may do. They never dereference a raw pointer: an
//! address is translated into the store data or the host buffer, and
//! anything else is reported as "wild native access at 0x…" — a bug detector
//! for both builtins and linker, where a real embedder would corrupt memory.
//! Loads zero-extend, stores truncate, byte order is native and any
//! alignment is fine, as the table of the `intrinsics` crate specifies.
//! Intrinsic calls are not logged: after lowering they are plain machine
//! loads and stores, and their effects show in the host buffer anyway.
//!
//! ## What the host cannot hide
//!
//! `log_str` and `call_back` look at the *calling instance's* exports. After
//! linking, a builtin's caller instance is the merged module, whose exports
//! are the app's. That is inherent to host functions that introspect their
//! caller, so cases call those two from the app only.

use std::sync::OnceLock;
use wasm_prelink_intrinsics::{Intrinsic, Operation, ValType as IntrinsicType};
use wasmtime::{
    Caller, Collector, Config, Engine, Extern, FuncType, Global, GlobalType, Linker, Memory,
    MemoryType, Mutability, Ref, RefType, Store, Table, TableType, Val, ValType,
};

/// The store data builtins reach through `store-data-address`: where the
/// host buffer is and how long it is. The layout is part of the contract
/// with builtins (`ptr` at offset 0, `len` at offset 8).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreData {
    /// Address of the first byte of the host buffer.
    pub ptr: u64,
    /// Length of the host buffer in bytes.
    pub len: u64,
}

/// The value of `env.seed`: small, so it can serve as a segment offset.
pub const SEED: i32 = 48;

/// Size of [`StoreData`] as builtins see it.
const STORE_DATA_SIZE: u64 = std::mem::size_of::<StoreData>() as u64;

/// A host function failed on purpose, the way a host reports an error to
/// the caller of a Wasm function. Kept as its own type so a transcript can
/// tell it apart from a Wasm trap by downcasting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostError(pub String);

impl std::fmt::Display for HostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HostError {}

fn host_error(message: impl Into<String>) -> wasmtime::Error {
    wasmtime::Error::new(HostError(message.into()))
}

/// Everything the host keeps per store.
///
/// The store data and the buffer are boxed so their addresses, which Wasm
/// code holds as plain integers, stay put however the state moves.
#[derive(Debug)]
pub struct HostState {
    store_data: Box<StoreData>,
    buffer: Box<[u8]>,
    log: Vec<String>,
}

impl HostState {
    /// A host whose buffer holds `buffer` and whose log is empty.
    pub fn new(buffer: Vec<u8>) -> Self {
        let buffer = buffer.into_boxed_slice();
        let store_data = Box::new(StoreData {
            ptr: buffer.as_ptr() as u64,
            len: buffer.len() as u64,
        });
        HostState {
            store_data,
            buffer,
            log: Vec::new(),
        }
    }

    /// The host buffer as it is now.
    pub fn buffer(&self) -> &[u8] {
        &self.buffer
    }

    /// Every host-visible effect so far, oldest first.
    pub fn log(&self) -> &[String] {
        &self.log
    }

    /// The store data as it is now (builtins may have written to it).
    pub fn store_data(&self) -> StoreData {
        *self.store_data
    }

    /// The address `store-data-address` returns.
    pub fn store_data_address(&self) -> u64 {
        &*self.store_data as *const StoreData as u64
    }

    fn push_log(&mut self, entry: String) {
        self.log.push(entry);
    }

    /// Reads `size` bytes at native address `address`, zero-extended, in
    /// native byte order.
    pub fn native_load(&self, address: u64, size: u64) -> wasmtime::Result<u64> {
        let store_data = self.store_data_bytes();
        let bytes = match self.region(address, size)? {
            Region::StoreData(offset) => &store_data[offset..offset + size as usize],
            Region::Buffer(offset) => &self.buffer[offset..offset + size as usize],
        };
        let fold = |value: u64, byte: &u8| (value << 8) | u64::from(*byte);
        Ok(if cfg!(target_endian = "little") {
            bytes.iter().rev().fold(0, fold)
        } else {
            bytes.iter().fold(0, fold)
        })
    }

    /// Writes the low `size` bytes of `value` at native address `address`,
    /// in native byte order.
    pub fn native_store(&mut self, address: u64, size: u64, value: u64) -> wasmtime::Result<()> {
        let size = size as usize;
        let all = value.to_ne_bytes();
        let bytes = if cfg!(target_endian = "little") {
            &all[..size]
        } else {
            &all[8 - size..]
        };
        match self.region(address, size as u64)? {
            Region::StoreData(offset) => {
                let mut current = self.store_data_bytes();
                current[offset..offset + size].copy_from_slice(bytes);
                let (ptr, len) = current.split_at(8);
                *self.store_data = StoreData {
                    ptr: u64::from_ne_bytes(ptr.try_into().expect("8 bytes")),
                    len: u64::from_ne_bytes(len.try_into().expect("8 bytes")),
                };
            }
            Region::Buffer(offset) => {
                self.buffer[offset..offset + size].copy_from_slice(bytes);
            }
        }
        Ok(())
    }

    fn store_data_bytes(&self) -> [u8; STORE_DATA_SIZE as usize] {
        let mut bytes = [0u8; STORE_DATA_SIZE as usize];
        bytes[..8].copy_from_slice(&self.store_data.ptr.to_ne_bytes());
        bytes[8..].copy_from_slice(&self.store_data.len.to_ne_bytes());
        bytes
    }

    /// Where `size` bytes at `address` live, or the wild-access error.
    fn region(&self, address: u64, size: u64) -> wasmtime::Result<Region> {
        let within = |start: u64, len: u64| -> Option<usize> {
            let end = address.checked_add(size)?;
            (address >= start && end <= start.checked_add(len)?).then(|| (address - start) as usize)
        };
        if let Some(offset) = within(self.store_data_address(), STORE_DATA_SIZE) {
            return Ok(Region::StoreData(offset));
        }
        if let Some(offset) = within(self.buffer.as_ptr() as u64, self.buffer.len() as u64) {
            return Ok(Region::Buffer(offset));
        }
        Err(host_error(format!(
            "wild native access at {address:#x} ({size} bytes; store data at {:#x}, host buffer at {:#x} with {} bytes)",
            self.store_data_address(),
            self.buffer.as_ptr() as u64,
            self.buffer.len()
        )))
    }
}

/// Where a native address points.
enum Region {
    /// At this offset into [`StoreData`].
    StoreData(usize),
    /// At this offset into the host buffer.
    Buffer(usize),
}

/// The engine every run uses: all Wasm 3.0 features on, so that nothing a
/// case does is rejected in one run and accepted in the other. Shared
/// because creating an engine is the slowest part of a small case.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = Config::new();
        config
            .wasm_gc(true)
            .wasm_function_references(true)
            .wasm_exceptions(true)
            .wasm_tail_call(true)
            .wasm_multi_memory(true)
            .wasm_memory64(true)
            .wasm_simd(true)
            .wasm_relaxed_simd(true)
            .wasm_extended_const(true)
            .wasm_reference_types(true)
            .wasm_bulk_memory(true)
            .wasm_multi_value(true)
            // Relaxed SIMD may legally differ between engines; one
            // deterministic choice makes both runs agree by construction
            // rather than by luck.
            .relaxed_simd_deterministic(true)
            .collector(Collector::DeferredReferenceCounting);
        Engine::new(&config).expect("the test engine configuration is valid")
    })
}

/// A fresh store with `buffer` as its host buffer.
pub fn store(buffer: Vec<u8>) -> Store<HostState> {
    Store::new(engine(), HostState::new(buffer))
}

/// The items the host defines in a store, so a transcript can report their
/// final state.
#[derive(Debug, Clone, Copy)]
pub struct HostItems {
    /// `env.memory`.
    pub memory: Memory,
    /// `env.table`.
    pub table: Table,
    /// `env.counter`.
    pub counter: Global,
}

/// A wasmtime linker with every host item defined: the `env` items and the
/// intrinsics in `namespace`. Items that belong to a store (memory, table,
/// global) are created in `store`.
pub fn linker(
    store: &mut Store<HostState>,
    namespace: &str,
) -> wasmtime::Result<(Linker<HostState>, HostItems)> {
    let mut linker = Linker::new(engine());
    define_env(&mut linker)?;
    define_intrinsics(&mut linker, namespace)?;
    let memory = Memory::new(&mut *store, MemoryType::new(1, Some(2)))?;
    let table = Table::new(
        &mut *store,
        TableType::new(RefType::FUNCREF, 10, None),
        Ref::Func(None),
    )?;
    let counter = Global::new(
        &mut *store,
        GlobalType::new(ValType::I32, Mutability::Var),
        Val::I32(0),
    )?;
    linker.define(&mut *store, "env", "memory", memory)?;
    linker.define(&mut *store, "env", "table", table)?;
    linker.define(&mut *store, "env", "counter", counter)?;
    let seed = Global::new(
        &mut *store,
        GlobalType::new(ValType::I32, Mutability::Const),
        Val::I32(SEED),
    )?;
    linker.define(&mut *store, "env", "seed", seed)?;
    Ok((
        linker,
        HostItems {
            memory,
            table,
            counter,
        },
    ))
}

/// A float as the log shows it: every NaN is one NaN, since NaN payloads
/// are not deterministic across operations Wasm allows.
fn float_text(value: f64) -> String {
    if value.is_nan() {
        "nan".to_string()
    } else {
        format!("{value:?}")
    }
}

fn define_env(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        "env",
        "log_i32",
        |mut caller: Caller<'_, HostState>, v: i32| {
            caller.data_mut().push_log(format!("log_i32 {v}"));
        },
    )?;
    linker.func_wrap(
        "env",
        "log_i64",
        |mut caller: Caller<'_, HostState>, v: i64| {
            caller.data_mut().push_log(format!("log_i64 {v}"));
        },
    )?;
    linker.func_wrap(
        "env",
        "log_f32",
        |mut caller: Caller<'_, HostState>, v: f32| {
            caller
                .data_mut()
                .push_log(format!("log_f32 {}", float_text(v.into())));
        },
    )?;
    linker.func_wrap(
        "env",
        "log_f64",
        |mut caller: Caller<'_, HostState>, v: f64| {
            caller
                .data_mut()
                .push_log(format!("log_f64 {}", float_text(v)));
        },
    )?;
    linker.func_wrap("env", "tick", |mut caller: Caller<'_, HostState>| {
        caller.data_mut().push_log("tick".into());
    })?;
    linker.func_wrap(
        "env",
        "log_str",
        |mut caller: Caller<'_, HostState>, ptr: i32, len: i32| -> wasmtime::Result<()> {
            let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
                return Err(host_error("log_str: the caller exports no memory `memory`"));
            };
            let mut bytes = vec![0u8; len as u32 as usize];
            memory
                .read(&caller, ptr as u32 as usize, &mut bytes)
                .map_err(|_| host_error("log_str: string out of bounds"))?;
            let text = String::from_utf8_lossy(&bytes).into_owned();
            caller.data_mut().push_log(format!("log_str {text:?}"));
            Ok(())
        },
    )?;
    linker.func_wrap(
        "env",
        "call_back",
        |mut caller: Caller<'_, HostState>, v: i32| -> wasmtime::Result<i32> {
            caller.data_mut().push_log(format!("call_back {v}"));
            let Some(Extern::Func(callback)) = caller.get_export("callback") else {
                return Err(host_error(
                    "call_back: the caller exports no function `callback`",
                ));
            };
            let callback = callback.typed::<i32, i32>(&caller).map_err(|_| {
                host_error("call_back: `callback` is not (func (param i32) (result i32))")
            })?;
            let result = callback.call(&mut caller, v)?;
            caller
                .data_mut()
                .push_log(format!("call_back {v} returned {result}"));
            Ok(result)
        },
    )?;
    Ok(())
}

/// Checks the bounds rule of the checked intrinsics and returns the native
/// address to access: `offset + bytes <= length`, computed without overflow.
fn checked_address(base: i64, offset: i64, length: i64, bytes: u64) -> wasmtime::Result<u64> {
    let in_bounds = (offset as u64)
        .checked_add(bytes)
        .is_some_and(|end| end <= length as u64);
    if !in_bounds {
        return Err(host_error("checked native access out of bounds"));
    }
    Ok((base as u64).wrapping_add(offset as u64))
}

/// Defines every intrinsic of the shared table as a host function in `ns`.
fn define_intrinsics(linker: &mut Linker<HostState>, ns: &str) -> wasmtime::Result<()> {
    for &intrinsic in Intrinsic::ALL {
        let wasm = |types: &[IntrinsicType]| {
            types
                .iter()
                .map(|ty| match ty {
                    IntrinsicType::I32 => ValType::I32,
                    IntrinsicType::I64 => ValType::I64,
                })
                .collect::<Vec<_>>()
        };
        let ty = FuncType::new(
            linker.engine(),
            wasm(intrinsic.params()),
            wasm(intrinsic.results()),
        );
        linker.func_new(
            ns,
            intrinsic.name(),
            ty,
            move |mut caller, args, results| call_intrinsic(&mut caller, intrinsic, args, results),
        )?;
    }
    Ok(())
}

/// One call of an intrinsic. Core Wasm has no `i8` or `i16`, so the narrow
/// loads zero-extend into an `i32` and the narrow stores truncate one; the
/// access width comes from the table.
fn call_intrinsic(
    caller: &mut Caller<'_, HostState>,
    intrinsic: Intrinsic,
    args: &[Val],
    results: &mut [Val],
) -> wasmtime::Result<()> {
    let mut raw = [0u64; 4];
    for (slot, arg) in raw.iter_mut().zip(args) {
        *slot = match arg {
            Val::I32(value) => *value as u32 as u64,
            Val::I64(value) => *value as u64,
            other => return Err(host_error(format!("intrinsic `{intrinsic}` got {other:?}"))),
        };
    }
    let bytes = u64::from(intrinsic.access_bytes());
    let checked = || checked_address(raw[0] as i64, raw[1] as i64, raw[2] as i64, bytes);
    let loaded = match intrinsic.operation() {
        Operation::StoreDataAddress => caller.data().store_data_address(),
        Operation::Load => caller.data().native_load(raw[0], bytes)?,
        Operation::CheckedLoad => caller.data().native_load(checked()?, bytes)?,
        Operation::Store => return caller.data_mut().native_store(raw[0], bytes, raw[1]),
        Operation::CheckedStore => {
            let address = checked()?;
            return caller.data_mut().native_store(address, bytes, raw[3]);
        }
    };
    results[0] = match intrinsic.results() {
        [IntrinsicType::I32] => Val::I32(loaded as u32 as i32),
        _ => Val::I64(loaded as i64),
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_access_reaches_store_data_and_buffer_only() {
        let mut host = HostState::new(vec![1, 2, 3, 4]);
        let data = host.store_data_address();
        assert_eq!(host.native_load(data + 8, 8).unwrap(), 4);
        let buffer = host.native_load(data, 8).unwrap();
        assert_eq!(host.native_load(buffer + 1, 2).unwrap(), 0x0302);
        host.native_store(buffer + 3, 1, 0x1ff).unwrap();
        assert_eq!(host.buffer(), &[1, 2, 3, 0xff]);
        // One byte past the end is wild, and so is a range straddling it.
        assert!(host.native_load(buffer + 4, 1).is_err());
        assert!(host.native_load(buffer + 3, 2).is_err());
        let err = host.native_load(u64::MAX, 1).unwrap_err();
        assert!(err
            .to_string()
            .starts_with("wild native access at 0xffffffffffffffff"));
    }

    #[test]
    fn stores_into_store_data_update_it() {
        let mut host = HostState::new(vec![0; 8]);
        let data = host.store_data_address();
        host.native_store(data + 8, 4, 3).unwrap();
        assert_eq!(host.store_data().len, 3);
    }

    #[test]
    fn checked_bounds_reject_overflow_and_the_byte_past_the_end() {
        assert_eq!(checked_address(100, 3, 4, 1).unwrap(), 103);
        assert!(checked_address(100, 4, 4, 1).is_err());
        assert!(checked_address(100, 1, 4, 4).is_err());
        assert!(checked_address(100, -1, 4, 1).is_err());
        assert!(checked_address(100, i64::MAX, -1, 8).is_ok());
        assert!(checked_address(100, -8, -1, 8).is_err());
    }
}
