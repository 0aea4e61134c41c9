//! Running a linked module as a component on Wasmtime, with Wasmtime's own
//! native intrinsics, under the same script as the other runs.
//!
//! `--emit component` promises that the wrapped module behaves like the
//! linked one, only faster: Wasmtime compiles the intrinsics as native
//! loads and stores (`CodeBuilder::expose_unsafe_intrinsics`). So every
//! case whose linked module can be wrapped
//! (`wasm_prelink::component::wrap`) runs as a component here and its
//! transcript must equal the reference (the unlinked modules in wasmtime),
//! read the way [`crate::runtime::expected`] reads it: a checked intrinsic
//! out of bounds is a trap when it is native.
//!
//! The store data is the host-buffer convention every other run uses, a
//! `#[repr(C)] { ptr: u64, len: u64 }` pair, here at the very start of the
//! store's data ([`ComponentHost`]) because Wasmtime's `store-data-address`
//! is the address of the store's `T`.
//!
//! ## What the component host has
//!
//! A component imports functions only, so its host is the function part of
//! the test host: `env`'s `log_i32`, `log_i64`, `log_f32`, `log_f64` and
//! `tick`, under their component names (`log-i32`, …), logging the same
//! lines. `log_str` and `call_back` read the calling instance's exports,
//! which a component host function cannot see, so cases using them cannot
//! run here. The host's memory, table and globals cannot be imported by a
//! component at all; since nothing can change them, the steps and the final
//! state that read them report their initial contents. Exports a component
//! cannot carry (memories, tables, globals) are missing, so a script step
//! reading one reports that, and the case differs from the reference — it
//! then needs its `component-unsupported.txt`.

use crate::case::{Case, Mismatch};
use crate::host::StoreData;
use crate::script::{float_arg, int_arg, Script, Step};
use crate::transcript::{
    dump, float_text, fnv1a, record_run, Executor, FinalState, Transcript, NO_INSTANCE,
};
use wasm_prelink::component::{wrap, ComponentOptions, Wrapped, DEFAULT_INSTANCE};
use wasm_prelink::InlineMode;
use wasmtime::component::{Component, Func, Instance, Linker, Type, Val};
use wasmtime::{CodeBuilder, Store, StoreContextMut, Trap};

/// Pages of the host memory `env.memory` starts with.
const HOST_MEMORY_PAGES: usize = 1;
/// Elements of the host table `env.table`.
const HOST_TABLE_SIZE: u64 = 10;

/// The store data of a component run. `#[repr(C)]` with the host-buffer
/// pair first: Wasmtime's `store-data-address` returns the address of this
/// value, and builtins read `ptr` at offset 0 and `len` at offset 8.
#[repr(C)]
#[derive(Debug)]
pub struct ComponentHost {
    store_data: StoreData,
    buffer: Box<[u8]>,
    log: Vec<String>,
}

// The contract with builtins: the pair starts the store data.
const _: () = assert!(std::mem::offset_of!(ComponentHost, store_data) == 0);

impl ComponentHost {
    /// A host whose buffer holds `buffer`.
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

    /// The store data as it is now. Builtins write it with native stores
    /// the compiler of this crate cannot see, so it is read as volatile.
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
/// the default instance name.
pub fn compile(engine: &wasmtime::Engine, component: &[u8]) -> wasmtime::Result<Component> {
    let mut builder = CodeBuilder::new(engine);
    builder.wasm_binary(component, None)?;
    // SAFETY: the component only ever runs in a `Store<ComponentHost>`,
    // whose data starts with the `{ ptr, len }` pair the builtins of the
    // cases expect, describing a buffer the store owns and never moves.
    unsafe {
        builder.expose_unsafe_intrinsics(DEFAULT_INSTANCE);
    }
    builder.compile_component()
}

/// A component linker with the `env` functions of the test host.
pub fn linker(engine: &wasmtime::Engine) -> wasmtime::Result<Linker<ComponentHost>> {
    let mut linker = Linker::new(engine);
    let mut env = linker.instance("env")?;
    env.func_wrap(
        "log-i32",
        |mut store: StoreContextMut<'_, ComponentHost>, (v,): (i32,)| {
            store.data_mut().log.push(format!("log_i32 {v}"));
            Ok(())
        },
    )?;
    env.func_wrap(
        "log-i64",
        |mut store: StoreContextMut<'_, ComponentHost>, (v,): (i64,)| {
            store.data_mut().log.push(format!("log_i64 {v}"));
            Ok(())
        },
    )?;
    env.func_wrap(
        "log-f32",
        |mut store: StoreContextMut<'_, ComponentHost>, (v,): (f32,)| {
            let text = float_text(v.into());
            store.data_mut().log.push(format!("log_f32 {text}"));
            Ok(())
        },
    )?;
    env.func_wrap(
        "log-f64",
        |mut store: StoreContextMut<'_, ComponentHost>, (v,): (f64,)| {
            let text = float_text(v);
            store.data_mut().log.push(format!("log_f64 {text}"));
            Ok(())
        },
    )?;
    env.func_wrap(
        "tick",
        |mut store: StoreContextMut<'_, ComponentHost>, (): ()| {
            store.data_mut().log.push("tick".into());
            Ok(())
        },
    )?;
    Ok(linker)
}

/// Links `case` in `mode`, wraps it, runs the component and compares the
/// transcript with the expected form of `reference`.
pub fn check(case: &Case, mode: InlineMode, reference: &Transcript) -> Result<(), Mismatch> {
    let fail = |problem: String| Mismatch { mode, problem };
    let linked = case
        .link(mode)
        .map_err(|e| fail(format!("link failed: {e}")))?;
    let wrapped = wrap(&linked.wasm, &ComponentOptions::default())
        .map_err(|e| fail(format!("cannot be wrapped: {e}")))?;
    let transcript = run(&wrapped, &case.script())
        .map_err(|e| fail(format!("wasmtime cannot compile the component: {e}")))?;
    let expected = crate::runtime::expected(reference);
    if transcript != expected {
        return Err(fail(format!(
            "the component's run differs from the reference:\n{}",
            crate::transcript::diff(&expected, &transcript)
        )));
    }
    Ok(())
}

/// Compiles `wrapped`, instantiates it and records `script`. Only a
/// component Wasmtime cannot compile is an error.
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

/// A store and the component instance, if instantiation succeeded.
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
            Step::Global { export } | Step::Memory { export, .. } | Step::Table { export, .. } => {
                if self.instance.is_none() {
                    return NO_INSTANCE.into();
                }
                let kind = match step {
                    Step::Global { .. } => "global",
                    Step::Memory { .. } => "memory",
                    _ => "table",
                };
                missing(kind, export)
            }
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

/// `env.memory` as the host creates it; a component cannot change it.
fn initial_host_memory() -> Vec<u8> {
    vec![0; HOST_MEMORY_PAGES * 65536]
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

/// An argument for a parameter of component type `ty` (the types
/// `wasm_prelink::component` gives core numbers).
fn parse_arg(text: &str, ty: &Type) -> Result<Val, String> {
    Ok(match ty {
        Type::S32 => Val::S32(int_arg(text, 32)? as u32 as i32),
        Type::S64 => Val::S64(int_arg(text, 64)? as i64),
        Type::Float32 => Val::Float32(float_arg(text)? as f32),
        Type::Float64 => Val::Float64(float_arg(text)?),
        other => return Err(format!("a wrapped function has no `{other:?}` parameter")),
    })
}

/// A result in the core spelling the other transcripts use.
fn val_text(value: &Val) -> String {
    match value {
        Val::S32(v) => format!("i32 {v}"),
        Val::S64(v) => format!("i64 {v}"),
        Val::Float32(v) => format!("f32 {}", float_text((*v).into())),
        Val::Float64(v) => format!("f64 {}", float_text(*v)),
        other => format!("{other:?}"),
    }
}

/// A failure: a trap by its code, anything else by its message.
fn error_text(error: &wasmtime::Error) -> String {
    if let Some(trap) = error.downcast_ref::<Trap>() {
        return format!("trap {trap:?}");
    }
    if let Some(host) = error.downcast_ref::<crate::host::HostError>() {
        return format!("host error: {host}");
    }
    format!("error: {error:#}")
}
