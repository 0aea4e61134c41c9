//! Linker throughput and peak memory on large real-world modules.
//!
//! Run `scripts/fetch-bench-modules.sh` first (it downloads modules produced
//! by Go, Rust, C and C++ toolchains from the npm registry into
//! `target/bench-modules/`), then `cargo bench -p linker --bench throughput`.
//!
//! For every module the same run measures:
//! - `validate`: a plain single-threaded `wasmparser` validation, the floor
//!   any tool that reads a module safely pays;
//! - `identity`: linking the module alone (`--inline none`): input and
//!   output validation, planning, emission;
//! - `forwarded`: linking it with a synthetic builtin that implements every
//!   import of its most-imported module by forwarding to a `host` import —
//!   every function index of the app moves, so every `call` is rewritten;
//!   this is the realistic cost of a link;
//! - `forwarded+auto`: the same with `--inline auto`.
//!
//! For a module with DWARF, a second table compares the realistic link
//! (`forwarded+auto`) with the debug information rewritten (the default)
//! against the same link with `strip_debug`, the two taken in turns, and
//! gives the median of the pairs' ratios.
//! `scripts/build-dwarf-bench-module.sh` builds such a module into the same
//! directory (the npm modules carry no DWARF).
//!
//! Times are medians of several runs; throughput is input megabytes (10^6
//! bytes) per second. Peak memory is the largest number of heap bytes live
//! at once during one link, counted by a wrapping allocator, as a multiple of
//! the input size.
//!
//! Environment: `BENCH_MODULES_DIR` overrides the module directory,
//! `BENCH_RUNS` the number of runs (default 5), `BENCH_FILTER` keeps only
//! modules whose file name contains it, `BENCH_DUMP_DIR` writes each
//! synthetic builtin there as `<module>.<builtin name>.wasm` so the same link
//! can be reproduced with the command line, `BENCH_PHASES` prints each
//! phase's median time over the runs of the rewritten and the stripped
//! link of a module with DWARF, taken in turns, to stderr.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use wasm_encoder::{CodeSection, EntityType, ExportKind, ExportSection, Function, FunctionSection};
use wasm_encoder::{ImportSection, Instruction, Module, TypeSection};
use wasm_prelink::{InlineMode, Linker};
use wasmparser::{Parser, Payload, TypeRef};

/// Counts live heap bytes and remembers the high-water mark.
struct PeakAlloc;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// `ptr`, counting `size` more bytes live if the allocation succeeded.
fn counted(ptr: *mut u8, size: usize) -> *mut u8 {
    if !ptr.is_null() {
        let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
        PEAK.fetch_max(live, Ordering::Relaxed);
    }
    ptr
}

// SAFETY: every call is forwarded to the system allocator with the same
// arguments; the counters are only bookkeeping.
unsafe impl GlobalAlloc for PeakAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        counted(unsafe { System.alloc(layout) }, layout.size())
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout. Forwarded rather than
        // left to the default (alloc, then write zeros), which would touch
        // every page of memory the system hands out zeroed already.
        counted(unsafe { System.alloc_zeroed(layout) }, layout.size())
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` with `layout`, forwarded.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's pointer, layout and size.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            if new_size >= layout.size() {
                let live = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size
                    - layout.size();
                PEAK.fetch_max(live, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        new
    }
}

#[global_allocator]
static GLOBAL: PeakAlloc = PeakAlloc;

/// Builds a builtin named after the module the app imports most from, which
/// implements each of those imports by forwarding to the same import of a
/// `host` module (`host-forwarded` when the app's module is itself named
/// `host`, which would otherwise resolve to the builtin and make a cycle):
/// functions through a wrapper that passes its arguments on,
/// other items by re-export. Returns `None` when the app imports nothing or
/// an import's type cannot be written without the app's type section.
fn forwarding_builtin(app: &[u8]) -> Option<(String, Vec<u8>)> {
    let mut func_types = Vec::new();
    let mut imports = Vec::new();
    for payload in Parser::new(0).parse_all(app) {
        match payload.ok()? {
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    func_types.push(ty.ok()?);
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    imports.push(import.ok()?);
                }
            }
            _ => {}
        }
    }
    let mut per_module: BTreeMap<&str, usize> = BTreeMap::new();
    for import in &imports {
        *per_module.entry(import.module).or_default() += 1;
    }
    let (&target, _) = per_module
        .iter()
        .max_by_key(|(name, count)| (**count, std::cmp::Reverse(**name)))?;

    let forward_to = if target == "host" {
        "host-forwarded"
    } else {
        "host"
    };
    let mut reencoder = wasm_encoder::reencode::RoundtripReencoder;
    use wasm_encoder::reencode::Reencode;
    let mut types = TypeSection::new();
    let mut import_section = ImportSection::new();
    let mut functions = FunctionSection::new();
    let mut exports = ExportSection::new();
    let mut code = CodeSection::new();
    let mut counts = [0u32; 5];
    let mut wrappers = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    // A module may import one name twice; the builtin exports it once and
    // both imports resolve to that export.
    for import in imports
        .iter()
        .filter(|i| i.module == target && seen.insert(i.name))
    {
        let (kind, entity) = match import.ty {
            TypeRef::Func(ty) => {
                let func_type: &wasmparser::FuncType = func_types.get(ty as usize)?;
                let index = types.len();
                let params: Vec<_> = func_type
                    .params()
                    .iter()
                    .map(|p| reencoder.val_type(*p).ok())
                    .collect::<Option<_>>()?;
                let results: Vec<_> = func_type
                    .results()
                    .iter()
                    .map(|r| reencoder.val_type(*r).ok())
                    .collect::<Option<_>>()?;
                types.ty().function(params.clone(), results);
                wrappers.push((import.name, index, params.len() as u32));
                (0, EntityType::Function(index))
            }
            TypeRef::Table(t) => (1, EntityType::Table(reencoder.table_type(t).ok()?)),
            TypeRef::Memory(m) => (2, EntityType::Memory(reencoder.memory_type(m).ok()?)),
            TypeRef::Global(g) => (3, EntityType::Global(reencoder.global_type(g).ok()?)),
            TypeRef::Tag(_) | TypeRef::FuncExact(_) => return None,
        };
        import_section.import(forward_to, import.name, entity);
        let index = counts[kind];
        counts[kind] += 1;
        if kind != 0 {
            let export_kind = [
                ExportKind::Func,
                ExportKind::Table,
                ExportKind::Memory,
                ExportKind::Global,
            ][kind];
            exports.export(import.name, export_kind, index);
        }
    }
    let imported_funcs = counts[0];
    for (position, (name, ty, params)) in wrappers.iter().enumerate() {
        functions.function(*ty);
        let mut body = Function::new([]);
        for param in 0..*params {
            body.instruction(&Instruction::LocalGet(param));
        }
        body.instruction(&Instruction::Call(position as u32));
        body.instruction(&Instruction::End);
        code.function(&body);
        exports.export(name, ExportKind::Func, imported_funcs + position as u32);
    }
    let mut module = Module::new();
    module
        .section(&types)
        .section(&import_section)
        .section(&functions)
        .section(&exports)
        .section(&code);
    Some((target.to_string(), module.finish()))
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn measure(runs: usize, mut f: impl FnMut()) -> (Duration, usize) {
    let mut times = Vec::with_capacity(runs);
    let mut peak = 0;
    for _ in 0..runs {
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let start = Instant::now();
        f();
        times.push(start.elapsed());
        peak = peak.max(PEAK.load(Ordering::Relaxed) - before);
    }
    (median(times), peak)
}

/// Runs `a` and `b` alternately `runs` times each, so that whatever else
/// the machine does falls on both alike; the median time of each and the
/// median of the pairs' ratios `a / b`.
fn measure_pair(
    runs: usize,
    mut a: impl FnMut(),
    mut b: impl FnMut(),
) -> (Duration, Duration, f64) {
    let (mut a_times, mut b_times, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let start = Instant::now();
        a();
        let a_time = start.elapsed();
        let start = Instant::now();
        b();
        let b_time = start.elapsed();
        a_times.push(a_time);
        b_times.push(b_time);
        ratios.push(a_time.as_secs_f64() / b_time.as_secs_f64());
    }
    ratios.sort_by(f64::total_cmp);
    (median(a_times), median(b_times), ratios[ratios.len() / 2])
}

fn main() {
    let dir = std::env::var_os("BENCH_MODULES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-modules")
        });
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let filter = std::env::var("BENCH_FILTER").unwrap_or_default();
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
            .collect(),
        Err(_) => Vec::new(),
    };
    paths.retain(|p| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy().contains(&filter))
    });
    paths.sort();
    if paths.is_empty() {
        eprintln!(
            "no modules in {}: run scripts/fetch-bench-modules.sh first",
            dir.display()
        );
        std::process::exit(1);
    }
    println!(
        "| module | size (MB) | validate MB/s | identity MB/s | forwarded MB/s | forwarded+auto MB/s | peak memory incl. input (× input) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut debug_rows = Vec::new();
    for path in paths {
        let bytes = std::fs::read(&path).expect("readable module");
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mb = bytes.len() as f64 / 1e6;
        let (validate, _) = measure(runs, || {
            wasmparser::Validator::new_with_features(wasm_prelink::validate::features())
                .validate_all(&bytes)
                .expect("valid module");
        });
        let (identity, identity_peak) = measure(runs, || {
            Linker::new()
                .inline(InlineMode::None)
                .link(&bytes)
                .expect("links");
        });
        let builtin = forwarding_builtin(&bytes);
        if let (Some(dump), Some((module, builtin))) =
            (std::env::var_os("BENCH_DUMP_DIR"), &builtin)
        {
            let path = PathBuf::from(dump).join(format!("{name}.{module}.wasm"));
            std::fs::write(&path, builtin).expect("writable dump directory");
        }
        let (forwarded, forwarded_peak, forwarded_auto) = match &builtin {
            Some((module, builtin)) => {
                let linker = Linker::new()
                    .builtin(module, builtin)
                    .expect("valid builtin");
                let none = linker.clone().inline(InlineMode::None);
                let auto = linker.inline(InlineMode::Auto);
                let (time, peak) = measure(runs, || {
                    none.link(&bytes).expect("links");
                });
                let (auto_time, _) = measure(runs, || {
                    auto.link(&bytes).expect("links");
                });
                if has_dwarf(&bytes) {
                    let stripped = auto.clone().strip_debug(true);
                    if std::env::var_os("BENCH_PHASES").is_some() {
                        // Medians over the runs, since one link's phases
                        // swing with page faults and scheduling. Taken in
                        // turns, as the ratio below is: run back to back,
                        // each rewritten link slowed the next one's reading
                        // and emission, the same work in both links, by
                        // about a third.
                        let linkers = [("rewritten", &auto), ("stripped", &stripped)];
                        let mut phases: [Vec<(&str, Vec<Duration>)>; 2] = Default::default();
                        for _ in 0..runs {
                            for ((_, linker), phases) in linkers.iter().zip(&mut phases) {
                                let report = linker.link(&bytes).expect("links").report;
                                for (i, (phase, time)) in report.phases.iter().enumerate() {
                                    if phases.len() <= i {
                                        phases.push((phase, Vec::new()));
                                    }
                                    phases[i].1.push(*time);
                                }
                            }
                        }
                        for ((how, _), phases) in linkers.iter().zip(phases) {
                            for (phase, times) in phases {
                                let ms = median(times).as_secs_f64() * 1e3;
                                eprintln!("{name}, debug {how}: {phase}: {ms:.1} ms (median)");
                            }
                        }
                    }
                    // Taken in turns: the ratio is the target, and runs
                    // apart would let the machine's drift into it.
                    let (rewritten_time, stripped_time, ratio) = measure_pair(
                        runs,
                        || {
                            auto.link(&bytes).expect("links");
                        },
                        || {
                            stripped.link(&bytes).expect("links");
                        },
                    );
                    debug_rows.push(format!(
                        "| {name} | {mb:.1} | {:.0} | {:.0} | {:.2} |",
                        stripped_time.as_secs_f64() * 1e3,
                        rewritten_time.as_secs_f64() * 1e3,
                        ratio
                    ));
                }
                (Some(time), peak, Some(auto_time))
            }
            None => (None, identity_peak, None),
        };
        let rate = |t: Option<Duration>| {
            t.map_or("n/a".to_string(), |t| {
                format!("{:.1}", mb / t.as_secs_f64())
            })
        };
        println!(
            "| {name} | {mb:.1} | {} | {} | {} | {} | {:.2} |",
            rate(Some(validate)),
            rate(Some(identity)),
            rate(forwarded),
            rate(forwarded_auto),
            (identity_peak.max(forwarded_peak) + bytes.len()) as f64 / bytes.len() as f64,
        );
    }
    if !debug_rows.is_empty() {
        println!();
        println!("| module with DWARF | size (MB) | forwarded+auto, debug stripped (ms) | forwarded+auto, debug rewritten (ms) | ratio (median of pairs) |");
        println!("|---|---:|---:|---:|---:|");
        for row in debug_rows {
            println!("{row}");
        }
    }
}

/// Whether a module carries DWARF.
fn has_dwarf(bytes: &[u8]) -> bool {
    Parser::new(0).parse_all(bytes).any(|payload| {
        matches!(payload, Ok(Payload::CustomSection(c)) if c.name().starts_with(".debug_"))
    })
}
