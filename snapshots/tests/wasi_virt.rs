//! The WASI virtualization example end to end, on wasmtime-wasi's preview 1.
//!
//! `examples/wasi-virt/build.sh` compiles a C program with wasi-libc into a
//! WASI command whose memory is imported as `env.memory`. The virtualizer
//! (`virtualizer.wat`) overrides `random_get`, `clock_time_get` and
//! `fd_write` of `wasi_snapshot_preview1` and calls the host's `fd_write`
//! itself; `memory.wat` is the builtin `env` that provides the shared
//! memory. The program then runs
//!
//! - **unlinked**: the memory builtin and the virtualizer instantiated
//!   against WASI, the app against the virtualizer's exports laid over
//!   WASI (`snapshots::separate`, the reference semantics);
//! - **linked** in every inline mode: one module, whose only imports are
//!   WASI functions;
//!
//! and stdout, stderr and the exit status must be byte-identical. The
//! output is also pinned: with randomness and clocks virtualized it is the
//! same on every run, every line carries the virtualizer's prefix, and the
//! same app run on plain WASI has none.
//!
//! The test needs clang with the wasm32 target, wasi-libc and lld (Debian:
//! `clang lld wasi-libc libclang-rt-14-dev-wasm32`), and rustc; without
//! them it fails and says so.

use snapshots::separate::{self, Provider};
use std::path::{Path, PathBuf};
use std::process::Command;
use wasm_prelink::InlineMode;
use wasmtime::{Engine, Instance, Linker, Module, Store};
use wasmtime_wasi::p1::{self, WasiP1Ctx};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{I32Exit, WasiCtxBuilder};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/wasi-virt")
}

/// Builds the example once per test process.
fn built() -> &'static PathBuf {
    static OUT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    OUT.get_or_init(|| {
        let out = std::env::temp_dir().join(format!("wasi-virt-{}", std::process::id()));
        let status = Command::new(example().join("build.sh"))
            .env("OUT_DIR", &out)
            .status()
            .expect(
                "examples/wasi-virt/build.sh runs (it needs clang, lld, wasi-libc, \
                 libclang-rt-14-dev-wasm32 and rustc; `.ci/run` installs them)",
            );
        assert!(status.success(), "building the WASI example failed");
        out
    })
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// What a WASI host sees of one run.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    stdout: String,
    stderr: String,
    exit: i32,
}

/// The store's data is the WASI context itself.
fn wasi_of(ctx: &mut WasiP1Ctx) -> &mut WasiP1Ctx {
    ctx
}

/// Output pipes big enough for the program's few lines.
const PIPE_CAPACITY: usize = 1 << 16;

/// Runs `_start` in a fresh store with WASI on in-memory pipes, after
/// `instantiate` built the instance against a linker holding WASI
/// preview 1, and returns what the host saw.
fn run<F>(instantiate: F) -> Outcome
where
    F: FnOnce(&mut Store<WasiP1Ctx>, &Linker<WasiP1Ctx>) -> wasmtime::Result<Instance>,
{
    let engine = Engine::default();
    let stdout = MemoryOutputPipe::new(PIPE_CAPACITY);
    let stderr = MemoryOutputPipe::new(PIPE_CAPACITY);
    let wasi = WasiCtxBuilder::new()
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .build_p1();
    let mut store = Store::new(&engine, wasi);
    let mut linker = Linker::new(&engine);
    p1::add_to_linker_sync(&mut linker, wasi_of).expect("WASI preview 1 is added");
    let instance = instantiate(&mut store, &linker).expect("the example instantiates");
    let start = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .expect("the app exports `_start`");
    let exit = match start.call(&mut store, ()) {
        Ok(()) => 0,
        Err(error) => match error.downcast_ref::<I32Exit>() {
            Some(exit) => exit.0,
            None => panic!("`_start` failed: {error:#}"),
        },
    };
    drop(store);
    let text = |pipe: MemoryOutputPipe| String::from_utf8_lossy(&pipe.contents()).into_owned();
    Outcome {
        stdout: text(stdout),
        stderr: text(stderr),
        exit,
    }
}

fn module(engine: &Engine, bytes: &[u8]) -> Module {
    Module::new(engine, bytes).expect("the module compiles")
}

/// The memory builtin and the virtualizer instantiated separately, then the
/// app over them.
fn run_unlinked(app: &[u8], memory: &[u8], virtualizer: &[u8]) -> Outcome {
    run(|store, linker| {
        let engine = store.engine().clone();
        let providers = [
            Provider {
                name: "env",
                module: module(&engine, memory),
                virtualizer: false,
            },
            Provider {
                name: "wasi_snapshot_preview1",
                module: module(&engine, virtualizer),
                virtualizer: true,
            },
        ];
        separate::instantiate(store, linker, &providers, &module(&engine, app))
    })
}

/// The app with only the memory builtin: plain WASI.
fn run_plain(app: &[u8], memory: &[u8]) -> Outcome {
    run(|store, linker| {
        let engine = store.engine().clone();
        let providers = [Provider {
            name: "env",
            module: module(&engine, memory),
            virtualizer: false,
        }];
        separate::instantiate(store, linker, &providers, &module(&engine, app))
    })
}

fn run_linked(wasm: &[u8]) -> Outcome {
    run(|store, linker| {
        let module = module(store.engine(), wasm);
        linker.instantiate(&mut *store, &module)
    })
}

fn link(app: &[u8], memory: &[u8], virtualizer: &[u8], mode: InlineMode) -> Vec<u8> {
    wasm_prelink::Linker::new()
        .inline(mode)
        .builtin("env", memory)
        .and_then(|l| l.virtualize("wasi_snapshot_preview1", virtualizer))
        .and_then(|l| l.link(app))
        .unwrap_or_else(|e| panic!("the example links with --inline {mode:?}: {e}"))
        .wasm
}

/// The module and name of every import of `wasm`.
fn imports(wasm: &[u8]) -> Vec<String> {
    let engine = Engine::default();
    module(&engine, wasm)
        .imports()
        .map(|i| format!("{}::{}", i.module(), i.name()))
        .collect()
}

/// What the program prints under the virtualizer, computed here from the
/// virtualizer's documented behaviour: dice from the xorshift generator
/// with its fixed seed (one byte per die, the low byte of each state), the
/// real-time clock read first (one millisecond after the virtual epoch),
/// the monotonic clock second (two milliseconds after zero).
fn expected_stdout() -> String {
    let mut state: u32 = 0x2545_f491;
    let dice: Vec<String> = (0..6)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (1 + (state & 0xff) % 6).to_string()
        })
        .collect();
    format!(
        "[virt] dice: {}\n[virt] time: 1700000000.001000000\n[virt] monotonic: 2000000 ns\n",
        dice.join(" ")
    )
}

#[test]
fn virtualized_wasi_app_runs_the_same_unlinked_and_linked() {
    let out = built();
    let app = read(&out.join("app.wasm"));
    let memory = read(&example().join("memory.wat"));
    let virtualizer = read(&example().join("virtualizer.wat"));

    let unlinked = run_unlinked(&app, &memory, &virtualizer);
    // Shown with `--nocapture`; `docs/virtualize.md` quotes it.
    println!(
        "unlinked:\n{}exit status {}",
        unlinked.stdout, unlinked.exit
    );
    assert_eq!(unlinked.stdout, expected_stdout(), "unlinked stdout");
    assert_eq!(unlinked.stderr, "", "unlinked stderr");
    assert_eq!(unlinked.exit, 7, "the program's exit status");

    for mode in [InlineMode::None, InlineMode::Auto, InlineMode::All] {
        let wasm = link(&app, &memory, &virtualizer, mode);
        let linked = run_linked(&wasm);
        println!(
            "linked, --inline {mode:?}:\n{}exit status {}",
            linked.stdout, linked.exit
        );
        assert_eq!(linked, unlinked, "linked with --inline {mode:?}");
        // The virtualized functions are gone from the imports; the rest of
        // WASI, and the host's `fd_write` the virtualizer wraps, remain.
        let imports = imports(&wasm);
        assert!(
            imports
                .iter()
                .all(|i| i.starts_with("wasi_snapshot_preview1::")),
            "{imports:?}"
        );
        for gone in ["random_get", "clock_time_get"] {
            assert!(
                !imports.contains(&format!("wasi_snapshot_preview1::{gone}")),
                "{gone} is still imported: {imports:?}"
            );
        }
        assert!(imports.contains(&"wasi_snapshot_preview1::fd_write".to_string()));
        assert!(imports.contains(&"wasi_snapshot_preview1::proc_exit".to_string()));
    }
}

#[test]
fn the_same_app_on_plain_wasi_is_not_virtualized() {
    let out = built();
    let app = read(&out.join("app.wasm"));
    let memory = read(&example().join("memory.wat"));
    let plain = run_plain(&app, &memory);
    println!("plain WASI:\n{}exit status {}", plain.stdout, plain.exit);
    assert_eq!(plain.exit, 7);
    assert!(plain.stdout.starts_with("dice:"), "{:?}", plain.stdout);
    assert!(!plain.stdout.contains("[virt]"), "{:?}", plain.stdout);
    assert!(
        !plain.stdout.contains("time: 1700000000.001000000"),
        "the host's clock is real: {:?}",
        plain.stdout
    );
}
