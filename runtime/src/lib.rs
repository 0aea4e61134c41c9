//! The reference runtime of wasm-prelink: a small Cranelift JIT embedder of
//! core Wasm modules that plugs the intrinsic-lowering plugin into its
//! translation.
//!
//! # Why it exists
//!
//! Stage 2 of wasm-prelink (`wasm_prelink_lowering`) is a plugin for
//! cranelift-wasm's translation; it is only proven when a runtime uses it.
//! This crate is that runtime, and the example a runtime author reads: it
//! owns every decision the plugin leaves open (vmctx layout, heaps, tables,
//! traps) and shows the two places the plugin touches —
//! [`module`](crate::Module::new) wraps the function environment in
//! `LoweringEnv` with a `VmctxField` store-data hook, and [`Linker`] serves
//! intrinsic imports that are not called directly with the plugin's host
//! implementations.
//!
//! It is also meant to be fast on the workload the project exists for:
//! builtins accessing host data. Linear memories are guard-page reservations
//! (no bounds checks for 32-bit memories), the store-data address is a
//! hoistable `readonly` load, and Cranelift's optimizer runs at `speed`.
//!
//! # Shape
//!
//! The usual embedder split: an [`Engine`] compiles [`Module`]s; a
//! [`Store`] owns instances, their memories, tables and globals, and the
//! host buffer that `store-data-address` describes ([`StoreData`]); a
//! [`Linker`] resolves imports by name; [`Instance::call`] calls an export
//! with typed [`Val`]s, and a trap comes back as [`Error::Trap`], never as a
//! crash.
//!
//! ```
//! use wasm_prelink_runtime::{Config, Engine, Linker, Module, Store, Val};
//!
//! let engine = Engine::new(Config::new())?;
//! let wasm = wat::parse_str(r#"(module
//!     (func (export "div") (param i32 i32) (result i32)
//!       (i32.div_u (local.get 0) (local.get 1))))"#)?;
//! let module = Module::new(&engine, &wasm)?;
//! let mut store = Store::new(&engine);
//! let instance = Linker::new().instantiate(&mut store, &module)?;
//! assert_eq!(instance.call(&mut store, "div", &[Val::I32(7), Val::I32(2)])?, [Val::I32(3)]);
//! let trap = instance.call(&mut store, "div", &[Val::I32(7), Val::I32(0)]).unwrap_err();
//! assert_eq!(trap.trap(), Some(&wasm_prelink_runtime::Trap::IntegerDivisionByZero));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Running away, and faults
//!
//! With [`Config::epoch_interruption`], compiled code checks the store's
//! deadline ([`Store::set_epoch_deadline`]) at every function entry and
//! loop header, and another thread stops a call that does not return with
//! [`Engine::increment_epoch`] — Wasmtime's scheme and API, so one
//! embedding drives both. A load or store of a lowered native intrinsic
//! that faults (a buggy trusted builtin passing a wild address) is
//! reported as [`Trap::NativeAccessFault`] rather than killing the
//! process. A function body larger or nested deeper than the runtime
//! compiles within bounded memory is refused with an error naming it.
//!
//! # Limits
//!
//! Core Wasm 2.0 (SIMD included) plus memory64, multi-memory and tail
//! calls; no threads, exceptions, GC or typed function references. Element
//! segment items are `ref.func` or `ref.null` (cranelift-wasm 0.112 reads no
//! other item expression). Function bodies of at most 7,654,321 bytes
//! nesting at most 10,000 blocks. One thread per store. x86-64 and AArch64
//! Linux.

#![deny(missing_docs)]

mod engine;
mod error;
mod func;
mod func_env;
mod info;
mod instance;
mod interrupt;
mod libcalls;
mod limits;
mod linker;
mod memory;
mod module;
mod placement;
mod store;
mod table;
mod trampoline;
mod trap;
mod values;
mod vm;

pub use engine::{Config, Engine};
pub use error::{Error, Trap};
pub use func::{Func, HostFn, HostFnWithStore};
pub use instance::Instance;
pub use interrupt::handle::InterruptHandle;
pub use linker::Linker;
pub use memory::MemoryType;
pub use module::Module;
pub use store::{Extern, Global, GlobalType, Memory, Store, Table};
pub use table::TableType;
pub use values::{FuncAddr, FuncType, Val, ValType};
pub use vm::StoreData;
