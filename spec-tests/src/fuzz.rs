//! Differential fuzzing of linking.
//!
//! The spec suite is fixed; generated programs find what it does not cover.
//! Each case is a pair of wasm-smith modules:
//!
//! * a **builtin** whose exports are pinned to [`INTERFACE`] (functions,
//!   a memory, a table, globals, a tag) and which may import every intrinsic
//!   and the logging `env` functions of [`host`]; wasm-smith may put
//!   references to intrinsics anywhere in it (element segments, table and
//!   global initializers, `ref.func` in code), including its exported table,
//!   its exported `funcref` global and the result of its `pick`;
//! * an **app** whose only possible imports are exactly those exports (from
//!   module [`BUILTIN`]) and the same `env` functions, and whose exports are
//!   arbitrary.
//!
//! Both are instrumented by wasm-smith to terminate (a fuel global checked
//! at every loop head and function entry, so the check is part of the
//! program and survives linking) and to canonicalize NaNs, so every run is
//! deterministic. The case then runs twice over: the unlinked pair (the
//! builtin instantiated first and registered under its name, as separate
//! instantiation would give it) and the linked module, once per inline
//! mode. The instantiation outcome, the result or trap of every exported
//! function called with default arguments, the exported state afterwards and
//! everything the host saw must be identical. A stack overflow makes a case
//! inconclusive rather than failed: inlining legitimately changes how deep
//! a program can recurse.
//!
//! The trust boundary is checked on the same pairs. The host's intrinsics
//! record when the app's own code calls one in the unlinked run (see
//! [`host`]); every pair is then either **refused** by the linker — the
//! same refusal in every mode, and only for the trust boundary — or
//! accepted with the app never calling an intrinsic, and the linked runs
//! must agree with that unlinked run as before.

pub mod host;

use host::Host;
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use wasm_prelink::{InlineMode, Intrinsic, LinkError, Linker, DEFAULT_NAMESPACE};
use wasmtime::{Engine, ExternType, Instance, Module, Store, ThrownException, Trap, Val};

/// The builtin's name, the module the app imports it from.
pub const BUILTIN: &str = "builtin";

/// The builtin's pinned exports. Every kind of item is there, so the app
/// can reach the builtin through each of them.
pub const INTERFACE: &str = r#"(module
    (func (export "get") (param i32) (result i32) unreachable)
    (func (export "set") (param i32 i32) unreachable)
    (func (export "mix") (param i64 f64) (result i64 f32) unreachable)
    (func (export "lanes") (param v128) (result v128) unreachable)
    (func (export "tick") unreachable)
    (memory (export "mem") 1 4)
    (func (export "pick") (param i32) (result funcref) unreachable)
    (table (export "tab") 4 16 funcref)
    (global (export "counter") (mut i32) (i32.const 0))
    (global (export "hook") (mut funcref) (ref.null func))
    (global (export "limit") i64 (i64.const 0))
    (tag (export "fail") (param i32)))"#;

/// The same interface seen from the app: imports from [`BUILTIN`].
const APP_IMPORTS: &str = r#"
    (import "builtin" "get" (func (param i32) (result i32)))
    (import "builtin" "set" (func (param i32 i32)))
    (import "builtin" "mix" (func (param i64 f64) (result i64 f32)))
    (import "builtin" "lanes" (func (param v128) (result v128)))
    (import "builtin" "tick" (func))
    (import "builtin" "pick" (func (param i32) (result funcref)))
    (import "builtin" "mem" (memory 1 4))
    (import "builtin" "tab" (table 4 16 funcref))
    (import "builtin" "counter" (global (mut i32)))
    (import "builtin" "hook" (global (mut funcref)))
    (import "builtin" "limit" (global i64))
    (import "builtin" "fail" (tag (param i32)))
"#;

/// Fuel of each generated module: loop iterations plus calls before it
/// traps. Enough for real work, little enough to keep a case fast and its
/// recursion shallow.
const FUEL: u32 = 2_000;

/// The inline modes every case is linked with.
pub const MODES: [InlineMode; 3] = [InlineMode::None, InlineMode::Auto, InlineMode::All];

/// One generated case.
#[derive(Debug, Clone)]
pub struct Case {
    /// The seed it was generated from.
    pub seed: u64,
    /// The builtin, binary.
    pub builtin: Vec<u8>,
    /// The app, binary.
    pub app: Vec<u8>,
}

/// The verdict on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every mode behaved exactly like the unlinked pair, whose app never
    /// called an intrinsic.
    Passed,
    /// Every mode refused the pair, the same way, because the app could
    /// obtain an intrinsic.
    Refused {
        /// Whether the unlinked app did call an intrinsic: the refusal was
        /// needed, not only conservative.
        app_called_intrinsic: bool,
    },
    /// The case says nothing either way (e.g. a stack overflow).
    Inconclusive(String),
    /// The linker broke something; the message says what.
    Failed(String),
}

/// The engine of the fuzz runs. Cranelift canonicalizes NaNs on top of
/// wasm-smith's instrumentation, so no float result depends on how an
/// operation was compiled.
pub fn engine() -> Result<Engine, String> {
    let mut config = crate::wasm3_config();
    config.cranelift_nan_canonicalization(true);
    Engine::new(&config).map_err(|e| e.to_string())
}

fn wat(text: &str) -> Result<Vec<u8>, String> {
    wat::parse_str(text).map_err(|e| e.to_string())
}

fn smith_config(available_imports: Vec<u8>, exports: Option<Vec<u8>>) -> wasm_smith::Config {
    wasm_smith::Config {
        available_imports: Some(available_imports),
        exports,
        canonicalize_nans: true,
        // Outside the linker's feature set, or able to block forever.
        threads_enabled: false,
        wide_arithmetic_enabled: false,
        custom_page_sizes_enabled: false,
        compact_imports_enabled: false,
        max_memory32_bytes: 1 << 20,
        max_memory64_bytes: 1 << 20,
        max_table_elements: 1_000,
        max_funcs: 16,
        max_exports: 16,
        // The GC heap has no size limit a store can enforce, and one
        // generated `array.new` can exhaust the host's memory.
        gc_enabled: false,
        ..wasm_smith::Config::default()
    }
}

fn builtin_imports() -> String {
    let mut text = String::from("(module ");
    text.push_str(host::ENV_IMPORTS);
    for intrinsic in Intrinsic::ALL {
        // Intrinsic signatures are integers only, written as the text
        // format spells them.
        let names = |types: &[_]| types.iter().map(|t| format!(" {t}")).collect::<String>();
        let _ = write!(
            text,
            r#"(import "{DEFAULT_NAMESPACE}" "{}" (func (param{}) (result{})))"#,
            intrinsic.name(),
            names(intrinsic.params()),
            names(intrinsic.results())
        );
    }
    text.push(')');
    text
}

/// Deterministic bytes for wasm-smith to draw from (SplitMix64).
fn entropy(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(len);
    out
}

fn smith(config: wasm_smith::Config, data: &[u8]) -> Result<Vec<u8>, String> {
    let mut u = arbitrary::Unstructured::new(data);
    let mut module = wasm_smith::Module::new(config, &mut u).map_err(|e| e.to_string())?;
    module.ensure_termination(FUEL).map_err(|e| e.to_string())?;
    Ok(module.to_bytes())
}

/// Generates the case of `seed`.
pub fn generate(seed: u64) -> Result<Case, String> {
    let sizes = entropy(seed ^ 0x5eed, 16);
    let builtin_len = 512 + usize::from(u16::from_le_bytes([sizes[0], sizes[1]]) % 6144);
    let app_len = 512 + usize::from(u16::from_le_bytes([sizes[2], sizes[3]]) % 6144);
    let builtin = smith(
        smith_config(wat(&builtin_imports())?, Some(wat(INTERFACE)?)),
        &entropy(seed, builtin_len),
    )?;
    let app_imports = format!("(module {APP_IMPORTS} {})", host::ENV_IMPORTS);
    let app = smith(
        smith_config(wat(&app_imports)?, None),
        &entropy(!seed, app_len),
    )?;
    Ok(Case { seed, builtin, app })
}

/// Everything observable about one run.
#[derive(Debug, PartialEq, Eq)]
struct Observation {
    instantiation: Result<(), String>,
    calls: Vec<(String, String)>,
    state: Vec<(String, String)>,
    host: Host,
}

impl Observation {
    fn stack_overflowed(&self) -> bool {
        let overflow = Trap::StackOverflow.to_string();
        self.instantiation
            .as_ref()
            .err()
            .is_some_and(|e| e.contains(&overflow))
            || self
                .calls
                .iter()
                .any(|(_, outcome)| outcome.contains(&overflow))
    }
}

/// Links under each of `modes`, runs and compares one case.
pub fn check(engine: &Engine, case: &Case, modes: &[InlineMode]) -> Verdict {
    let expected = match observe(engine, case, None) {
        Ok(o) => o,
        Err(e) => return Verdict::Inconclusive(format!("the unlinked pair does not run: {e}")),
    };
    let app_calls = &expected.host.app_intrinsic_calls;
    let mut linked = Vec::with_capacity(modes.len());
    let mut refusals = Vec::new();
    for &mode in modes {
        match link(case, mode) {
            Ok(Outcome::Linked(wasm)) => linked.push((mode, wasm)),
            Ok(Outcome::Refused(message)) => refusals.push((mode, message)),
            Err(e) => return Verdict::Failed(format!("--inline {}: {e}", mode_name(mode))),
        }
    }
    if let Some((mode, message)) = refusals.first() {
        if let Some((other, _)) = linked.first() {
            return Verdict::Failed(format!(
                "--inline {} refuses the pair but --inline {} links it: {message}",
                mode_name(*mode),
                mode_name(*other)
            ));
        }
        if let Some((other, different)) = refusals.iter().find(|(_, m)| m != message) {
            return Verdict::Failed(format!(
                "--inline {} and --inline {} refuse the pair differently:\n{message}\n{different}",
                mode_name(*mode),
                mode_name(*other)
            ));
        }
        return Verdict::Refused {
            app_called_intrinsic: !app_calls.is_empty(),
        };
    }
    if let Some(intrinsic) = app_calls.first() {
        return Verdict::Failed(format!(
            "the linker accepts a pair whose app calls the intrinsic `{intrinsic}` \
             (unlinked, {} call(s) from the app's code)",
            app_calls.len()
        ));
    }
    if expected.stack_overflowed() {
        return Verdict::Inconclusive("the unlinked pair overflows the stack".into());
    }
    for (mode, wasm) in linked {
        let actual = match observe(engine, case, Some(&wasm)) {
            Ok(o) => o,
            Err(e) => return Verdict::Failed(format!("--inline {}: {e}", mode_name(mode))),
        };
        if actual.stack_overflowed() {
            return Verdict::Inconclusive(format!(
                "--inline {} overflows the stack",
                mode_name(mode)
            ));
        }
        if actual != expected {
            return Verdict::Failed(format!(
                "--inline {} behaves differently\nunlinked: {expected:#?}\nlinked:   {actual:#?}",
                mode_name(mode)
            ));
        }
    }
    Verdict::Passed
}

/// The name `--inline` gives a mode.
pub fn mode_name(mode: InlineMode) -> &'static str {
    match mode {
        InlineMode::None => "none",
        InlineMode::Auto => "auto",
        InlineMode::All => "all",
    }
}

/// What linking a case gave.
enum Outcome {
    /// The linked module.
    Linked(Vec<u8>),
    /// The linker refused the pair at the trust boundary, with this message.
    Refused(String),
}

/// Links twice (the outputs must agree) and validates the result. Any
/// failure other than a trust-boundary refusal is an error.
fn link(case: &Case, mode: InlineMode) -> Result<Outcome, String> {
    let once = || {
        catch_unwind(AssertUnwindSafe(|| {
            match Linker::new()
                .inline(mode)
                .builtin(BUILTIN, &case.builtin)
                .and_then(|l| l.link(&case.app))
            {
                Ok(linked) => Ok(Outcome::Linked(linked.wasm)),
                Err(e @ LinkError::IntrinsicEscapes(_)) => Ok(Outcome::Refused(e.to_string())),
                Err(e) => Err(format!("the linker rejects the case: {e}")),
            }
        }))
        .unwrap_or_else(|_| Err("the linker panicked".to_string()))
    };
    let first = match once()? {
        Outcome::Linked(wasm) => wasm,
        refused @ Outcome::Refused(_) => return Ok(refused),
    };
    match once()? {
        Outcome::Linked(again) if again == first => {}
        _ => return Err("two links of the same inputs differ".into()),
    }
    wasmparser::Validator::new_with_features(crate::transform::features())
        .validate_all(&first)
        .map_err(|e| format!("the linked module is invalid: {e}"))?;
    Ok(Outcome::Linked(first))
}

/// Runs the unlinked pair (`linked` is `None`) or a linked module.
fn observe(engine: &Engine, case: &Case, linked: Option<&[u8]>) -> Result<Observation, String> {
    let mut store = Store::new(engine, Host::default());
    store.limiter(|host| &mut host.limits);
    let mut linker = wasmtime::Linker::new(engine);
    host::define(&mut linker, engine, DEFAULT_NAMESPACE).map_err(|e| e.to_string())?;
    let compile = |bytes: &[u8]| {
        Module::new(engine, bytes).map_err(|e| format!("wasmtime rejects a module: {e}"))
    };

    let mut instantiation = Ok(());
    let mut app = None;
    let app_module = match linked {
        Some(bytes) => compile(bytes)?,
        None => {
            let builtin = compile(&case.builtin)?;
            match linker.instantiate(&mut store, &builtin) {
                Ok(instance) => {
                    linker
                        .instance(&mut store, BUILTIN, instance)
                        .map_err(|e| e.to_string())?;
                }
                Err(e) => instantiation = Err(abrupt(&mut store, e)),
            }
            let app = compile(&case.app)?;
            store.data_mut().app = Some(app.clone());
            app
        }
    };
    if instantiation.is_ok() {
        match linker.instantiate(&mut store, &app_module) {
            Ok(instance) => app = Some(instance),
            Err(e) => instantiation = Err(abrupt(&mut store, e)),
        }
    }
    let mut calls = Vec::new();
    let mut state = Vec::new();
    if let Some(instance) = app {
        calls = call_exports(&mut store, &app_module, instance);
        state = exported_state(&mut store, &app_module, instance);
    }
    Ok(Observation {
        instantiation,
        calls,
        state,
        host: store.into_data(),
    })
}

/// Calls every exported function once, in export order, with default
/// arguments (zeros and nulls).
fn call_exports(
    store: &mut Store<Host>,
    module: &Module,
    instance: Instance,
) -> Vec<(String, String)> {
    let mut calls = Vec::new();
    for export in module.exports() {
        let ExternType::Func(ty) = export.ty() else {
            continue;
        };
        let name = export.name().to_string();
        let Some(func) = instance.get_func(&mut *store, &name) else {
            continue;
        };
        let args: Option<Vec<Val>> = ty.params().map(|p| Val::default_for_ty(&p)).collect();
        let Some(args) = args else {
            calls.push((name, "not called: a parameter has no default".into()));
            continue;
        };
        let mut results = vec![Val::I32(0); ty.results().len()];
        let outcome = match func.call(&mut *store, &args, &mut results) {
            Ok(()) => {
                let shown: Vec<String> = results.iter().map(|v| describe(store, v)).collect();
                format!("returned [{}]", shown.join(", "))
            }
            Err(e) => abrupt(store, e),
        };
        calls.push((name, outcome));
    }
    calls
}

/// The exported globals, memories and tables after the calls.
fn exported_state(
    store: &mut Store<Host>,
    module: &Module,
    instance: Instance,
) -> Vec<(String, String)> {
    let mut state = Vec::new();
    for export in module.exports() {
        let name = export.name().to_string();
        let shown = match export.ty() {
            ExternType::Global(_) => instance.get_global(&mut *store, &name).map(|g| {
                let v = g.get(&mut *store);
                describe(store, &v)
            }),
            ExternType::Memory(_) => instance.get_memory(&mut *store, &name).map(|m| {
                let data = m.data(&*store);
                format!("{} bytes, fnv {:#018x}", data.len(), fnv(data))
            }),
            ExternType::Table(_) => instance.get_table(&mut *store, &name).map(|t| {
                let size = t.size(&*store);
                let nulls: String = (0..size)
                    .map(|i| match t.get(&mut *store, i) {
                        Some(r) if r.is_null() => '0',
                        Some(_) => '1',
                        None => '?',
                    })
                    .collect();
                format!("{size} elements {nulls}")
            }),
            _ => None,
        };
        if let Some(shown) = shown {
            state.push((name, shown));
        }
    }
    state
}

fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// A value as it may be compared across runs: numbers by bits, references
/// by kind (and an `i31`'s value), since identities differ between stores.
fn describe(store: &mut Store<Host>, v: &Val) -> String {
    match v {
        Val::AnyRef(Some(r)) => match r.as_i31(&*store) {
            Ok(Some(i)) => format!("i31 {}", i.get_u32()),
            _ => crate::values::show(v),
        },
        _ => crate::values::show(v),
    }
}

/// How an instantiation or call ended abruptly, comparably.
fn abrupt(store: &mut Store<Host>, error: wasmtime::Error) -> String {
    if let Some(trap) = error.downcast_ref::<Trap>() {
        format!("trap: {trap}")
    } else if error.is::<ThrownException>() {
        let exception = store.take_pending_exception();
        format!("exception (pending: {})", exception.is_some())
    } else {
        format!("error: {}", error.root_cause())
    }
}

/// Writes a failing case as WAT (and binary) under `dir/seed-SEED/`, with
/// the verdict, so it can be replayed and turned into a regression test.
pub fn dump(case: &Case, verdict: &str, dir: &Path) -> std::io::Result<PathBuf> {
    let case_dir = dir.join(format!("seed-{}", case.seed));
    std::fs::create_dir_all(&case_dir)?;
    for (name, bytes) in [("builtin", &case.builtin), ("app", &case.app)] {
        let text =
            wasmprinter::print_bytes(bytes).unwrap_or_else(|e| format!(";; cannot print: {e}\n"));
        std::fs::write(case_dir.join(format!("{name}.wat")), text)?;
        std::fs::write(case_dir.join(format!("{name}.wasm")), bytes)?;
    }
    std::fs::write(
        case_dir.join("verdict.txt"),
        format!(
            "seed {}\nreplay: cargo run -p spec-tests --release --bin fuzz-link -- --seed {} --cases 1\n\n{verdict}\n",
            case.seed, case.seed
        ),
    )?;
    Ok(case_dir)
}

/// Totals of a batch of cases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Cases generated and checked.
    pub cases: usize,
    /// Cases where every mode matched the unlinked pair.
    pub passed: usize,
    /// Cases the linker refused at the trust boundary.
    pub refused: usize,
    /// Refused cases whose unlinked app did call an intrinsic.
    pub refused_app_called: usize,
    /// Cases that could not decide.
    pub inconclusive: usize,
    /// Cases where the linker broke something.
    pub failed: usize,
}

/// Checks `count` cases from `first_seed` on `threads` threads, linking
/// each under every mode of `modes`; every
/// failure is dumped under `dump_dir` and reported through `on_failure`.
pub fn run_batch(
    engine: &Engine,
    modes: &[InlineMode],
    first_seed: u64,
    count: u64,
    threads: usize,
    dump_dir: &Path,
    on_failure: &(dyn Fn(u64, &str, Option<&Path>) + Sync),
) -> Totals {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Mutex;
    let next = AtomicU64::new(0);
    let totals = Mutex::new(Totals::default());
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            let worker = || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let seed = first_seed.wrapping_add(i);
                let verdict = match generate(seed) {
                    Ok(case) => {
                        let verdict = check(engine, &case, modes);
                        if let Verdict::Failed(message) = &verdict {
                            let dumped = dump(&case, message, dump_dir).ok();
                            on_failure(seed, message, dumped.as_deref());
                        }
                        verdict
                    }
                    Err(e) => Verdict::Inconclusive(format!("generation failed: {e}")),
                };
                let mut t = totals.lock().unwrap_or_else(|p| p.into_inner());
                t.cases += 1;
                match verdict {
                    Verdict::Passed => t.passed += 1,
                    Verdict::Refused {
                        app_called_intrinsic,
                    } => {
                        t.refused += 1;
                        t.refused_app_called += usize::from(app_called_intrinsic);
                    }
                    Verdict::Inconclusive(_) => t.inconclusive += 1,
                    Verdict::Failed(_) => t.failed += 1,
                }
            };
            std::thread::Builder::new()
                .stack_size(16 << 20)
                .spawn_scoped(scope, worker)
                .unwrap_or_else(|e| panic!("cannot start a worker thread: {e}"));
        }
    });
    totals.into_inner().unwrap_or_else(|p| p.into_inner())
}

/// Parses a known-failing-seeds list: `SEED REASON` per line, `#` comments
/// and blank lines ignored. A seed without a reason is an error.
pub fn parse_known_seeds(text: &str) -> Result<Vec<(u64, String)>, String> {
    let mut seeds = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (seed, reason) = line
            .split_once(char::is_whitespace)
            .ok_or_else(|| format!("line {}: expected `SEED REASON`", n + 1))?;
        let seed = seed
            .parse()
            .map_err(|_| format!("line {}: `{seed}` is not a seed", n + 1))?;
        seeds.push((seed, reason.trim().to_string()));
    }
    Ok(seeds)
}
