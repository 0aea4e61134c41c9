//! `wasm-prelink run --engine wasmtime`: the linked module on stock
//! Wasmtime 48, its intrinsics lowered by Wasmtime itself.
//!
//! Wasmtime implements the same seventeen intrinsics as our lowering plugin
//! (same names, same core signatures), but only for components, and only
//! when the embedder asks for them with
//! `CodeBuilder::expose_unsafe_intrinsics`. So this engine takes the module
//! `run` prepared (linked when builtins were given), wraps it into a
//! component whose `unsafe-intrinsics` instance import Wasmtime then serves
//! itself, compiles that with the intrinsics exposed, and calls the export
//! through the component's lifted functions.
//!
//! Everything a user sees is kept identical to the reference engine, so the
//! two can be compared run for run (`cli/tests/engine.rs` does):
//!
//! - The store data is the same host-buffer record, `#[repr(C)] { ptr: u64,
//!   len: u64 }`, as the first field of the store's data, so
//!   `store-data-address` points at it; the buffer comes from
//!   `--host-buffer` and goes to `--host-buffer-out` after the call, also
//!   after a trap.
//! - Arguments are parsed by the core type behind each component parameter
//!   and results printed as the core value, so an `i32` the wrapper lifted
//!   as `u32` still prints signed.
//! - Traps are reported with the reference runtime's names for them, so
//!   `peek` trapping out of range reads the same on both engines.
//!
//! A module that imports `wasi_snapshot_preview1` becomes a WASI 0.2
//! component and runs with the caller's environment and standard streams;
//! its arguments are the module's path followed by the `ARG`s. A command
//! (`--invoke _start`) runs through `wasi:cli/run`, and its exit status
//! becomes ours — 0 or 1: the standard preview1 adapter turns `proc_exit`
//! into WASI 0.2's `exit`, which carries only success or failure.

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use wasm_prelink_runtime::{FuncType, Trap as ReferenceTrap, Val as CoreVal, ValType};
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, ComponentExportIndex, Func, Instance, Linker, Type, Val};
use wasmtime::{CodeBuilder, Config, Engine, Store};
use wasmtime_wasi::{ResourceTable, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use wasm_prelink::component::Wrapped;

use crate::run::timeout::{Timeout, Watchdog};
use crate::run::{display, parse_args};

/// The name of the instance import Wasmtime serves with its intrinsics;
/// the wrapper names the intrinsics import this by default.
const INTRINSICS_IMPORT: &str = "unsafe-intrinsics";

/// The core export a WASI command runs through, and the component export
/// the preview1 adapter turns it into.
const COMMAND_EXPORT: &str = "_start";
const WASI_RUN: &str = "wasi:cli/run";

/// One `run` as the command line asked for it.
pub(crate) struct Invocation<'a> {
    /// The module's path, for messages and as the WASI program name.
    pub(crate) module: &'a Path,
    /// The core module to run, already linked.
    pub(crate) wasm: &'a [u8],
    /// The export to call.
    pub(crate) export: &'a str,
    /// Its arguments as typed on the command line.
    pub(crate) args: &'a [String],
    /// The initial host buffer.
    pub(crate) buffer: Vec<u8>,
    /// Where to write the host buffer after the call.
    pub(crate) buffer_out: Option<&'a Path>,
    /// `--timeout`: how long instantiation and the call may run.
    pub(crate) timeout: Option<&'a Timeout>,
}

/// The program asked to exit with this status (WASI `proc_exit`, or a
/// command's `run` returning an error): not an error message, an exit code.
#[derive(Debug)]
pub(crate) struct ExitStatus(pub(crate) i32);

impl std::fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the program exited with status {}", self.0)
    }
}

impl std::error::Error for ExitStatus {}

/// The host-buffer record builtins read through `store-data-address`.
#[repr(C)]
struct BufferRecord {
    ptr: u64,
    len: u64,
}

/// The store's data. `#[repr(C)]` with the record first, so the address
/// Wasmtime returns for `store-data-address` (that of the store's `T`) is
/// the record's address. The record points into `buffer`'s heap block,
/// which neither moving this value nor Wasmtime boxing it moves; the
/// buffer is never resized while the store lives.
#[repr(C)]
struct StoreData {
    record: BufferRecord,
    buffer: Vec<u8>,
    wasi: WasiCtx,
    table: ResourceTable,
}

/// The store data's descriptor (see `wasm_prelink::Linker::
/// store_data_descriptor`): the record, which stays put while Wasm runs
/// (no host function here writes it) and points into a buffer outside it.
pub(crate) const DESCRIPTOR_BYTES: u32 = std::mem::size_of::<BufferRecord>() as u32;

// What the builtins assume about the layout, checked when compiling.
const _: () = {
    assert!(std::mem::offset_of!(StoreData, record) == 0);
    assert!(std::mem::offset_of!(BufferRecord, ptr) == 0);
    assert!(std::mem::offset_of!(BufferRecord, len) == 8);
};

impl StoreData {
    fn new(mut buffer: Vec<u8>, wasi: WasiCtx) -> StoreData {
        let record = BufferRecord {
            ptr: buffer.as_mut_ptr() as u64,
            len: buffer.len() as u64,
        };
        StoreData {
            record,
            buffer,
            wasi,
            table: ResourceTable::new(),
        }
    }
}

impl WasiView for StoreData {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Wraps, compiles, instantiates and calls; prints the results.
pub(crate) fn run(mut call: Invocation<'_>) -> Result<()> {
    let module = call.module.display();
    let wrapped = crate::component::wrap_module(call.wasm, wasm_prelink::DEFAULT_NAMESPACE)
        .with_context(|| format!("cannot wrap `{module}`"))?;
    let mut config = Config::new();
    config.epoch_interruption(call.timeout.is_some());
    // Wasmtime's inliner, as its documentation recommends with exposed
    // intrinsics; the benchmarks measure what it buys (BENCHMARKS.md).
    config.compiler_inlining(wasmtime::Inlining::Yes);
    let engine = Engine::new(&config)?;
    let component = compile(&engine, &wrapped.bytes)
        .with_context(|| format!("cannot compile `{module}` with Wasmtime"))?;
    let mut linker = Linker::<StoreData>::new(&engine);
    if uses_wasi(&engine, &component) {
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    }
    let wasi = wasi_context(call.module, call.args);
    let mut store = Store::new(
        &engine,
        StoreData::new(std::mem::take(&mut call.buffer), wasi),
    );
    // Armed before instantiation, so that a start function (or a
    // reactor's `_initialize`) that does not return is stopped too, by
    // Wasmtime's epochs (see `run/timeout.rs`).
    let _watchdog = call.timeout.map(|timeout| {
        store.set_epoch_deadline(1);
        let engine = engine.clone();
        Watchdog::start(timeout.limit, move || engine.increment_epoch())
    });
    // Errors before the call leave no buffer behind, as on the reference
    // engine; once the export ran, the buffer is written whatever it did.
    let target = prepare(&mut store, &linker, &component, &wrapped, &call)?;
    let outcome = target.call(&mut store, call.export, call.timeout);
    if let Some(path) = call.buffer_out {
        crate::output::write_file(path, &store.data().buffer)
            .with_context(|| format!("cannot write host buffer `{}`", path.display()))?;
    }
    let text: String = outcome?
        .into_iter()
        .map(|value| display(value) + "\n")
        .collect();
    crate::output::write_stdout(text.as_bytes())
}

/// Compiles the wrapped component with Wasmtime's intrinsics exposed under
/// the name the wrapper imports them by.
fn compile(engine: &Engine, bytes: &[u8]) -> Result<Component> {
    let mut builder = CodeBuilder::new(engine);
    // SAFETY: the intrinsics reach only the builtins `run` linked in (or a
    // module the user vouched for), and those read the store data as the
    // `#[repr(C)]` host-buffer record `StoreData` starts with (its layout
    // is asserted above) and access the buffer it describes within its
    // recorded length, through the checked intrinsics.
    unsafe {
        builder.expose_unsafe_intrinsics(INTRINSICS_IMPORT);
    }
    builder.wasm_binary(bytes, None)?;
    Ok(builder.compile_component()?)
}

/// Whether the component imports any WASI interface.
fn uses_wasi(engine: &Engine, component: &Component) -> bool {
    component
        .component_type()
        .imports(engine)
        .any(|(name, _)| name.starts_with("wasi:"))
}

/// WASI with the caller's environment and standard streams; the program
/// sees the module's path and the command line's `ARG`s as its arguments.
fn wasi_context(module: &Path, args: &[String]) -> WasiCtx {
    let mut argv = vec![module.display().to_string()];
    argv.extend(args.iter().cloned());
    WasiCtxBuilder::new()
        .inherit_stdio()
        .inherit_env()
        .args(&argv)
        .build()
}

/// What `--invoke` names, ready to call.
enum Target {
    /// A lifted export, its arguments and how many results it has.
    Export(Func, Vec<Val>, usize),
    /// A WASI command's `run`.
    Command(Func),
}

/// Instantiates the component and finds the export, its arguments parsed.
fn prepare(
    store: &mut Store<StoreData>,
    linker: &Linker<StoreData>,
    component: &Component,
    wrapped: &Wrapped,
    call: &Invocation<'_>,
) -> Result<Target> {
    let instance = match linker.instantiate(&mut *store, component) {
        Ok(instance) => instance,
        // A timeout names itself, as on the reference engine.
        Err(e) if call.timeout.is_some() && is_interrupt(&e) => {
            return Err(describe_trap(e, "instantiation", call.timeout))
        }
        Err(e) => {
            return Err(describe_trap(e, "instantiation", call.timeout)
                .context(format!("cannot instantiate `{}`", call.module.display())))
        }
    };
    if let Some(name) = wrapped.export_name(call.export) {
        if let Some(func) = instance.get_func(&mut *store, name) {
            return export_target(store, func, call);
        }
    }
    if call.export == COMMAND_EXPORT {
        if let Some(run) = command_name(store.engine(), component)
            .and_then(|name| command_run(store, &instance, &name))
        {
            return Ok(Target::Command(run));
        }
    }
    bail!("{}", missing_export(wrapped, call.export))
}

/// A lifted export with the command line's arguments, parsed by the core
/// types behind its component types.
fn export_target(
    store: &mut Store<StoreData>,
    func: Func,
    call: &Invocation<'_>,
) -> Result<Target> {
    let ty = func.ty(&*store);
    let params: Vec<Type> = ty.params().map(|(_, t)| t).collect();
    let core = FuncType {
        params: params
            .iter()
            .map(|t| core_type(call.export, t))
            .collect::<Result<_>>()?,
        results: ty
            .results()
            .map(|t| core_type(call.export, &t))
            .collect::<Result<_>>()?,
    };
    let values = parse_args(call.export, &core, call.args)?;
    let values = values
        .into_iter()
        .zip(&params)
        .map(|(v, t)| lift(v, t))
        .collect();
    Ok(Target::Export(func, values, core.results.len()))
}

impl Target {
    /// Calls the target; the core values it returned.
    fn call(
        self,
        store: &mut Store<StoreData>,
        export: &str,
        timeout: Option<&Timeout>,
    ) -> Result<Vec<CoreVal>> {
        match self {
            Target::Export(func, params, results) => {
                let mut out = vec![Val::Bool(false); results];
                func.call(&mut *store, &params, &mut out)
                    .map_err(|e| describe_trap(e, export, timeout))?;
                out.into_iter().map(|v| lower(export, v)).collect()
            }
            Target::Command(run) => run_command(store, run, export, timeout),
        }
    }
}

/// The full name of the component's `wasi:cli/run` export, if it is a
/// WASI command.
fn command_name(engine: &Engine, component: &Component) -> Option<String> {
    component
        .component_type()
        .exports(engine)
        .find(|(name, item)| {
            name.split('@').next() == Some(WASI_RUN)
                && matches!(item.ty, ComponentItem::ComponentInstance(_))
        })
        .map(|(name, _)| name.to_owned())
}

/// Why `name` cannot be invoked: the component left it out (the wrapper's
/// warning says why), or the module has no such function export (worded
/// as the reference engine words it, naming the core exports).
fn missing_export(wrapped: &Wrapped, name: &str) -> String {
    let quoted = format!("`{name}`");
    if let Some(warning) = wrapped.warnings.iter().find(|w| w.contains(&quoted)) {
        return format!("`{name}` cannot be called on Wasmtime: {warning}");
    }
    let names: Vec<String> = wrapped
        .exports
        .iter()
        .map(|(core, _)| format!("`{core}`"))
        .collect();
    if names.is_empty() {
        return format!("the module exports no function, so it has no `{name}`");
    }
    format!(
        "the module has no function export `{name}` (it exports {})",
        names.join(", ")
    )
}

/// The `run` function of a command's `wasi:cli/run` export, whatever its
/// version.
fn command_run(store: &mut Store<StoreData>, instance: &Instance, name: &str) -> Option<Func> {
    let interface: ComponentExportIndex = instance.get_export_index(&mut *store, None, name)?;
    let run = instance.get_export_index(&mut *store, Some(&interface), "run")?;
    instance.get_func(&mut *store, run)
}

/// Runs a WASI command: no arguments besides the program's own, no
/// results; a failing `run` is exit status 1, `proc_exit` its own status.
fn run_command(
    store: &mut Store<StoreData>,
    run: Func,
    export: &str,
    timeout: Option<&Timeout>,
) -> Result<Vec<CoreVal>> {
    let mut result = [Val::Bool(false)];
    match run.call(&mut *store, &[], &mut result) {
        Ok(()) => match result {
            [Val::Result(Ok(_))] => Ok(Vec::new()),
            _ => Err(ExitStatus(1).into()),
        },
        Err(error) => match error.downcast_ref::<wasmtime_wasi::I32Exit>() {
            Some(exit) if exit.0 == 0 => Ok(Vec::new()),
            Some(exit) => Err(ExitStatus(exit.0).into()),
            None => Err(describe_trap(error, export, timeout)),
        },
    }
}

/// Whether `error` is the trap epoch interruption raises.
fn is_interrupt(error: &wasmtime::Error) -> bool {
    matches!(
        error.downcast_ref::<wasmtime::Trap>(),
        Some(wasmtime::Trap::Interrupt)
    )
}

/// A trap as the reference engine words it: "`EXPORT` trapped: KIND"; an
/// interrupt, which only `--timeout` arms, as the timeout that caused it.
fn describe_trap(error: wasmtime::Error, what: &str, timeout: Option<&Timeout>) -> anyhow::Error {
    if let (true, Some(timeout)) = (is_interrupt(&error), timeout) {
        return if what == "instantiation" {
            timeout.expired("instantiating the module")
        } else {
            timeout.expired(&format!("`{what}`"))
        };
    }
    match error.downcast_ref::<wasmtime::Trap>() {
        Some(&trap) => anyhow!("`{what}` trapped: {}", trap_name(trap)),
        None => error.into(),
    }
}

/// The reference runtime's name for a Wasmtime trap where it has one.
fn trap_name(trap: wasmtime::Trap) -> String {
    use wasmtime::Trap as W;
    let reference = match trap {
        W::MemoryOutOfBounds => ReferenceTrap::MemoryOutOfBounds,
        W::TableOutOfBounds => ReferenceTrap::TableOutOfBounds,
        W::IndirectCallToNull => ReferenceTrap::IndirectCallToNull,
        W::BadSignature => ReferenceTrap::BadSignature,
        W::UnreachableCodeReached => ReferenceTrap::Unreachable,
        W::IntegerDivisionByZero => ReferenceTrap::IntegerDivisionByZero,
        W::IntegerOverflow => ReferenceTrap::IntegerOverflow,
        W::BadConversionToInteger => ReferenceTrap::BadConversionToInteger,
        W::StackOverflow => ReferenceTrap::StackOverflow,
        W::NullReference => ReferenceTrap::NullReference,
        W::HeapMisaligned => ReferenceTrap::HeapMisaligned,
        other => return other.to_string(),
    };
    reference.to_string()
}

/// The core type a lifted parameter or result carries. The wrapper lifts
/// only numeric core signatures, so anything else is a component this
/// command did not make.
fn core_type(export: &str, ty: &Type) -> Result<ValType> {
    Ok(match ty {
        Type::S32 | Type::U32 => ValType::I32,
        Type::S64 | Type::U64 => ValType::I64,
        Type::Float32 => ValType::F32,
        Type::Float64 => ValType::F64,
        other => bail!("`{export}` has a parameter or result of component type `{other:?}`, which has no core number type"),
    })
}

/// A parsed core value as the component parameter type `ty`.
fn lift(value: CoreVal, ty: &Type) -> Val {
    match (value, ty) {
        (CoreVal::I32(v), Type::U32) => Val::U32(v as u32),
        (CoreVal::I32(v), _) => Val::S32(v),
        (CoreVal::I64(v), Type::U64) => Val::U64(v as u64),
        (CoreVal::I64(v), _) => Val::S64(v),
        (CoreVal::F32(bits), _) => Val::Float32(f32::from_bits(bits)),
        (CoreVal::F64(bits), _) => Val::Float64(f64::from_bits(bits)),
        // `core_type` admits numbers only, so `parse_args` made numbers.
        (other, _) => unreachable!("a non-number argument {other:?}"),
    }
}

/// A component result back as the core value the export returned.
fn lower(export: &str, value: Val) -> Result<CoreVal> {
    Ok(match value {
        Val::S32(v) => CoreVal::I32(v),
        Val::U32(v) => CoreVal::I32(v as i32),
        Val::S64(v) => CoreVal::I64(v),
        Val::U64(v) => CoreVal::I64(v as i64),
        Val::Float32(v) => CoreVal::F32(v.to_bits()),
        Val::Float64(v) => CoreVal::F64(v.to_bits()),
        other => bail!("`{export}` returned {other:?}, which has no core number type"),
    })
}
