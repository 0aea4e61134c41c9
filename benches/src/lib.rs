//! Benchmarks of wasm-prelink side by side with wasmtime and Binaryen, and
//! the report users read.
//!
//! The project claims that binding trusted builtins at build time and
//! lowering their intrinsics to native loads and stores makes host-data
//! access as cheap as a native loop. A claim like that is only as good as
//! the comparison behind it, so this crate measures it against the
//! strongest alternative there is — wasmtime 48's own compile-time builtins
//! with inlining — and against the slow paths users have today, on the very
//! workload wasmtime uses to motivate that feature.
//!
//! - [`workload`]: the two access patterns, the bytes each must leave in the
//!   buffer (every benchmark run is checked against them), and the native
//!   floor.
//! - [`variants`]: the seven ways of binding the `host-buf` API, each a
//!   [`variants::Variant`] that runs a workload and exposes its buffer.
//! - [`c_program`]: the C application of `examples/c-host-buf/` over a
//!   multi-megabyte buffer — native, linked on our runtime, and on
//!   wasmtime with host functions — for `benches/c_program.rs`.
//! - [`report`]: turns criterion's estimates and the throughput
//!   measurements of `scripts/benchmarks.sh` into `BENCHMARKS.md` and the
//!   SVG chart it shows.
//!
//! The criterion benchmark `benches/host_buffer.rs` times the variants; the
//! linker-throughput side (our CLI vs `wasm-merge` and `wasm-opt
//! --inlining` on large real modules) is measured by the script around
//! separate processes, because peak memory and start-up are part of what a
//! build pipeline pays.

pub mod c_program;
pub mod report;
pub mod variants;
pub mod workload;
