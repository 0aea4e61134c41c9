//! The C example end to end: modules produced by clang, not written by hand.
//!
//! `examples/c-host-buf/build.sh` compiles the application and the C
//! builtin to wasm32 and the same application natively. Every command of
//! the application then runs five ways on the same input buffer — native,
//! unlinked in wasmtime (the builtin instantiated separately and registered
//! as `host-buf`), the linked module under each inline mode, and that
//! module wrapped as a component on Wasmtime with its native intrinsics
//! (`--emit component`) — with the C builtin and with the WAT builtin of
//! `examples/host-buf/`. Results, traps (the out-of-range `peek` included)
//! and the final buffer must be identical everywhere.
//!
//! LLVM's module shape is the point: `__stack_pointer`, data segments in
//! both modules, bulk-memory `memcpy`/`memset`, a function table, name and
//! producers sections, DWARF — what hand-written cases never have.
//!
//! The test needs clang with the wasm32 target, wasi-libc and lld (Debian:
//! `clang lld wasi-libc libclang-rt-14-dev-wasm32`); without them it fails
//! and says so, because a skipped end-to-end test proves nothing.

use snapshots::{component, host};
use std::path::{Path, PathBuf};
use std::process::Command;
use wasm_prelink::component::{wrap, ComponentOptions};
use wasm_prelink::{InlineMode, Linker};
use wasmtime::{Instance, Module, Val};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Builds the example once per test process.
fn built() -> &'static PathBuf {
    static OUT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    OUT.get_or_init(|| {
        let out = std::env::temp_dir().join(format!("c-host-buf-{}", std::process::id()));
        let status = Command::new(repo().join("examples/c-host-buf/build.sh"))
            .env("OUT_DIR", &out)
            .status()
            .expect(
                "examples/c-host-buf/build.sh runs (it needs clang, lld, wasi-libc and \
                 libclang-rt-14-dev-wasm32; `.ci/run` installs them)",
            );
        assert!(status.success(), "building the C example failed");
        out
    })
}

/// A 64 KiB input with something for every command: runs for the encoder,
/// a gradient image for the filters, noise for the checksums.
fn input() -> Vec<u8> {
    let mut bytes = Vec::with_capacity(1 << 16);
    let mut state = 0x2545_f491_u32;
    while bytes.len() < 1 << 16 {
        let section = bytes.len() / 4096;
        match section % 3 {
            0 => {
                let run = 1 + (bytes.len() / 7) % 300;
                let value = (section * 37) as u8;
                bytes.extend(std::iter::repeat_n(value, run.min((1 << 16) - bytes.len())));
            }
            1 => bytes.push(((bytes.len() % 256) ^ (bytes.len() / 256)) as u8),
            _ => {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                bytes.push(state as u8);
            }
        }
    }
    bytes
}

/// One command of the application: an export and its arguments. Commands
/// named in `prefix` run first (their results are not compared).
struct AppCommand {
    export: &'static str,
    args: Vec<u64>,
    prefix: &'static [&'static str],
}

fn commands(len: usize) -> Vec<AppCommand> {
    let plain = |export| AppCommand {
        export,
        args: vec![],
        prefix: &[],
    };
    let mut all = vec![
        plain("crc32"),
        plain("adler32"),
        plain("histogram"),
        AppCommand {
            export: "histogram_mode",
            args: vec![],
            prefix: &["histogram"],
        },
        AppCommand {
            export: "rle_encode",
            args: vec![30_000],
            prefix: &[],
        },
        plain("increment_all"),
        plain("length"),
        AppCommand {
            export: "peek",
            args: vec![12_345],
            prefix: &[],
        },
        // Out of range: the checked intrinsic traps.
        AppCommand {
            export: "peek",
            args: vec![len as u64 + 5],
            prefix: &[],
        },
    ];
    for which in 0..4 {
        all.push(AppCommand {
            export: "filter",
            args: vec![which, 256],
            prefix: &[],
        });
    }
    all
}

/// What a run produced: printed results (or "trap") and the final buffer.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    result: String,
    buffer: Vec<u8>,
}

fn native(command: &AppCommand, input_file: &Path) -> Outcome {
    let out_file =
        input_file.with_extension(format!("{}-{}.out", command.export, command.args.len()));
    let output = Command::new(built().join("native-app"))
        .arg(input_file)
        .arg(command.export)
        .args(command.args.iter().map(u64::to_string))
        .env("NATIVE_APP_OUT", &out_file)
        .output()
        .expect("native app runs");
    let result = if output.status.code() == Some(2) {
        "trap".to_string()
    } else {
        assert!(
            output.status.success(),
            "native {}: {}",
            command.export,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    };
    let buffer = if result == "trap" {
        std::fs::read(input_file).expect("input")
    } else {
        std::fs::read(&out_file).expect("native output buffer")
    };
    Outcome { result, buffer }
}

/// Runs `command` on `instance`: `_initialize` first, as a reactor's host
/// must, then the prefix commands, then the command.
fn run(
    store: &mut wasmtime::Store<host::HostState>,
    instance: Instance,
    command: &AppCommand,
) -> Outcome {
    let call = |store: &mut wasmtime::Store<host::HostState>,
                name: &str,
                args: &[u64]|
     -> Result<String, String> {
        let func = instance
            .get_func(&mut *store, name)
            .ok_or_else(|| format!("no export `{name}`"))?;
        let ty = func.ty(&*store);
        let params: Vec<Val> = ty
            .params()
            .zip(args)
            .map(|(ty, value)| match ty {
                wasmtime::ValType::I64 => Val::I64(*value as i64),
                _ => Val::I32(*value as i32),
            })
            .collect();
        let mut results = vec![Val::I32(0); ty.results().len()];
        match func.call(&mut *store, &params, &mut results) {
            Ok(()) => Ok(results
                .iter()
                .map(|v| match v {
                    // Printed the way the C driver prints them: unsigned,
                    // except `filter`, which returns a signed count.
                    Val::I32(x) if name == "filter" => x.to_string(),
                    Val::I32(x) => (*x as u32).to_string(),
                    Val::I64(x) => (*x as u64).to_string(),
                    other => format!("{other:?}"),
                })
                .collect::<Vec<_>>()
                .join(" ")),
            Err(_) => Ok("trap".to_string()),
        }
    };
    if let Some(initialize) = instance.get_func(&mut *store, "_initialize") {
        initialize
            .call(&mut *store, &[], &mut [])
            .expect("_initialize");
    }
    for prefix in command.prefix {
        call(store, prefix, &[]).expect("prefix command");
    }
    let result = call(store, command.export, &command.args).expect("export exists");
    Outcome {
        result,
        buffer: store.data().buffer().to_vec(),
    }
}

/// Each command runs in a fresh store; modules are compiled once.
fn unlinked(app: &Module, builtin: &Module, buffer: &[u8], command: &AppCommand) -> Outcome {
    let mut store = host::store(buffer.to_vec());
    let (mut linker, _) = host::linker(&mut store, wasm_prelink::DEFAULT_NAMESPACE).expect("host");
    let builtin = linker
        .instantiate(&mut store, builtin)
        .expect("builtin instantiates");
    linker
        .instance(&mut store, "host-buf", builtin)
        .expect("register");
    let instance = linker
        .instantiate(&mut store, app)
        .expect("app instantiates");
    run(&mut store, instance, command)
}

fn linked(merged: &Module, buffer: &[u8], command: &AppCommand) -> Outcome {
    let mut store = host::store(buffer.to_vec());
    let (linker, _) = host::linker(&mut store, wasm_prelink::DEFAULT_NAMESPACE).expect("host");
    let instance = linker
        .instantiate(&mut store, merged)
        .expect("linked module instantiates");
    run(&mut store, instance, command)
}

/// The linked module wrapped as a component (`--emit component`) on
/// Wasmtime with its native intrinsics: `_initialize` runs during
/// instantiation, then the prefix commands and the command, by their
/// component names.
fn as_component(
    component: &wasmtime::component::Component,
    wrapped: &wasm_prelink::component::Wrapped,
    buffer: &[u8],
    command: &AppCommand,
) -> Outcome {
    use wasmtime::component::{Type, Val};
    let engine = host::engine();
    let mut store = wasmtime::Store::new(engine, component::ComponentHost::new(buffer.to_vec()));
    let instance = component::linker(engine)
        .and_then(|linker| linker.instantiate(&mut store, component))
        .expect("the component instantiates");
    let mut call = |name: &str, args: &[u64]| -> String {
        let export = wrapped
            .export_name(name)
            .unwrap_or_else(|| panic!("`{name}` is lifted"));
        let func = instance
            .get_func(&mut store, export)
            .unwrap_or_else(|| panic!("no component export `{export}`"));
        let ty = func.ty(&store);
        let params: Vec<Val> = ty
            .params()
            .zip(args)
            .map(|((_, ty), value)| match ty {
                Type::S64 => Val::S64(*value as i64),
                _ => Val::S32(*value as i32),
            })
            .collect();
        let mut results = vec![Val::Bool(false); ty.results().len()];
        match func.call(&mut store, &params, &mut results) {
            Ok(()) => results
                .iter()
                .map(|v| match v {
                    // Printed as the C driver prints them (see `run`).
                    Val::S32(x) if name == "filter" => x.to_string(),
                    Val::S32(x) => (*x as u32).to_string(),
                    Val::S64(x) => (*x as u64).to_string(),
                    other => format!("{other:?}"),
                })
                .collect::<Vec<_>>()
                .join(" "),
            // Only a trap of the Wasm code is the native driver's "trap";
            // a call refused because an earlier one trapped, or any other
            // error, is not.
            Err(error) => match error.downcast_ref::<wasmtime::Trap>() {
                Some(wasmtime::Trap::CannotEnterComponent) | None => {
                    format!("error: {error:#}")
                }
                Some(_) => "trap".to_string(),
            },
        }
    };
    for prefix in command.prefix {
        call(prefix, &[]);
    }
    let result = call(command.export, &command.args);
    Outcome {
        result,
        buffer: store.data().buffer().to_vec(),
    }
}

fn check_builtin(builtin: &[u8], builtin_name: &str) {
    let app = std::fs::read(built().join("app.wasm")).expect("app built");
    let buffer = input();
    let input_file = built().join(format!("input-{builtin_name}.bin"));
    std::fs::write(&input_file, &buffer).expect("input written");
    let merged: Vec<_> = [InlineMode::None, InlineMode::Auto, InlineMode::All]
        .into_iter()
        .map(|mode| {
            let link = || {
                Linker::new()
                    .builtin("host-buf", builtin)
                    .and_then(|l| l.inline(mode).link(&app))
                    .unwrap_or_else(|e| {
                        panic!("linking the C app with the {builtin_name} builtin ({mode:?}): {e}")
                    })
            };
            let first = link();
            assert_eq!(
                first.wasm,
                link().wasm,
                "linking is deterministic ({mode:?})"
            );
            let module = Module::new(host::engine(), &first.wasm).expect("linked module compiles");
            let wrapped = wrap(&first.wasm, &ComponentOptions::default())
                .unwrap_or_else(|e| panic!("wrapping the linked C app ({mode:?}): {e}"));
            let component = component::compile(host::engine(), &wrapped.bytes)
                .expect("the wrapped C app compiles");
            (mode, module, wrapped, component)
        })
        .collect();
    let app_module = Module::new(host::engine(), &app).expect("app compiles");
    let builtin_module = Module::new(host::engine(), builtin).expect("builtin compiles");
    for command in commands(buffer.len()) {
        let expected = native(&command, &input_file);
        let what = format!(
            "{} {:?} with the {builtin_name} builtin",
            command.export, command.args
        );
        assert_eq!(
            unlinked(&app_module, &builtin_module, &buffer, &command),
            expected,
            "unlinked: {what}"
        );
        for (mode, module, wrapped, component) in &merged {
            assert_eq!(
                linked(module, &buffer, &command),
                expected,
                "linked ({mode:?}): {what}"
            );
            assert_eq!(
                as_component(component, wrapped, &buffer, &command),
                expected,
                "linked ({mode:?}) and wrapped as a component: {what}"
            );
        }
    }
}

#[test]
fn c_app_with_c_builtin_matches_native() {
    let builtin = std::fs::read(built().join("builtin.wasm")).expect("builtin built");
    check_builtin(&builtin, "C");
}

#[test]
fn c_app_with_wat_builtin_matches_native() {
    let builtin =
        std::fs::read(repo().join("examples/host-buf/builtin.wat")).expect("builtin source");
    check_builtin(&builtin, "WAT");
}

#[test]
fn linked_c_module_keeps_llvm_shape() {
    let app = std::fs::read(built().join("app.wasm")).expect("app built");
    let builtin = std::fs::read(built().join("builtin.wasm")).expect("builtin built");
    let linked = Linker::new()
        .builtin("host-buf", &builtin)
        .and_then(|l| l.inline(InlineMode::None).link(&app))
        .expect("links");
    let text = wasmprinter::print_bytes(&linked.wasm).expect("prints");
    // The app's memory stays memory 0 and exported; the builtin's comes
    // second, under its own name.
    assert!(text.contains("(export \"memory\" (memory 0))"), "{text}");
    assert!(text.contains("(memory $host-buf::memory (;1;)"), "{text}");
    // The app's function table and its indirect calls survive.
    assert!(text.contains("call_indirect"), "{text}");
    assert!(text.contains("(elem (;0;)"), "{text}");
    // Bulk memory from memset/memcpy.
    assert!(
        text.contains("memory.fill") || text.contains("memory.copy"),
        "{text}"
    );
    // The DWARF wasi-libc brings is rewritten without a word
    // (docs/debug.md; `cli/tests/debuginfo.rs` checks it line by line);
    // producers stay.
    assert!(
        !linked.report.warnings.iter().any(|w| w.contains("debug")),
        "{:?}",
        linked.report.warnings
    );
    assert!(text.contains("(@custom \".debug_line\""), "{text}");
    assert!(text.contains("(@producers"), "{text}");
}
