//! Running a linked module as a component on Wasmtime, with Wasmtime's own
//! native intrinsics, under the same script as the other runs.
//!
//! `--emit component` promises that the wrapped module behaves like the
//! linked one, only faster: Wasmtime compiles the intrinsics to native
//! loads and stores (`CodeBuilder::expose_unsafe_intrinsics`). So every
//! case whose linked module can be wrapped (`wasm_prelink::component::wrap`)
//! runs as a component here, and its transcript must equal the reference
//! (the unlinked modules in wasmtime), read as [`expected`] reads it: a
//! checked intrinsic out of bounds is a trap once it is native, and a
//! component instance that trapped refuses every later call.
//!
//! The store data is the host-buffer record every other run uses,
//! `#[repr(C)] { ptr: u64, len: u64 }`, here at the very start of the
//! store's data ([`ComponentHost`]), because Wasmtime's `store-data-address`
//! is the address of the store's `T`.
//!
//! ## What the component host has
//!
//! A component imports functions only, so its host is the function part of
//! the test host (`crate::host`): `env`'s `log_i32`, `log_i64`, `log_f32`,
//! `log_f64` and `tick`, under the component names the wrapper gives them
//! (`log-i32`, …), logging the same lines. `log_str` and `call_back` read
//! the calling instance's exports, which a component host function cannot
//! see (and calling back into the component while it calls out is
//! re-entrance, which the component model forbids), so they are not
//! defined and a component importing them fails to instantiate.
//!
//! The host's memory, table and globals cannot be imported by a component,
//! so a module importing them is not wrapped at all; for every module that
//! is, nothing can change them, and the steps and the final state that
//! read them report the contents the test host creates them with. Exports a
//! component cannot carry (memories, tables, globals, tags, functions with
//! references, `v128` or several results) are left out by the wrapper, so a
//! step using one finds no such export, and the case differs from the
//! reference: that is what its `component-unsupported.txt` records.

use crate::case::{Case, Mismatch};
use crate::host::StoreData;
use crate::script::{float_arg, int_arg, Script, Step};
use crate::transcript::{
    dump, float_text, fnv1a, record_run, Executor, FinalState, Transcript, NO_INSTANCE,
};
use wasm_prelink::component::{component_name, wrap, ComponentOptions, Wrapped, DEFAULT_INSTANCE};
use wasm_prelink::InlineMode;
use wasmtime::component::{Component, Func, Instance, Linker, LinkerInstance, Type, Val};
use wasmtime::{CodeBuilder, Store, StoreContextMut, Trap};

/// Pages of the host memory `env.memory` starts with.
const HOST_MEMORY_PAGES: usize = 1;
/// Elements of the host table `env.table`.
const HOST_TABLE_SIZE: u64 = 10;
/// Bytes in a Wasm page.
const PAGE_SIZE: usize = 65536;

/// The store data of a component run. `#[repr(C)]` with the host-buffer
/// record first: Wasmtime's `store-data-address` returns the address of
/// this value, and builtins read `ptr` at offset 0 and `len` at offset 8.
#[repr(C)]
#[derive(Debug)]
pub struct ComponentHost {
    store_data: StoreData,
    buffer: Box<[u8]>,
    log: Vec<String>,
}

// The contract with builtins: the record starts the store data.
const _: () = assert!(std::mem::offset_of!(ComponentHost, store_data) == 0);

impl ComponentHost {
    /// A host whose buffer holds `buffer`. The record points into the
    /// buffer's heap block, which moving this value does not move.
    pub fn new(buffer: Vec<u8>) -> Self {
        let mut buffer = buffer.into_boxed_slice();
        ComponentHost {
            store_data: StoreData {
                ptr: buffer.as_mut_ptr() as u64,
                len: buffer.len() as u64,
            },
            buffer,
            log: Vec::new(),
        }
    }

    /// The host buffer as it is now.
    pub fn buffer(&self) -> &[u8] {
        &self.buffer
    }

    /// The store data as it is now. Builtins may write it with native
    /// stores the compiler of this crate cannot see, so it is read as
    /// volatile.
    pub fn store_data(&self) -> StoreData {
        // SAFETY: `store_data` is a valid, aligned field of `self`.
        unsafe { std::ptr::read_volatile(&self.store_data) }
    }

    /// Every host-visible effect so far, oldest first.
    pub fn log(&self) -> &[String] {
        &self.log
    }
}

/// Compiles a wrapped component with Wasmtime's intrinsics exposed under
/// the default instance name, the one [`wrap`] imports them by.
pub fn compile(engine: &wasmtime::Engine, component: &[u8]) -> wasmtime::Result<Component> {
    let mut builder = CodeBuilder::new(engine);
    builder.wasm_binary(component, None)?;
    // SAFETY: the component only ever runs in a `Store<ComponentHost>`,
    // whose data starts with the `{ ptr, len }` record the builtins of the
    // cases expect, describing a buffer the store owns and never moves or
    // resizes.
    unsafe {
        builder.expose_unsafe_intrinsics(DEFAULT_INSTANCE);
    }
    builder.compile_component()
}

/// The component name the wrapper gives a core name of the test host.
fn name(core: &str) -> String {
    component_name(core).unwrap_or_else(|| panic!("`{core}` has a component name"))
}

/// A component linker with the `env` functions of the test host that a
/// component can import (see the module documentation).
pub fn linker(engine: &wasmtime::Engine) -> wasmtime::Result<Linker<ComponentHost>> {
    let mut linker = Linker::new(engine);
    let mut env = linker.instance(&name("env"))?;
    logger(&mut env, "log_i32", |v: i32| format!("log_i32 {v}"))?;
    logger(&mut env, "log_i64", |v: i64| format!("log_i64 {v}"))?;
    logger(&mut env, "log_f32", |v: f32| {
        format!("log_f32 {}", float_text(v.into()))
    })?;
    logger(&mut env, "log_f64", |v: f64| {
        format!("log_f64 {}", float_text(v))
    })?;
    env.func_wrap(
        &name("tick"),
        |mut store: StoreContextMut<'_, ComponentHost>, (): ()| {
            store.data_mut().log.push("tick".into());
            Ok(())
        },
    )?;
    Ok(linker)
}

/// Defines `env.<core>`, a function of one parameter that logs the line
/// `render` makes of its argument.
fn logger<P>(
    env: &mut LinkerInstance<'_, ComponentHost>,
    core: &str,
    render: fn(P) -> String,
) -> wasmtime::Result<()>
where
    (P,): wasmtime::component::ComponentNamedList + wasmtime::component::Lift + 'static,
    P: 'static,
{
    env.func_wrap(
        &name(core),
        move |mut store: StoreContextMut<'_, ComponentHost>, (v,): (P,)| {
            store.data_mut().log.push(render(v));
            Ok(())
        },
    )
}

/// The store-data descriptor [`ComponentHost`] vouches for: its
/// `{ ptr, len }` record, which no host function writes and which points
/// outside itself.
pub const DESCRIPTOR_BYTES: u32 = std::mem::size_of::<StoreData>() as u32;

/// Links `case` in `mode`, wraps it, runs the component and compares the
/// transcript with the [`expected`] form of `reference`; twice, once as
/// linked for any host and once with the loads of the host's store-data
/// descriptor hoisted (as `wasm-prelink run --engine wasmtime` links).
pub fn check(case: &Case, mode: InlineMode, reference: &Transcript) -> Result<(), Mismatch> {
    check_linked(case, mode, 0, reference)?;
    check_linked(case, mode, DESCRIPTOR_BYTES, reference)
}

fn check_linked(
    case: &Case,
    mode: InlineMode,
    descriptor: u32,
    reference: &Transcript,
) -> Result<(), Mismatch> {
    let fail = |problem: String| Mismatch {
        mode,
        problem: match descriptor {
            0 => problem,
            bytes => format!("with a {bytes}-byte store-data descriptor: {problem}"),
        },
    };
    let linked = case
        .link_with_descriptor(mode, descriptor)
        .map_err(|e| fail(format!("link failed: {e}")))?;
    let wrapped = wrap(&linked.wasm, &ComponentOptions::default())
        .map_err(|e| fail(format!("cannot be wrapped: {e}")))?;
    let transcript = run(&wrapped, &case.script())
        .map_err(|e| fail(format!("wasmtime cannot compile the component: {e}")))?;
    let expected = expected(reference, &case.script());
    if transcript != expected {
        let left_out: String = wrapped
            .warnings
            .iter()
            .map(|warning| format!("\n  wrapper: {warning}"))
            .collect();
        return Err(fail(format!(
            "the component's run differs from the reference:{left_out}\n{}",
            crate::transcript::diff(&expected, &transcript)
        )));
    }
    Ok(())
}

/// The outcome of every call into a component instance after one of its
/// calls trapped.
const POISONED: &str = "trap CannotEnterComponent";

/// The reference transcript as a component must reproduce it, for the
/// steps of `script`.
///
/// Two rules of the engine, not of the linker, make it differ from the
/// reference:
///
/// - a checked intrinsic out of bounds is a trap once native, as on the
///   reference runtime ([`crate::runtime::expected`]);
/// - a trap *poisons* a component instance: the component model forbids
///   entering an instance again after it trapped, so Wasmtime refuses every
///   later call with [`Trap::CannotEnterComponent`] before it runs any code.
///   After the first `invoke` that traps (or fails in the host, or throws),
///   every later `invoke` that reaches a call is expected to be refused,
///   with no host-visible effects; the steps that fail before calling (no
///   such export, wrong arguments) and those that only read state are
///   compared unchanged, and so is the final host state, so a script whose
///   later calls would have changed it still differs.
pub fn expected(reference: &Transcript, script: &Script) -> Transcript {
    let mut expected = crate::runtime::expected(reference);
    let mut poisoned = false;
    // The first entry is instantiation; a failed one leaves no instance.
    for (entry, step) in expected.entries.iter_mut().skip(1).zip(&script.steps) {
        if !matches!(step, Step::Invoke { .. }) || entry.outcome.starts_with("error: ") {
            continue;
        }
        if poisoned {
            entry.outcome = POISONED.into();
            entry.log.clear();
        } else {
            poisoned = is_failure(&entry.outcome);
        }
    }
    expected
}

/// Whether a call's outcome is an abrupt end: a trap, a host function's
/// error or an uncaught exception (the outcome texts of
/// `crate::transcript`).
fn is_failure(outcome: &str) -> bool {
    ["trap ", "host error: ", "uncaught exception "]
        .iter()
        .any(|prefix| outcome.starts_with(prefix))
}

/// Compiles `wrapped`, instantiates it with the component host and records
/// `script`. Only a component Wasmtime cannot compile is an error;
/// instantiation failures are part of the transcript.
pub fn run(wrapped: &Wrapped, script: &Script) -> Result<Transcript, String> {
    let engine = crate::host::engine();
    let component = compile(engine, &wrapped.bytes).map_err(|e| format!("{e:#}"))?;
    let linker = linker(engine).map_err(|e| format!("the component host: {e:#}"))?;
    let mut store = Store::new(engine, ComponentHost::new(script.initial_buffer()));
    let instance = linker.instantiate(&mut store, &component);
    let outcome = match &instance {
        Ok(_) => "ok".to_string(),
        Err(error) => error_text(error),
    };
    let mut run = ComponentRun {
        store,
        instance: instance.ok(),
        exports: wrapped.exports.clone(),
    };
    Ok(record_run(&mut run, outcome, script))
}

/// A store, the component instance if instantiation succeeded, and the
/// lifted exports as `(core name, component name)`.
struct ComponentRun {
    store: Store<ComponentHost>,
    instance: Option<Instance>,
    exports: Vec<(String, String)>,
}

impl Executor for ComponentRun {
    fn log_len(&self) -> usize {
        self.store.data().log.len()
    }

    fn log_since(&self, start: usize) -> Vec<String> {
        self.store.data().log[start..].to_vec()
    }

    fn run_step(&mut self, step: &Step) -> String {
        let missing = |kind: &str, export: &str| format!("error: no exported {kind} `{export}`");
        match step {
            Step::Invoke { export, args } => {
                let Some(instance) = self.instance else {
                    return NO_INSTANCE.into();
                };
                let func = self
                    .exports
                    .iter()
                    .find(|(core, _)| core == export)
                    .and_then(|(_, name)| instance.get_func(&mut self.store, name));
                match func {
                    Some(func) => invoke(&mut self.store, func, args),
                    None => missing("function", export),
                }
            }
            Step::Global { export } => self.left_out("global", export),
            Step::Memory { export, .. } => self.left_out("memory", export),
            Step::Table { export, .. } => self.left_out("table", export),
            Step::Buffer { offset, len } => dump(self.store.data().buffer(), *offset, *len),
            Step::HostMemory { offset, len } => dump(&initial_host_memory(), *offset, *len),
            Step::HostCounter => "i32 0".into(),
            Step::HostTable { index } if *index < HOST_TABLE_SIZE => "null".into(),
            Step::HostTable { .. } => "out of bounds".into(),
        }
    }

    fn final_state(&mut self) -> FinalState {
        let host = self.store.data();
        FinalState {
            buffer: host.buffer().to_vec(),
            store_data_len: host.store_data().len,
            counter: 0,
            memory: format!(
                "{HOST_MEMORY_PAGES} page(s), fnv1a {:#018x}",
                fnv1a(&initial_host_memory())
            ),
            table: Vec::new(),
        }
    }
}

impl ComponentRun {
    /// A step reading an export a component never carries: the wrapper
    /// left it out, so there is none, as for a core module without it.
    fn left_out(&self, kind: &str, export: &str) -> String {
        if self.instance.is_none() {
            return NO_INSTANCE.into();
        }
        format!("error: no exported {kind} `{export}`")
    }
}

/// `env.memory` as the test host creates it; a component cannot change it.
fn initial_host_memory() -> Vec<u8> {
    vec![0; HOST_MEMORY_PAGES * PAGE_SIZE]
}

/// Calls `func` with `args` parsed against its parameter types.
fn invoke(store: &mut Store<ComponentHost>, func: Func, args: &[String]) -> String {
    let ty = func.ty(&*store);
    let param_types: Vec<Type> = ty.params().map(|(_, ty)| ty).collect();
    if param_types.len() != args.len() {
        return format!(
            "error: `invoke` gives {} arguments, the function takes {}",
            args.len(),
            param_types.len()
        );
    }
    let mut params = Vec::with_capacity(args.len());
    for (arg, ty) in args.iter().zip(&param_types) {
        match parse_arg(arg, ty) {
            Ok(value) => params.push(value),
            Err(message) => return format!("error: {message}"),
        }
    }
    let mut results = vec![Val::Bool(false); ty.results().len()];
    match func.call(&mut *store, &params, &mut results) {
        Ok(()) if results.is_empty() => "ok".into(),
        Ok(()) => results.iter().map(val_text).collect::<Vec<_>>().join(", "),
        Err(error) => error_text(&error),
    }
}

/// An argument for a parameter of component type `ty`: the number types
/// `wasm_prelink::component` gives core numbers (`i32` is `s32`, …).
fn parse_arg(text: &str, ty: &Type) -> Result<Val, String> {
    Ok(match ty {
        Type::S32 => Val::S32(int_arg(text, 32)? as u32 as i32),
        Type::S64 => Val::S64(int_arg(text, 64)? as i64),
        Type::Float32 => Val::Float32(float_arg(text)? as f32),
        Type::Float64 => Val::Float64(float_arg(text)?),
        other => return Err(format!("a wrapped function has no `{other:?}` parameter")),
    })
}

/// A result in the core spelling of the other transcripts.
fn val_text(value: &Val) -> String {
    match value {
        Val::S32(v) => format!("i32 {v}"),
        Val::S64(v) => format!("i64 {v}"),
        Val::Float32(v) => format!("f32 {}", float_text((*v).into())),
        Val::Float64(v) => format!("f64 {}", float_text(*v)),
        other => format!("{other:?}"),
    }
}

/// A failure in the words of the wasmtime recorder: a trap by its code,
/// anything else by its message.
fn error_text(error: &wasmtime::Error) -> String {
    match error.downcast_ref::<Trap>() {
        Some(trap) => format!("trap {trap:?}"),
        None => format!("error: {error:#}"),
    }
}
