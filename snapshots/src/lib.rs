//! Differential and snapshot testing of the linker.
//!
//! The linker's one promise is that linking never changes semantics: an app
//! whose imports were satisfied by builtins at build time must behave
//! exactly as if the builtins had been instantiated separately and bound at
//! instantiation. The strongest evidence for that is to *do both* and
//! compare. For every case this crate
//!
//! 1. runs the inputs **unlinked** in wasmtime: each builtin instantiated on
//!    its own (dependencies first) and registered under its name, then the
//!    app — the reference semantics;
//! 2. runs the **linked** module with the same host;
//! 3. compares the two [`transcript::Transcript`]s: every result, trap kind,
//!    host error, uncaught exception, host-visible effect (in order) and
//!    host-memory byte;
//! 4. runs the linked module once more on the project's own engine, the
//!    reference runtime with intrinsics lowered to native loads and stores
//!    ([`runtime`]), and requires that transcript to equal the reference
//!    too — the same script drives both engines through
//!    [`transcript::Executor`];
//! 5. wraps the linked module as a component and runs it on Wasmtime with
//!    its native intrinsics (`expose_unsafe_intrinsics`, [`component`]),
//!    against the same reference.
//!
//! The parts are reusable by other test crates:
//!
//! - [`host`] — the shared engine (all Wasm 3.0 features), the store data
//!   and host buffer, the `env` host items and the intrinsics as host
//!   functions with bounds checks that catch wild accesses;
//! - [`script`] — the step-per-line script format of a case;
//! - [`transcript`] — running a script and recording what a host can see;
//! - [`case`] — case directories (inputs, builtin order, script) and the
//!   unlinked and linked runs;
//! - [`runtime`] — the same host and recorder on `wasm_prelink_runtime`;
//! - [`component`] — the linked module wrapped as a component
//!   (`--emit component`) on Wasmtime with its native intrinsics;
//! - [`separate`] — separate instantiation of builtins, virtualizers laid
//!   over host modules, and the app: the reference run.
//!
//! The tests themselves live in `tests/cases.rs` (differential cases under
//! `tests/cases/`, snapshotting the merged WAT and the transcript),
//! `tests/runtime.rs` (the same cases on the reference runtime; a case that
//! needs what the runtime lacks says so in a `runtime-unsupported.txt`,
//! which fails the test once the case passes), `tests/component.rs` (the
//! same cases wrapped as components, with `component-unsupported.txt`
//! markers held to the same rule) and `tests/errors.rs` (inputs
//! that must not link, snapshotting the message).
//! Snapshots are blessed with `cargo insta review` or `INSTA_UPDATE=always`,
//! never edited by hand.

#![deny(missing_docs)]

pub mod case;
pub mod component;
pub mod host;
pub mod marker;
pub mod runtime;
pub mod script;
pub mod separate;
pub mod transcript;
