//! The C application of `examples/c-host-buf/` over a multi-megabyte
//! buffer: native, linked on our runtime, and on wasmtime with host
//! functions.
//!
//! The host-buffer benchmark ([`crate::variants`]) isolates the cost of an
//! access with a loop that does nothing else. A real program does work
//! between accesses — a table lookup per byte for CRC-32, two remainders
//! for Adler-32, a call through a function pointer per pixel for the image
//! filter — and is compiled by clang, not written by hand. This module runs
//! that program, unchanged, six ways:
//!
//! | variant | what runs |
//! |---|---|
//! | `native` | clang -O2, `app.c` and the accessors in one translation unit (accessors inlined) |
//! | `native-calls` | clang -O2, the accessors in another translation unit (a call per access) |
//! | `prelink-c` | our runtime, `app.wasm` linked with the C builtin, `InlineMode::Auto`, lowering on |
//! | `prelink-wat` | the same with `examples/host-buf/builtin.wat` |
//! | `wasmtime-host` | wasmtime 48, the unlinked `app.wasm`, `get`/`set`/`len` as host functions |
//! | `wasmtime-prelinked` | wasmtime 48, `app.wasm` linked with the C builtin (`InlineMode::Auto`), wrapped as a component (`--emit component`), the intrinsics exposed |
//!
//! The native variants are separate processes (`native-bench` and
//! `native-bench-calls`, which `build.sh` writes next to the modules when
//! `NATIVE_BENCH=1`) that time their repetitions themselves, so process
//! start-up and reading the input are not measured. Every call's result is
//! returned so the benchmark and the tests can check that each variant did
//! the same work.

use crate::workload::HostBuffer;
use anyhow::{anyhow, bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use wasm_prelink::InlineMode;

/// The name the app imports the API under and the builtin is linked as.
const API: &str = "host-buf";
/// The WAT builtin of the other example, which the C app also links with.
const WAT_BUILTIN: &str = include_str!("../../examples/host-buf/builtin.wat");
/// Blocks of the generated input, each of one kind (see [`input`]).
const INPUT_BLOCK: usize = 4096;

/// One call of the application: an export and its arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Call {
    /// The export's name in `app.c`.
    pub export: &'static str,
    /// Its arguments, converted to the export's parameter types.
    pub args: &'static [u64],
    /// Whether an `i32` result is signed (`filter` returns -1 on bad input);
    /// the others are C `uint32_t`s.
    pub signed: bool,
}

impl Call {
    const fn plain(export: &'static str) -> Call {
        Call {
            export,
            args: &[],
            signed: false,
        }
    }

    /// A name for benchmark ids and messages: the export, then its
    /// arguments joined by `-`.
    pub fn id(&self) -> String {
        let mut id = self.export.to_string();
        for arg in self.args {
            id.push('-');
            id.push_str(&arg.to_string());
        }
        id
    }
}

/// The image filter the benchmark times: the blur (filter 1), whose cost
/// does not depend on the pixels, over rows of 1,024 pixels.
pub const BLUR: Call = Call {
    export: "filter",
    args: &[1, 1024],
    signed: true,
};

/// The calls the benchmark times. Each touches every byte of the buffer
/// once (the filter and `increment_all` read and write it), so time per
/// byte compares across them. The run-length encoder stops at 32 KiB, so
/// it is checked by the tests but not timed.
pub const TIMED: [Call; 5] = [
    Call::plain("crc32"),
    Call::plain("adler32"),
    Call::plain("histogram"),
    BLUR,
    Call::plain("increment_all"),
];

/// Every call the native driver knows, for the agreement test: the timed
/// ones, every filter and the encoder.
pub const ALL: [Call; 10] = [
    Call::plain("crc32"),
    Call::plain("adler32"),
    Call::plain("histogram"),
    Call {
        export: "filter",
        args: &[0, 256],
        signed: true,
    },
    BLUR,
    Call {
        export: "filter",
        args: &[2, 777],
        signed: true,
    },
    Call {
        export: "filter",
        args: &[3, 4096],
        signed: true,
    },
    Call {
        export: "rle_encode",
        args: &[30_000],
        signed: false,
    },
    Call::plain("increment_all"),
    // Rejected by the application: the same -1 everywhere.
    Call {
        export: "filter",
        args: &[9, 16],
        signed: true,
    },
];

/// A deterministic input of `len` bytes with what each call needs: blocks
/// of xorshift noise (checksums, histogram), of a gradient image (filters)
/// and of runs (the encoder), in turn.
pub fn input(len: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(len);
    let mut state = 0x2545_f491_u32;
    while bytes.len() < len {
        let block = bytes.len() / INPUT_BLOCK;
        let at = bytes.len();
        match block % 3 {
            0 => {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                bytes.push(state as u8);
            }
            1 => bytes.push(((at % 256) ^ (at / 256)) as u8),
            _ => {
                let run = (1 + (at / 7) % 300).min(len - at);
                bytes.extend(std::iter::repeat_n((block * 37) as u8, run));
            }
        }
    }
    bytes.truncate(len);
    bytes
}

/// The example built by `examples/c-host-buf/build.sh` into a directory of
/// its own, removed when this is dropped.
pub struct Example {
    dir: PathBuf,
}

impl Example {
    /// Builds the example into `dir` (created, and removed on drop), with
    /// the clang `build.sh` uses (`$CLANG`, default `clang`). Fails with a
    /// message saying what to install when clang is missing: a benchmark
    /// or test that skips itself proves nothing.
    pub fn build(dir: PathBuf) -> Result<Example> {
        let clang = std::env::var_os("CLANG").unwrap_or_else(|| "clang".into());
        let found = Command::new(&clang).arg("--version").output();
        if !found.is_ok_and(|o| o.status.success()) {
            bail!(
                "`{}` is not available: the C example needs clang with the wasm32 target, \
                 lld, wasi-libc and libclang-rt-14-dev-wasm32 (Debian packages `clang lld \
                 wasi-libc libclang-rt-14-dev-wasm32`; `.ci/run` installs them), or `CLANG` \
                 naming such a clang",
                clang.to_string_lossy()
            );
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/c-host-buf/build.sh");
        let example = Example { dir };
        let output = Command::new(&script)
            .env("OUT_DIR", &example.dir)
            .env("NATIVE_BENCH", "1")
            .output()
            .with_context(|| format!("cannot run `{}`", script.display()))?;
        if !output.status.success() {
            bail!(
                "`{}` failed:\n{}",
                script.display(),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(example)
    }

    /// A directory of this process under the cargo target directory the
    /// running test or benchmark executable lives in (`<target>/<profile>/
    /// deps/<exe>`), so concurrent runs do not share one.
    pub fn default_dir(what: &str) -> Result<PathBuf> {
        let exe = std::env::current_exe().context("cannot locate the running executable")?;
        let profile = exe
            .parent()
            .and_then(Path::parent)
            .ok_or_else(|| anyhow!("`{}` is not in a cargo target directory", exe.display()))?;
        Ok(profile
            .join("c-host-buf")
            .join(format!("{what}-{}", std::process::id())))
    }

    /// A file the build wrote.
    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// A file the build wrote, read.
    pub fn read(&self, file: &str) -> Result<Vec<u8>> {
        let path = self.path(file);
        std::fs::read(&path).with_context(|| format!("cannot read `{}`", path.display()))
    }

    /// The application linked with the C builtin (`wat_builtin: false`) or
    /// the WAT one, with `InlineMode::Auto`.
    pub fn linked(&self, wat_builtin: bool) -> Result<Vec<u8>> {
        self.linked_with_descriptor(wat_builtin, 0)
    }

    /// The same, for a host that vouches for a store-data descriptor of
    /// `bytes` bytes (see `variants::linked_app_with_descriptor`).
    pub fn linked_with_descriptor(&self, wat_builtin: bool, bytes: u32) -> Result<Vec<u8>> {
        let builtin = if wat_builtin {
            WAT_BUILTIN.as_bytes().to_vec()
        } else {
            self.read("builtin.wasm")?
        };
        let linked = wasm_prelink::Linker::new()
            .builtin(API, builtin)?
            .inline(InlineMode::Auto)
            .store_data_descriptor(bytes)
            .link(&self.read("app.wasm")?)?;
        Ok(linked.wasm)
    }
}

impl Drop for Example {
    fn drop(&mut self) {
        // Best effort: a leftover directory is harmless, and a drop that
        // panics while a failing test unwinds would hide its message.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The ways of running the application, in report order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Native, accessors inlined.
    Native,
    /// Native, a call per access.
    NativeCalls,
    /// Our runtime, linked with the C builtin.
    PrelinkC,
    /// Our runtime, linked with the WAT builtin.
    PrelinkWat,
    /// Wasmtime 48, unlinked, host functions.
    WasmtimeHost,
    /// Wasmtime 48, linked with the C builtin and wrapped as a component.
    WasmtimePrelinked,
}

impl Kind {
    /// Every variant, in report order.
    pub const ALL: [Kind; 6] = [
        Kind::Native,
        Kind::NativeCalls,
        Kind::PrelinkC,
        Kind::PrelinkWat,
        Kind::WasmtimeHost,
        Kind::WasmtimePrelinked,
    ];

    /// What every ratio is relative to: the program as a C compiler
    /// builds it when it can see the accessors.
    pub const BASELINE: Kind = Kind::Native;

    /// Short stable identifier (criterion benchmark id).
    pub fn id(self) -> &'static str {
        match self {
            Kind::Native => "native",
            Kind::NativeCalls => "native-calls",
            Kind::PrelinkC => "prelink-c",
            Kind::PrelinkWat => "prelink-wat",
            Kind::WasmtimeHost => "wasmtime-host",
            Kind::WasmtimePrelinked => "wasmtime-prelinked",
        }
    }

    /// What the variant is, for the report.
    pub fn description(self) -> &'static str {
        match self {
            Kind::Native => "clang -O2, app and accessors in one translation unit",
            Kind::NativeCalls => "clang -O2, accessors in another translation unit",
            Kind::PrelinkC => "our runtime, linked with the C builtin (auto inlining)",
            Kind::PrelinkWat => "our runtime, linked with the WAT builtin (auto inlining)",
            Kind::WasmtimeHost => "wasmtime 48, unlinked app, API as host functions",
            Kind::WasmtimePrelinked => {
                "wasmtime 48, linked with the C builtin, as a component (`--emit component`), intrinsics exposed"
            }
        }
    }

    /// Parses [`Kind::id`] back.
    pub fn from_id(id: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.id() == id)
    }
}

/// A variant ready to run calls over its own copy of the input.
pub trait Runner {
    /// Makes `call` once; its result as the C code sees it (`uint32_t`
    /// zero-extended, `int32_t` sign-extended, 0 for `void`).
    fn call(&mut self, call: Call) -> Result<i64>;
    /// Makes `call` `repeat` times; the last result and the time all of
    /// them took, measured as close to the calls as the variant allows.
    fn time(&mut self, call: Call, repeat: u64) -> Result<(i64, Duration)> {
        let start = std::time::Instant::now();
        let mut result = 0;
        for _ in 0..repeat {
            result = self.call(call)?;
        }
        Ok((result, start.elapsed()))
    }
    /// The buffer as it is now.
    fn buffer(&mut self) -> Result<Vec<u8>>;
}

/// Builds `kind` over a copy of `input`; the native variants keep it in
/// `input_file`, which must be a path of their own.
pub fn build(
    kind: Kind,
    example: &Example,
    input: &[u8],
    input_file: PathBuf,
) -> Result<Box<dyn Runner>> {
    Ok(match kind {
        Kind::Native => Box::new(Native::new(
            example.path("native-bench"),
            input,
            input_file,
        )?),
        Kind::NativeCalls => Box::new(Native::new(
            example.path("native-bench-calls"),
            input,
            input_file,
        )?),
        Kind::PrelinkC => Box::new(Prelink::new(&example.linked(false)?, input)?),
        Kind::PrelinkWat => Box::new(Prelink::new(&example.linked(true)?, input)?),
        Kind::WasmtimeHost => Box::new(WasmtimeHost::new(&example.read("app.wasm")?, input)?),
        Kind::WasmtimePrelinked => {
            let linked =
                example.linked_with_descriptor(false, crate::workload::DESCRIPTOR_BYTES)?;
            Box::new(WasmtimePrelinked::new(&linked, input)?)
        }
    })
}

/// A result as C sees it, from the Wasm value an export returned.
fn c_result(call: Call, results: &[i64], wide: bool) -> Result<i64> {
    match results {
        [] => Ok(0),
        [x] if wide || call.signed => Ok(*x),
        [x] => Ok(i64::from(*x as u32)),
        more => bail!("`{}` returned {} values", call.export, more.len()),
    }
}

/// The native drivers: one process per [`Runner::time`], which repeats the
/// call itself. The buffer lives in the input file, which the driver
/// rewrites after its calls so that state carries over as it does in an
/// instance.
struct Native {
    exe: PathBuf,
    file: PathBuf,
}

impl Native {
    fn new(exe: PathBuf, input: &[u8], file: PathBuf) -> Result<Native> {
        std::fs::write(&file, input)
            .with_context(|| format!("cannot write `{}`", file.display()))?;
        Ok(Native { exe, file })
    }
}

impl Runner for Native {
    fn call(&mut self, call: Call) -> Result<i64> {
        Ok(self.time(call, 1)?.0)
    }

    fn time(&mut self, call: Call, repeat: u64) -> Result<(i64, Duration)> {
        let output = Command::new(&self.exe)
            .arg(&self.file)
            .arg(repeat.to_string())
            .arg(call.export)
            .args(call.args.iter().map(u64::to_string))
            .env("NATIVE_BENCH_OUT", &self.file)
            .output()
            .with_context(|| format!("cannot run `{}`", self.exe.display()))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            bail!(
                "`{}` {}: {}{}",
                self.exe.display(),
                call.id(),
                String::from_utf8_lossy(&output.stderr),
                stdout
            );
        }
        let parsed = stdout
            .split_whitespace()
            .map(str::parse::<i64>)
            .collect::<Result<Vec<_>, _>>();
        match parsed.as_deref() {
            Ok(&[result, ns]) if ns >= 0 => Ok((result, Duration::from_nanos(ns as u64))),
            _ => bail!(
                "`{}` printed `{}`, expected a result and nanoseconds",
                self.exe.display(),
                stdout.trim()
            ),
        }
    }

    fn buffer(&mut self) -> Result<Vec<u8>> {
        std::fs::read(&self.file).with_context(|| format!("cannot read `{}`", self.file.display()))
    }
}

/// Our runtime on a linked module, lowering on (the default).
struct Prelink {
    store: wasm_prelink_runtime::Store,
    instance: wasm_prelink_runtime::Instance,
}

impl Prelink {
    fn new(wasm: &[u8], input: &[u8]) -> Result<Prelink> {
        use wasm_prelink_runtime::{Config, Engine, Linker, Module, Store};
        let engine = Engine::new(Config::new())?;
        let module = Module::new(&engine, wasm)?;
        let mut store = Store::new(&engine);
        store.set_host_buffer(input.to_vec());
        let instance = Linker::new().instantiate(&mut store, &module)?;
        // A reactor's host calls `_initialize` before anything else.
        instance.call(&mut store, "_initialize", &[])?;
        Ok(Prelink { store, instance })
    }
}

impl Runner for Prelink {
    fn call(&mut self, call: Call) -> Result<i64> {
        use wasm_prelink_runtime::{Val, ValType};
        let func = self
            .instance
            .get_func(&self.store, call.export)
            .ok_or_else(|| anyhow!("the linked app has no export `{}`", call.export))?;
        let ty = func.ty(&self.store);
        let wide = ty.results.first() == Some(&ValType::I64);
        let args: Vec<Val> = ty
            .params
            .iter()
            .zip(call.args)
            .map(|(ty, &arg)| match ty {
                ValType::I64 => Val::I64(arg as i64),
                _ => Val::I32(arg as i32),
            })
            .collect();
        let results = func
            .call(&mut self.store, &args)?
            .into_iter()
            .map(|v| match v {
                Val::I32(x) => Ok(i64::from(x)),
                Val::I64(x) => Ok(x),
                other => Err(anyhow!("`{}` returned {other:?}", call.export)),
            })
            .collect::<Result<Vec<_>>>()?;
        c_result(call, &results, wide)
    }

    fn buffer(&mut self) -> Result<Vec<u8>> {
        Ok(self.store.host_buffer().to_vec())
    }
}

/// Wasmtime 48 on the unlinked application, the API as host functions with
/// the builtin's bounds checks.
struct WasmtimeHost {
    store: wasmtime::Store<HostBuffer>,
    instance: wasmtime::Instance,
}

impl WasmtimeHost {
    fn new(wasm: &[u8], input: &[u8]) -> Result<WasmtimeHost> {
        use wasmtime::{Config, Engine, Linker, Module, Store};
        let engine = Engine::new(&Config::new())?;
        let mut linker = Linker::<HostBuffer>::new(&engine);
        crate::variants::wasmtime_core::define_host_api(&mut linker)?;
        let module = Module::new(&engine, wasm)?;
        let mut store = Store::new(&engine, HostBuffer::new(input.to_vec()));
        let instance = linker.instantiate(&mut store, &module)?;
        instance
            .get_typed_func::<(), ()>(&mut store, "_initialize")?
            .call(&mut store, ())?;
        Ok(WasmtimeHost { store, instance })
    }
}

impl Runner for WasmtimeHost {
    fn call(&mut self, call: Call) -> Result<i64> {
        use wasmtime::{Val, ValType};
        let func = self
            .instance
            .get_func(&mut self.store, call.export)
            .ok_or_else(|| anyhow!("the app has no export `{}`", call.export))?;
        let ty = func.ty(&self.store);
        let wide = ty.results().next().is_some_and(|t| t.is_i64());
        let args: Vec<Val> = ty
            .params()
            .zip(call.args)
            .map(|(ty, &arg)| match ty {
                ValType::I64 => Val::I64(arg as i64),
                _ => Val::I32(arg as i32),
            })
            .collect();
        let mut results = vec![Val::I32(0); ty.results().len()];
        func.call(&mut self.store, &args, &mut results)?;
        let results = results
            .into_iter()
            .map(|v| match v {
                Val::I32(x) => Ok(i64::from(x)),
                Val::I64(x) => Ok(x),
                other => Err(anyhow!("`{}` returned {other:?}", call.export)),
            })
            .collect::<Result<Vec<_>>>()?;
        c_result(call, &results, wide)
    }

    fn buffer(&mut self) -> Result<Vec<u8>> {
        Ok(self.store.data().bytes().to_vec())
    }
}

/// Wasmtime 48 on the app linked with the C builtin and wrapped as a
/// component: Wasmtime lowers the intrinsics itself.
struct WasmtimePrelinked {
    store: wasmtime::Store<HostBuffer>,
    instance: wasmtime::component::Instance,
    /// What the wrapper made of the exports: component names differ from
    /// the C names (`rle_encode` is lifted as `rle-encode`).
    wrapped: wasm_prelink::component::Wrapped,
}

impl WasmtimePrelinked {
    fn new(linked: &[u8], input: &[u8]) -> Result<WasmtimePrelinked> {
        use wasmtime::{component::Linker, Store};
        let engine = crate::variants::wasmtime_prelinked::engine()?;
        let (component, wrapped) = crate::variants::wasmtime_prelinked::compile(&engine, linked)?;
        let mut store = Store::new(&engine, HostBuffer::new(input.to_vec()));
        let instance = Linker::new(&engine).instantiate(&mut store, &component)?;
        Ok(WasmtimePrelinked {
            store,
            instance,
            wrapped,
        })
    }
}

impl Runner for WasmtimePrelinked {
    fn call(&mut self, call: Call) -> Result<i64> {
        use wasmtime::component::{Type, Val};
        let func = self
            .wrapped
            .export_name(call.export)
            .and_then(|name| self.instance.get_func(&mut self.store, name))
            .ok_or_else(|| anyhow!("the wrapped app has no export `{}`", call.export))?;
        let ty = func.ty(&self.store);
        let wide = ty
            .results()
            .next()
            .is_some_and(|t| matches!(t, Type::S64 | Type::U64));
        let args: Vec<Val> = ty
            .params()
            .zip(call.args)
            .map(|((_, ty), &arg)| match ty {
                Type::U64 => Val::U64(arg),
                Type::S64 => Val::S64(arg as i64),
                Type::U32 => Val::U32(arg as u32),
                _ => Val::S32(arg as i32),
            })
            .collect();
        let mut results = vec![Val::Bool(false); ty.results().len()];
        func.call(&mut self.store, &args, &mut results)?;
        let results = results
            .iter()
            .map(crate::variants::wasmtime_prelinked::int)
            .collect::<Result<Vec<_>>>()?;
        c_result(call, &results, wide)
    }

    fn buffer(&mut self) -> Result<Vec<u8>> {
        Ok(self.store.data().bytes().to_vec())
    }
}
