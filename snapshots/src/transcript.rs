//! A transcript: everything a program did that a host could observe.
//!
//! The differential test compares two runs — the builtins instantiated
//! separately and the linked module — through their transcripts, so a
//! transcript must hold every observable and nothing that legitimately
//! differs between the two:
//!
//! - **In:** the outcome of instantiation and of each script step (results,
//!   trap codes, host error messages, uncaught exceptions with their
//!   payload), the host-visible effects each step caused (the log entries it
//!   appended, in order), and the final host state (host buffer, store data,
//!   `env.counter`, `env.memory`, `env.table`).
//! - **Out:** anything that depends on how modules were split or numbered:
//!   which module trapped during instantiation, type indices, function
//!   indices, addresses. GC values are shown structurally (field values, not
//!   type names), functions by what they return when called, exception tags
//!   by the export that names them. NaNs print as `nan`, because Wasm lets
//!   NaN payloads differ between runs.
//!
//! The text form is what the snapshot stores; equality is structural.

use crate::host::{HostError, HostItems, HostState};
use crate::script::{float_arg, int_arg, Script, Step};
use std::fmt;
use wasmtime::{
    AnyRef, AsContextMut, Extern, Func, Instance, Ref, RootScope, Rooted, Store, Tag,
    ThrownException, Trap, Val, ValType,
};

/// One line of a transcript: a step and what it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The step as written (`instantiate` for instantiation).
    pub step: String,
    /// Its outcome.
    pub outcome: String,
    /// Log entries the step appended.
    pub log: Vec<String>,
}

/// The host state after the last step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinalState {
    /// The host buffer.
    pub buffer: Vec<u8>,
    /// The store data's length field (builtins may have written it).
    pub store_data_len: u64,
    /// `env.counter`.
    pub counter: i32,
    /// `env.memory`: size in pages and a digest of its bytes.
    pub memory: String,
    /// Indices of the non-null elements of `env.table`.
    pub table: Vec<u64>,
}

/// The record of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    /// Instantiation, then one entry per script step.
    pub entries: Vec<Entry>,
    /// The host state at the end.
    pub final_state: FinalState,
}

/// What recording a script needs from the engine that runs it.
///
/// The wasmtime runs (unlinked and linked) and the reference runtime's run
/// of the linked module implement it, so every run is recorded by the same
/// loop and rendered in the same words: a step's outcome text is the
/// executor's job, which entries it belongs to and which log lines it
/// caused is [`record_run`]'s.
pub trait Executor {
    /// How many host-visible effects happened so far.
    fn log_len(&self) -> usize;
    /// The host-visible effects from the `start`th on, oldest first.
    fn log_since(&self, start: usize) -> Vec<String>;
    /// Runs one step and renders its outcome. Steps that need the
    /// instance report that instantiation failed when there is none.
    fn run_step(&mut self, step: &Step) -> String;
    /// The host state after the last step.
    fn final_state(&mut self) -> FinalState;
}

/// Records a run: `instantiation` is the outcome text of instantiating
/// (with everything the host logged meanwhile), then each step of
/// `script` runs on `executor`.
pub fn record_run(
    executor: &mut impl Executor,
    instantiation: String,
    script: &Script,
) -> Transcript {
    let mut entries = vec![Entry {
        step: "instantiate".into(),
        outcome: instantiation,
        log: executor.log_since(0),
    }];
    for step in &script.steps {
        let before = executor.log_len();
        let outcome = executor.run_step(step);
        entries.push(Entry {
            step: step.to_string(),
            outcome,
            log: executor.log_since(before),
        });
    }
    Transcript {
        entries,
        final_state: executor.final_state(),
    }
}

/// A wasmtime store with its host items and the app's instance, if
/// instantiation succeeded.
struct WasmtimeRun {
    store: Store<HostState>,
    host: HostItems,
    instance: Option<Instance>,
}

impl Executor for WasmtimeRun {
    fn log_len(&self) -> usize {
        self.store.data().log().len()
    }

    fn log_since(&self, start: usize) -> Vec<String> {
        self.store.data().log()[start..].to_vec()
    }

    fn run_step(&mut self, step: &Step) -> String {
        let mut scope = RootScope::new(&mut self.store);
        run_step(&mut scope, self.host, self.instance, step)
    }

    fn final_state(&mut self) -> FinalState {
        final_state(&mut self.store, self.host)
    }
}

/// Runs `script` against the outcome of instantiation and records it.
///
/// `instance` is the result of instantiating the app (after its builtins,
/// or the linked module); `host` are the items the host defined in `store`.
/// After a failed instantiation, steps that need the instance say so and
/// steps that only read the host still run, so effects of a failed
/// instantiation stay visible.
pub fn record(
    mut store: Store<HostState>,
    host: HostItems,
    instance: wasmtime::Result<Instance>,
    script: &Script,
) -> Transcript {
    let outcome = match &instance {
        Ok(_) => "ok".to_string(),
        Err(error) => error_text(&mut store, None, error),
    };
    let mut run = WasmtimeRun {
        store,
        host,
        instance: instance.ok(),
    };
    record_run(&mut run, outcome, script)
}

/// The outcome of a step that needs the instance after instantiation
/// failed.
pub(crate) const NO_INSTANCE: &str = "no instance (instantiation failed)";

fn run_step(
    store: &mut impl AsContextMut<Data = HostState>,
    host: HostItems,
    instance: Option<Instance>,
    step: &Step,
) -> String {
    let needs_instance = || NO_INSTANCE.to_string();
    match step {
        Step::Invoke { export, args } => {
            let Some(instance) = instance else {
                return needs_instance();
            };
            let Some(func) = instance.get_func(&mut *store, export) else {
                return format!("error: no exported function `{export}`");
            };
            invoke(store, instance, func, args)
        }
        Step::Global { export } => {
            let Some(instance) = instance else {
                return needs_instance();
            };
            match instance.get_global(&mut *store, export) {
                Some(global) => {
                    let value = global.get(&mut *store);
                    val_text(store, &value)
                }
                None => format!("error: no exported global `{export}`"),
            }
        }
        Step::Memory {
            export,
            offset,
            len,
        } => {
            let Some(instance) = instance else {
                return needs_instance();
            };
            match instance.get_memory(&mut *store, export) {
                Some(memory) => dump(memory.data(&*store), *offset, *len),
                None => format!("error: no exported memory `{export}`"),
            }
        }
        Step::Table { export, index } => {
            let Some(instance) = instance else {
                return needs_instance();
            };
            match instance.get_table(&mut *store, export) {
                Some(table) => match table.get(&mut *store, *index) {
                    Some(element) => ref_text(store, Some(instance), element),
                    None => "out of bounds".into(),
                },
                None => format!("error: no exported table `{export}`"),
            }
        }
        Step::Buffer { offset, len } => dump(store.as_context_mut().data().buffer(), *offset, *len),
        Step::HostMemory { offset, len } => dump(host.memory.data(&*store), *offset, *len),
        Step::HostCounter => {
            let value = host.counter.get(&mut *store);
            val_text(store, &value)
        }
        Step::HostTable { index } => match host.table.get(&mut *store, *index) {
            Some(element) => ref_text(store, instance, element),
            None => "out of bounds".into(),
        },
    }
}

/// Calls `func` with `args` parsed against its parameter types.
fn invoke(
    store: &mut impl AsContextMut<Data = HostState>,
    instance: Instance,
    func: Func,
    args: &[String],
) -> String {
    let ty = func.ty(&*store);
    if ty.params().len() != args.len() {
        return format!(
            "error: `invoke` gives {} arguments, the function takes {}",
            args.len(),
            ty.params().len()
        );
    }
    let mut params = Vec::with_capacity(args.len());
    for (arg, param) in args.iter().zip(ty.params()) {
        match parse_arg(arg, &param) {
            Ok(value) => params.push(value),
            Err(message) => return format!("error: {message}"),
        }
    }
    call_text(store, Some(instance), func, &params)
}

/// Calls a function and renders its results or its failure.
fn call_text(
    store: &mut impl AsContextMut<Data = HostState>,
    instance: Option<Instance>,
    func: Func,
    params: &[Val],
) -> String {
    let ty = func.ty(&*store);
    let mut results = vec![Val::I32(0); ty.results().len()];
    match func.call(&mut *store, params, &mut results) {
        Ok(()) if results.is_empty() => "ok".into(),
        Ok(()) => results
            .iter()
            .map(|v| val_text(store, v))
            .collect::<Vec<_>>()
            .join(", "),
        Err(error) => error_text(store, instance, &error),
    }
}

fn parse_arg(text: &str, ty: &ValType) -> Result<Val, String> {
    Ok(match ty {
        ValType::I32 => Val::I32(int_arg(text, 32)? as u32 as i32),
        ValType::I64 => Val::I64(int_arg(text, 64)? as i64),
        ValType::F32 => Val::F32((float_arg(text)? as f32).to_bits()),
        ValType::F64 => Val::F64(float_arg(text)?.to_bits()),
        ValType::V128 => {
            let hex = text
                .strip_prefix("0x")
                .ok_or_else(|| format!("`{text}` is not a v128 (0x + 32 hex digits)"))?;
            let bits = u128::from_str_radix(hex, 16)
                .map_err(|_| format!("`{text}` is not a v128 (0x + 32 hex digits)"))?;
            Val::V128(bits.into())
        }
        ValType::Ref(ref_ty) => {
            if text != "null" {
                return Err(format!("`{text}`: references can only be given as `null`"));
            }
            if !ref_ty.is_nullable() {
                return Err("a non-nullable reference cannot be `null`".into());
            }
            Val::null_ref(ref_ty.heap_type())
        }
    })
}

/// Renders a failure: a trap by its code, a host error by its message, an
/// uncaught exception by its tag and payload, anything else as is.
fn error_text(
    store: &mut impl AsContextMut<Data = HostState>,
    instance: Option<Instance>,
    error: &wasmtime::Error,
) -> String {
    if let Some(trap) = error.downcast_ref::<Trap>() {
        return format!("trap {trap:?}");
    }
    if let Some(host) = error.downcast_ref::<HostError>() {
        return format!("host error: {host}");
    }
    if error.downcast_ref::<ThrownException>().is_some() {
        let Some(exception) = store.as_context_mut().take_pending_exception() else {
            return "uncaught exception (none pending)".into();
        };
        let tag = exception
            .tag(&mut *store)
            .map(|tag| tag_name(store, instance, &tag))
            .unwrap_or_else(|e| format!("<tag unavailable: {e}>"));
        let fields = exception
            .ty(&*store)
            .map(|ty| ty.fields().len())
            .unwrap_or(0);
        let payload: Vec<String> = (0..fields)
            .map(|i| match exception.field(&mut *store, i) {
                Ok(value) => val_text(store, &value),
                Err(e) => format!("<field unavailable: {e}>"),
            })
            .collect();
        return format!("uncaught exception {tag} ({})", payload.join(", "));
    }
    format!("error: {error:#}")
}

/// Names a tag by the instance export that is this tag; tags are not
/// otherwise comparable across the two runs.
fn tag_name(
    store: &mut impl AsContextMut<Data = HostState>,
    instance: Option<Instance>,
    tag: &Tag,
) -> String {
    let Some(instance) = instance else {
        return "<unexported tag>".into();
    };
    let exports: Vec<(String, Extern)> = instance
        .exports(&mut *store)
        .map(|e| (e.name().to_string(), e.into_extern()))
        .collect();
    for (name, export) in exports {
        if let Extern::Tag(candidate) = export {
            if Tag::eq(&candidate, tag, &*store) {
                return format!("`{name}`");
            }
        }
    }
    "<unexported tag>".into()
}

/// Deepest nesting of GC values that is printed; keeps cyclic structures
/// finite.
const MAX_DEPTH: usize = 4;
/// Most array elements printed.
const MAX_ELEMS: u32 = 16;

/// Renders a value with its type's spelling.
pub fn val_text(store: &mut impl AsContextMut, value: &Val) -> String {
    val_text_at(store, value, 0)
}

fn val_text_at(store: &mut impl AsContextMut, value: &Val, depth: usize) -> String {
    match value {
        Val::I32(v) => format!("i32 {v}"),
        Val::I64(v) => format!("i64 {v}"),
        Val::F32(bits) => format!("f32 {}", float_text(f32::from_bits(*bits).into())),
        Val::F64(bits) => format!("f64 {}", float_text(f64::from_bits(*bits))),
        Val::V128(v) => format!("v128 {:#034x}", v.as_u128()),
        Val::FuncRef(None) => "funcref null".into(),
        Val::FuncRef(Some(_)) => "funcref".into(),
        Val::ExternRef(None) => "externref null".into(),
        Val::ExternRef(Some(_)) => "externref".into(),
        Val::AnyRef(None) => "anyref null".into(),
        Val::AnyRef(Some(any)) => any_text(store, any, depth),
        Val::ExnRef(None) => "exnref null".into(),
        Val::ExnRef(Some(_)) => "exnref".into(),
        Val::ContRef(None) => "contref null".into(),
        Val::ContRef(Some(_)) => "contref".into(),
    }
}

/// A float as transcripts show it: every NaN alike, since Wasm lets NaN
/// payloads differ between runs.
pub(crate) fn float_text(value: f64) -> String {
    if value.is_nan() {
        "nan".into()
    } else {
        format!("{value:?}")
    }
}

/// A GC value by its contents, never its type index.
fn any_text(store: &mut impl AsContextMut, any: &Rooted<AnyRef>, depth: usize) -> String {
    if depth >= MAX_DEPTH {
        return "...".into();
    }
    any_contents(store, any, depth).unwrap_or_else(|e| format!("<unreadable: {e}>"))
}

fn any_contents(
    store: &mut impl AsContextMut,
    any: &Rooted<AnyRef>,
    depth: usize,
) -> wasmtime::Result<String> {
    if let Some(i31) = any.as_i31(&*store)? {
        return Ok(format!("i31 {}", i31.get_i32()));
    }
    if let Some(s) = any.as_struct(&*store)? {
        let count = s.ty(&*store)?.fields().len();
        let mut fields = Vec::with_capacity(count);
        for i in 0..count {
            let value = s.field(&mut *store, i)?;
            fields.push(val_text_at(store, &value, depth + 1));
        }
        return Ok(format!("struct {{{}}}", fields.join(", ")));
    }
    if let Some(a) = any.as_array(&*store)? {
        let len = a.len(&*store)?;
        let mut elems = Vec::new();
        for i in 0..len.min(MAX_ELEMS) {
            let value = a.get(&mut *store, i)?;
            elems.push(val_text_at(store, &value, depth + 1));
        }
        if len > MAX_ELEMS {
            elems.push("...".into());
        }
        return Ok(format!("array[{len}] [{}]", elems.join(", ")));
    }
    Ok("anyref".into())
}

/// A table element: null, or a function shown by calling it when it takes
/// no parameters (its identity, as far as a host can tell).
fn ref_text(
    store: &mut impl AsContextMut<Data = HostState>,
    instance: Option<Instance>,
    element: Ref,
) -> String {
    match element {
        Ref::Func(None) => "null".into(),
        Ref::Func(Some(func)) => {
            let ty = func.ty(&*store);
            if ty.params().len() == 0 {
                format!("func -> {}", call_text(store, instance, func, &[]))
            } else {
                format!("func with {} params", ty.params().len())
            }
        }
        other => {
            let value: Val = other.into();
            val_text(store, &value)
        }
    }
}

/// Bytes `[offset, offset + len)` of `bytes` in hex, or why not.
pub(crate) fn dump(bytes: &[u8], offset: u64, len: u64) -> String {
    let range = usize::try_from(offset)
        .ok()
        .zip(usize::try_from(len).ok())
        .and_then(|(start, len)| Some(start..start.checked_add(len)?))
        .filter(|range| range.end <= bytes.len());
    match range {
        Some(range) => hex(&bytes[range]),
        None => format!("out of bounds (size {})", bytes.len()),
    }
}

/// Space-separated hex bytes, a line break every 16.
pub fn hex(bytes: &[u8]) -> String {
    bytes
        .chunks(16)
        .map(|chunk| {
            chunk
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// FNV-1a, enough to tell two memories apart in a snapshot line.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn final_state(store: &mut Store<HostState>, host: HostItems) -> FinalState {
    let pages = host.memory.size(&*store);
    let digest = fnv1a(host.memory.data(&*store));
    let counter = host.counter.get(&mut *store).i32().unwrap_or_default();
    let size = host.table.size(&*store);
    let table = (0..size)
        .filter(|&i| {
            host.table
                .get(&mut *store, i)
                .is_some_and(|element| !element.is_null())
        })
        .collect();
    FinalState {
        buffer: store.data().buffer().to_vec(),
        store_data_len: store.data().store_data().len,
        counter,
        memory: format!("{pages} page(s), fnv1a {digest:#018x}"),
        table,
    }
}

impl fmt::Display for Transcript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for entry in &self.entries {
            write_block(f, &entry.step, &entry.outcome)?;
            for line in &entry.log {
                writeln!(f, "  | {line}")?;
            }
        }
        let state = &self.final_state;
        writeln!(f, "== final host state ==")?;
        write_block(f, "buffer", &hex(&state.buffer))?;
        writeln!(f, "store data len: {}", state.store_data_len)?;
        writeln!(f, "counter: {}", state.counter)?;
        writeln!(f, "memory: {}", state.memory)?;
        let table: Vec<String> = state.table.iter().map(|i| i.to_string()).collect();
        writeln!(f, "table non-null: [{}]", table.join(", "))
    }
}

/// `label: outcome` on one line, or the outcome indented below the label
/// when it spans several.
fn write_block(f: &mut fmt::Formatter<'_>, label: &str, outcome: &str) -> fmt::Result {
    if outcome.contains('\n') {
        writeln!(f, "{label}:")?;
        for line in outcome.lines() {
            writeln!(f, "    {line}")?;
        }
        Ok(())
    } else {
        writeln!(f, "{label}: {outcome}")
    }
}

/// The lines where two transcripts differ, for a failure message.
pub fn diff(expected: &Transcript, actual: &Transcript) -> String {
    let expected = expected.to_string();
    let actual = actual.to_string();
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let mut out = String::new();
    for i in 0..e.len().max(a.len()) {
        let (l, r) = (e.get(i).copied(), a.get(i).copied());
        if l != r {
            out.push_str(&format!(
                "  line {}:\n    unlinked: {}\n    linked:   {}\n",
                i + 1,
                l.unwrap_or("<none>"),
                r.unwrap_or("<none>")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dumps_refuse_ranges_past_the_end() {
        assert_eq!(dump(&[1, 2, 3], 1, 2), "02 03");
        assert_eq!(dump(&[1, 2, 3], 2, 2), "out of bounds (size 3)");
        assert_eq!(dump(&[1, 2, 3], u64::MAX, 2), "out of bounds (size 3)");
    }

    #[test]
    fn nans_print_alike() {
        let mut store = Store::new(crate::host::engine(), ());
        let quiet = Val::F32(f32::NAN.to_bits());
        let payload = Val::F32(0x7fc0_0001);
        assert_eq!(val_text(&mut store, &quiet), val_text(&mut store, &payload));
        assert_eq!(val_text(&mut store, &Val::F64(1.5f64.to_bits())), "f64 1.5");
    }

    #[test]
    fn arguments_follow_the_parameter_type() {
        assert!(matches!(parse_arg("-1", &ValType::I32), Ok(Val::I32(-1))));
        assert!(matches!(parse_arg("0x10", &ValType::I64), Ok(Val::I64(16))));
        assert!(matches!(
            parse_arg("null", &ValType::FUNCREF),
            Ok(Val::FuncRef(None))
        ));
        assert!(parse_arg("1", &ValType::FUNCREF).is_err());
    }
}
