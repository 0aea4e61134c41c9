//! Stage 2 of wasm-prelink: a `cranelift-wasm` translation plugin that turns
//! calls to unsafe native-memory intrinsics into native loads and stores.
//!
//! # Why
//!
//! A host that wants Wasm to read and write its own data usually exposes
//! getter and setter imports, and every access pays for an opaque call. With
//! compile-time builtins, the host instead writes those accessors in Wasm, as
//! a trusted *builtin* module that imports a handful of *intrinsics* from the
//! `unsafe-intrinsics` namespace (`u32-native-load`, `u8-checked-native-store`,
//! `store-data-address`, …). Stage 1 (the linker) merges and inlines the
//! builtin into the application; this crate, stage 2, makes each intrinsic
//! call a single machine load or store while the runtime translates the
//! merged module to Cranelift IR. Without this crate the module still runs:
//! the intrinsics are then ordinary imports, served by [`host`].
//!
//! The crate knows nothing about the runtime's vmctx, heaps or tables. It
//! touches exactly two things: direct calls to intrinsic imports, and — for
//! `store-data-address` only — code the runtime emits through the
//! [`StoreDataAddress`] hook.
//!
//! # Plugging it into a runtime
//!
//! 1. Per module, build a [`Lowering`] from the module bytes. This reads the
//!    import section and rejects a bad intrinsic import with an error naming
//!    it ([`Error`]); [`Intrinsics::indirect_uses`] lists intrinsics that
//!    escape as function references, which keep their import:
//!
//!    ```
//!    use wasm_prelink_lowering::{Config, Lowering};
//!
//!    let wasm = wat::parse_str(r#"(module
//!        (import "unsafe-intrinsics" "u8-native-load" (func (param i64) (result i32))))"#)?;
//!    let lowering = Lowering::new(&wasm, &Config::new())?;
//!    assert_eq!(lowering.intrinsics().iter().count(), 1);
//!    assert!(lowering.intrinsics().indirect_uses().is_empty());
//!    # Ok::<(), Box<dyn std::error::Error>>(())
//!    ```
//!
//! 2. Implement [`StoreDataAddress`] to say where the store data is — or use
//!    [`VmctxField`] if it is a pointer at a fixed vmctx offset, or
//!    [`NoStoreData`] if there is none.
//!
//! 3. Per function, either
//!    * wrap the runtime's `FuncEnvironment` in a [`LoweringEnv`] and
//!      translate with that (it forwards every other method), as in
//!      `examples/wrapper.rs` (`cargo run -p lowering --example wrapper`); or
//!    * keep a [`FunctionLowering`] (from [`Lowering::function`]) in the
//!      runtime's environment, call its
//!      [`lower_call`](FunctionLowering::lower_call) at the top of the
//!      runtime's own `translate_call` (and
//!      [`lower_return_call`](FunctionLowering::lower_return_call) in
//!      `translate_return_call`), falling back to an ordinary call when it
//!      returns `None`, and call [`FunctionLowering::finish`] from
//!      `after_translate_function`, as in `examples/entry_point.rs`
//!      (`cargo run -p lowering --example entry_point`).
//!
//!    `finish` removes the native loads and bounds checks that repeat an
//!    earlier one (see [`redundant`]); a runtime may skip it, or use the
//!    stateless [`Lowering::lower_call`], and get the same results more
//!    slowly. A runtime whose store data begins with a descriptor it keeps
//!    still while Wasm runs (the host buffer's pointer and length, say)
//!    declares its size with [`Config::store_data_descriptor`], and `finish`
//!    then also shares the descriptor's loads across loops that store and
//!    drops the bounds checks a loop's own exit test already made (see
//!    [`descriptor`]).
//!
//! 4. Register the [`host`] functions for the intrinsic imports, so that the
//!    uses that stay imports behave exactly like the lowered calls.
//!
//! # What the lowered code does
//!
//! See [`lower`] for each shape and for the memory flags (no alias region,
//! `notrap`, unaligned, native endianness) and why, and [`redundant`] for
//! what [`FunctionLowering::finish`] removes once a function is translated. Checked variants trap
//! with [`TrapCode::HeapOutOfBounds`](cranelift_codegen::ir::TrapCode) unless
//! `offset + N/8 <= length` without overflow; [`Config::spectre_mitigation`]
//! additionally guards the address with `select_spectre_guard`. On 32-bit
//! targets addresses are reduced to the pointer width.

#![deny(missing_docs)]

pub mod descriptor;
pub mod env;
pub mod error;
mod facts;
pub mod function;
pub mod hook;
pub mod host;
pub mod intrinsics;
pub mod lower;
pub mod module;
pub mod redundant;

pub use env::LoweringEnv;
pub use error::{Error, ImportError, IndirectUse, UseSite};
pub use function::FunctionLowering;
pub use hook::{NoStoreData, StoreDataAddress, VmctxField};
pub use intrinsics::{clif_type, Intrinsic, Shape, UnknownIntrinsic, ValType};
pub use lower::{Config, Lowering};
pub use module::{Intrinsics, DEFAULT_NAMESPACE};
