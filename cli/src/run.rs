//! `wasm-prelink run`: link, then run one export on the reference runtime
//! or, with `--engine wasmtime`, on stock Wasmtime (`wasmtime_engine.rs`).
//!
//! This is the whole pipeline in one command: stage 1 (the linker, default
//! inline mode) merges the builtins into the module, stage 2 (the lowering
//! plugin inside `wasm_prelink_runtime`) turns the builtins' intrinsic calls
//! into native loads and stores while the module is compiled, and the
//! export runs against a host buffer.
//!
//! The host buffer is the store data convention of the bundled `host-buf`
//! example: `store-data-address` returns the address of a
//! `#[repr(C)] { ptr: u64, len: u64 }` pair describing the buffer. It is
//! read from `--host-buffer` (default: 64 KiB of zeros) and written to
//! `--host-buffer-out` after the call — also after a trap, so the state the
//! program left behind can be inspected.
//!
//! Arguments are typed by the export's signature (integers in decimal or
//! `0x` hex, signed or unsigned; floats as Rust parses them, `nan` and
//! `inf` included; references as `null`, or a number for `externref`).
//! Results are printed one per line, integers signed. A trap is an error
//! naming the export and the trap kind, with exit status 1 like every other
//! error.
//!
//! Intrinsics are served only to a module this command linked itself, or
//! to one the user trusts with `--allow-intrinsics` (see `crate::trusted`).
//! `--timeout SECONDS` stops a call (or a start function) that runs
//! longer, with the same exit status, on either engine (see [`timeout`]).

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use wasm_prelink::{InlineMode, Linker};
use wasm_prelink_runtime::{self as runtime, Engine, Error, FuncType, Module, Store, Val, ValType};

/// Size of the default host buffer.
const DEFAULT_HOST_BUFFER: usize = 64 * 1024;

pub(crate) mod timeout;

#[derive(Args)]
#[command(allow_negative_numbers = true)]
pub(crate) struct RunArgs {
    /// The module to run (binary or text; `-` reads stdin).
    module: PathBuf,
    /// A builtin module satisfying imports from module NAME (repeatable);
    /// with any, MODULE is linked first.
    #[arg(long = "builtin", value_name = "NAME=FILE")]
    builtins: Vec<String>,
    /// A module implementing part of host module NAME and wrapping the rest
    /// (repeatable); with any, MODULE is linked first.
    #[arg(long = "virtualize", value_name = "NAME=FILE")]
    virtualizers: Vec<String>,
    /// The exported function to call.
    #[arg(long, value_name = "EXPORT")]
    invoke: String,
    /// Arguments of the call, one per parameter.
    #[arg(value_name = "ARG")]
    args: Vec<String>,
    /// Initial contents of the host buffer (default: 64 KiB of zeros).
    #[arg(long, value_name = "FILE")]
    host_buffer: Option<PathBuf>,
    /// Where to write the host buffer after the call.
    #[arg(long, value_name = "FILE")]
    host_buffer_out: Option<PathBuf>,
    /// Serve the intrinsics to MODULE although this command does not link
    /// it (a module linked earlier whose builtins you trust).
    #[arg(long)]
    allow_intrinsics: bool,
    /// The engine that runs the module: the reference runtime, or stock
    /// Wasmtime on the module wrapped as a component.
    #[arg(long, value_name = "reference|wasmtime", default_value = "reference")]
    engine: EngineKind,
    /// Stop the run with an error when it has not finished after SECONDS
    /// (fractions allowed).
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<String>,
}

/// The engines `run` can use.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum EngineKind {
    /// Cranelift with the lowering plugin (`wasm_prelink_runtime`).
    Reference,
    /// Wasmtime 48, the module wrapped as a component, intrinsics exposed.
    Wasmtime,
}

pub(crate) fn run(args: RunArgs) -> Result<()> {
    let timeout = match &args.timeout {
        Some(text) => Some(timeout::parse(text).map_err(|e| anyhow!("`--timeout {text}`: {e}"))?),
        None => None,
    };
    let builtins = crate::inputs::parse_builtins(&args.builtins)?;
    let virtualizers = crate::inputs::parse_virtualizers(&args.virtualizers)?;
    let extra: Vec<&crate::inputs::BuiltinArg> = builtins.iter().chain(&virtualizers).collect();
    crate::inputs::check_stdin_once(&args.module, "the module", &extra)?;
    let input = crate::inputs::read_input(&args.module).context("cannot read the module")?;
    let wasm = if extra.is_empty() {
        wat::parse_bytes(&input)
            .with_context(|| format!("cannot parse `{}`", args.module.display()))?
            .into_owned()
    } else {
        // Wasmtime's store data keeps the `{ ptr, len }` promise of a
        // descriptor; our runtime's lowering knows it already.
        let descriptor = match args.engine {
            EngineKind::Wasmtime => crate::wasmtime_engine::DESCRIPTOR_BYTES,
            EngineKind::Reference => 0,
        };
        let linker = Linker::new()
            .inline(InlineMode::Auto)
            .store_data_descriptor(descriptor);
        let linker = crate::inputs::add_builtins(linker, &extra)?;
        match linker.link_owned(input) {
            Ok(linked) => linked.wasm,
            Err(error) => {
                let context = crate::inputs::link_failure(&error, &args.module, &extra);
                return Err(anyhow::Error::new(error).context(context));
            }
        }
    };
    crate::trusted::check_intrinsic_imports(
        &args.module,
        &wasm,
        wasm_prelink::DEFAULT_NAMESPACE,
        !extra.is_empty(),
        args.allow_intrinsics,
    )?;
    let buffer = match &args.host_buffer {
        Some(path) => std::fs::read(path)
            .with_context(|| format!("cannot read host buffer `{}`", path.display()))?,
        None => vec![0; DEFAULT_HOST_BUFFER],
    };
    if args.engine == EngineKind::Wasmtime {
        return crate::wasmtime_engine::run(crate::wasmtime_engine::Invocation {
            module: &args.module,
            wasm: &wasm,
            export: &args.invoke,
            args: &args.args,
            buffer,
            buffer_out: args.host_buffer_out.as_deref(),
            timeout: timeout.as_ref(),
        });
    }

    // No epoch checks: `--timeout` interrupts by signal (see `timeout`).
    let engine = Engine::new(runtime::Config::new())?;
    let module = Module::new(&engine, &wasm)
        .with_context(|| format!("cannot compile `{}`", args.module.display()))?;
    let ty = export_type(&module, &args.invoke)?;
    let values = parse_args(&args.invoke, &ty, &args.args)?;
    let mut store = Store::new(&engine);
    store.set_host_buffer(buffer);
    // Armed before instantiation, so that a start function that does not
    // return is stopped too.
    let _watchdog = timeout.as_ref().map(|timeout| {
        let handle = store.interrupt_handle();
        timeout::Watchdog::start(timeout.limit, move || handle.interrupt())
    });
    let instance = match runtime::Linker::new().instantiate(&mut store, &module) {
        Err(Error::Trap(runtime::Trap::Interrupt)) => {
            return Err(expired(timeout.as_ref(), "instantiating the module"))
        }
        other => other,
    }
    .with_context(|| format!("cannot instantiate `{}`", args.module.display()))?;
    let outcome = instance.call(&mut store, &args.invoke, &values);
    if let Some(path) = &args.host_buffer_out {
        crate::output::write_file(path, store.host_buffer())
            .with_context(|| format!("cannot write host buffer `{}`", path.display()))?;
    }
    match outcome {
        Ok(results) => {
            let text: String = results
                .into_iter()
                .map(|value| display(value) + "\n")
                .collect();
            crate::output::write_stdout(text.as_bytes())
        }
        Err(Error::Trap(runtime::Trap::Interrupt)) => {
            Err(expired(timeout.as_ref(), &format!("`{}`", args.invoke)))
        }
        Err(Error::Trap(trap)) => Err(anyhow!("`{}` trapped: {trap}", args.invoke)),
        Err(other) => Err(other.into()),
    }
}

/// The error of a run `--timeout` stopped; `what` names what ran.
fn expired(timeout: Option<&timeout::Timeout>, what: &str) -> anyhow::Error {
    match timeout {
        Some(timeout) => timeout.expired(what),
        // Only a timeout makes the engine interrupt code.
        None => anyhow!("{what} was interrupted"),
    }
}

fn export_type(module: &Module, name: &str) -> Result<FuncType> {
    let exports = module.exported_funcs();
    if let Some((_, ty)) = exports.iter().find(|(n, _)| n == name) {
        return Ok(ty.clone());
    }
    let names: Vec<String> = exports
        .iter()
        .map(|(n, _)| format!("`{}`", wasm_prelink::error::printable(n)))
        .collect();
    if names.is_empty() {
        bail!("the module exports no function, so it has no `{name}`");
    }
    bail!(
        "the module has no function export `{name}` (it exports {})",
        names.join(", ")
    )
}

pub(crate) fn parse_args(name: &str, ty: &FuncType, args: &[String]) -> Result<Vec<Val>> {
    if args.len() != ty.params.len() {
        bail!(
            "`{name}` has type {ty} and takes {} argument(s), {} given",
            ty.params.len(),
            args.len()
        );
    }
    args.iter()
        .zip(&ty.params)
        .enumerate()
        .map(|(i, (text, &param))| {
            parse_value(text, param).ok_or_else(|| {
                anyhow!(
                    "argument {} of `{name}` must be {param}, `{text}` is not",
                    i + 1
                )
            })
        })
        .collect()
}

/// An unsigned or signed integer of up to `bits` bits, decimal or `0x` hex.
fn parse_int(text: &str, bits: u32) -> Option<u64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let magnitude = match digits.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok()?,
        None => digits.parse::<u64>().ok()?,
    };
    let max = if bits == 64 {
        u64::MAX
    } else {
        (1 << bits) - 1
    };
    if negative {
        let limit = 1u64 << (bits - 1);
        (magnitude <= limit).then(|| magnitude.wrapping_neg() & max)
    } else {
        (magnitude <= max).then_some(magnitude)
    }
}

fn parse_value(text: &str, ty: ValType) -> Option<Val> {
    Some(match ty {
        ValType::I32 => Val::I32(parse_int(text, 32)? as u32 as i32),
        ValType::I64 => Val::I64(parse_int(text, 64)? as i64),
        ValType::F32 => Val::F32(text.parse::<f32>().ok()?.to_bits()),
        ValType::F64 => Val::F64(text.parse::<f64>().ok()?.to_bits()),
        ValType::V128 => Val::V128(match text.strip_prefix("0x") {
            Some(hex) => u128::from_str_radix(hex, 16).ok()?,
            None => text.parse().ok()?,
        }),
        ValType::FuncRef => (text == "null").then_some(Val::FuncRef(None))?,
        ValType::ExternRef => Val::ExternRef(match text {
            "null" => None,
            n => Some(n.parse().ok()?),
        }),
    })
}

pub(crate) fn display(value: Val) -> String {
    match value {
        Val::I32(v) => v.to_string(),
        Val::I64(v) => v.to_string(),
        Val::F32(bits) => f32::from_bits(bits).to_string(),
        Val::F64(bits) => f64::from_bits(bits).to_string(),
        Val::V128(v) => format!("0x{v:032x}"),
        Val::FuncRef(None) | Val::ExternRef(None) => "null".to_owned(),
        Val::FuncRef(Some(_)) => "funcref".to_owned(),
        Val::ExternRef(Some(n)) => format!("externref {n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_accept_both_signs_and_hex() {
        assert_eq!(parse_int("-1", 32), Some(0xffff_ffff));
        assert_eq!(parse_int("4294967295", 32), Some(0xffff_ffff));
        assert_eq!(parse_int("4294967296", 32), None);
        assert_eq!(parse_int("-2147483648", 32), Some(0x8000_0000));
        assert_eq!(parse_int("-2147483649", 32), None);
        assert_eq!(parse_int("0x10", 64), Some(16));
        assert_eq!(parse_int("-9223372036854775808", 64), Some(1 << 63));
        assert_eq!(parse_int("ten", 64), None);
    }
}
