//! Running a linked module on the reference runtime, with intrinsics
//! lowered, under the same host and script as the wasmtime runs.
//!
//! The linker's promise covers every engine, and the engine the project
//! ships is `wasm_prelink_runtime`: there the intrinsics are not host
//! functions but the lowering plugin's native loads and stores on the real
//! host buffer. So each linked module also runs there, and its transcript
//! must equal the reference (the unlinked wasmtime run). The host mirrors
//! `crate::host` item by item — the same `env` functions logging the same
//! lines, the same memory, table and globals, the same buffer behind the
//! store data — and the steps are rendered by the same words as
//! `crate::transcript`'s, traps by wasmtime's names for them.
//!
//! ## Where the two hosts cannot agree
//!
//! A checked intrinsic out of bounds is a host error in the wasmtime host,
//! so the wasmtime runs tell it apart from a Wasm access; lowered, it is
//! the heap-out-of-bounds trap, as in wasmtime's own compile-time builtins.
//! [`expected`] therefore reads that one host error as
//! `trap MemoryOutOfBounds` in the reference before comparing. The
//! unchecked intrinsics have no wild-access detector here: they touch real
//! memory, which is the point of running them natively.
//!
//! The runtime does not tell a host function which instance called it.
//! `log_str` and `call_back` need the caller's exports, and since a linked
//! module is the only instance in its store, the caller is that instance
//! (already listed while its start function runs).

use crate::case::{Case, Mismatch};
use crate::script::{float_arg, int_arg, Script, Step};
use crate::transcript::{
    dump, float_text, fnv1a, record_run, Executor, FinalState, Transcript, NO_INSTANCE,
};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_prelink::InlineMode;
use wasm_prelink_runtime::{
    Engine, Error, Extern, Func, FuncType, Global, GlobalType, Instance, Linker, Memory,
    MemoryType, Module, Store, Table, TableType, Trap, Val, ValType,
};

/// The host-visible effects of a run, shared by the host functions that
/// append to it and the recorder that reads it.
type Log = Rc<RefCell<Vec<String>>>;

/// The items the host defines in a store, as `crate::host::HostItems`.
#[derive(Debug, Clone, Copy)]
struct HostItems {
    memory: Memory,
    table: Table,
    counter: Global,
}

/// The message of the host error the wasmtime host reports for a checked
/// intrinsic out of bounds.
const CHECKED_OUT_OF_BOUNDS: &str = "host error: checked native access out of bounds";

/// The reference transcript as the runtime must reproduce it: the checked
/// intrinsics' host error becomes the trap their lowering raises (see the
/// module documentation); everything else is unchanged.
pub fn expected(reference: &Transcript) -> Transcript {
    let mut expected = reference.clone();
    for entry in &mut expected.entries {
        entry.outcome = entry
            .outcome
            .replace(CHECKED_OUT_OF_BOUNDS, "trap MemoryOutOfBounds");
    }
    expected
}

/// The engine the runs use: the runtime's defaults, which lower direct
/// calls of intrinsics in the default namespace.
pub fn engine() -> Result<Engine, String> {
    Engine::new(wasm_prelink_runtime::Config::new().lowering(true))
        .map_err(|e| format!("the runtime engine cannot be created: {e}"))
}

/// Links `case` in `mode`, runs the output on the runtime and compares the
/// transcript with the [`expected`] form of `reference` (the unlinked
/// wasmtime run).
pub fn check(
    case: &Case,
    mode: InlineMode,
    engine: &Engine,
    reference: &Transcript,
) -> Result<(), Mismatch> {
    let fail = |problem: String| Mismatch { mode, problem };
    let linked = case
        .link(mode)
        .map_err(|e| fail(format!("link failed: {e}")))?;
    let transcript = run(engine, &linked.wasm, &case.script())
        .map_err(|e| fail(format!("the runtime cannot compile the linked module: {e}")))?;
    let expected = expected(reference);
    if transcript != expected {
        return Err(fail(format!(
            "the runtime's run differs from the reference:\n{}",
            crate::transcript::diff(&expected, &transcript)
        )));
    }
    Ok(())
}

/// Compiles `wasm` on the runtime, instantiates it with the test host and
/// records `script`. Only a module the runtime cannot compile is an error;
/// instantiation failures are part of the transcript, as in wasmtime.
pub fn run(engine: &Engine, wasm: &[u8], script: &Script) -> Result<Transcript, String> {
    let module = Module::new(engine, wasm).map_err(|e| e.to_string())?;
    let mut store = Store::new(engine);
    store.set_host_buffer(script.initial_buffer());
    let log = Log::default();
    let (linker, host) = linker(&mut store, &log)
        .map_err(|e| format!("the test host cannot be set up on the runtime: {e}"))?;
    let instance = linker.instantiate(&mut store, &module);
    let outcome = match &instance {
        Ok(_) => "ok".to_string(),
        Err(error) => error_text(error),
    };
    let mut run = RuntimeRun {
        store,
        host,
        instance: instance.ok(),
        log,
    };
    Ok(record_run(&mut run, outcome, script))
}

/// A runtime store with its host items and the module's instance, if
/// instantiation succeeded.
struct RuntimeRun {
    store: Store,
    host: HostItems,
    instance: Option<Instance>,
    log: Log,
}

impl Executor for RuntimeRun {
    fn log_len(&self) -> usize {
        self.log.borrow().len()
    }

    fn log_since(&self, start: usize) -> Vec<String> {
        self.log.borrow()[start..].to_vec()
    }

    fn run_step(&mut self, step: &Step) -> String {
        let store = &mut self.store;
        let host = self.host;
        let instance = self.instance;
        match step {
            Step::Invoke { export, args } => {
                let Some(instance) = instance else {
                    return NO_INSTANCE.into();
                };
                match instance.get_func(store, export) {
                    Some(func) => invoke(store, func, args),
                    None => format!("error: no exported function `{export}`"),
                }
            }
            Step::Global { export } => match export_of(store, instance, export) {
                Err(text) => text,
                Ok(Some(Extern::Global(global))) => val_text(&global.get(store)),
                Ok(_) => format!("error: no exported global `{export}`"),
            },
            Step::Memory {
                export,
                offset,
                len,
            } => match export_of(store, instance, export) {
                Err(text) => text,
                Ok(Some(Extern::Memory(memory))) => dump(memory.data(store), *offset, *len),
                Ok(_) => format!("error: no exported memory `{export}`"),
            },
            Step::Table { export, index } => match export_of(store, instance, export) {
                Err(text) => text,
                Ok(Some(Extern::Table(table))) => element_text(store, table, *index),
                Ok(_) => format!("error: no exported table `{export}`"),
            },
            Step::Buffer { offset, len } => dump(store.host_buffer(), *offset, *len),
            Step::HostMemory { offset, len } => dump(host.memory.data(store), *offset, *len),
            Step::HostCounter => val_text(&host.counter.get(store)),
            Step::HostTable { index } => element_text(store, host.table, *index),
        }
    }

    fn final_state(&mut self) -> FinalState {
        let store = &self.store;
        let table = self.host.table;
        let counter = match self.host.counter.get(store) {
            Val::I32(value) => value,
            _ => 0,
        };
        FinalState {
            buffer: store.host_buffer().to_vec(),
            store_data_len: store.store_data().len,
            counter,
            memory: format!(
                "{} page(s), fnv1a {:#018x}",
                self.host.memory.size(store),
                fnv1a(self.host.memory.data(store))
            ),
            table: (0..u64::from(table.size(store)))
                .filter(|&i| {
                    table
                        .get(store, i)
                        .is_some_and(|v| !matches!(v, Val::FuncRef(None) | Val::ExternRef(None)))
                })
                .collect(),
        }
    }
}

/// The export `name` of the instance, or the outcome of a step that needs
/// an instance when there is none.
fn export_of(
    store: &Store,
    instance: Option<Instance>,
    name: &str,
) -> Result<Option<Extern>, String> {
    match instance {
        Some(instance) => Ok(instance.get_export(store, name)),
        None => Err(NO_INSTANCE.into()),
    }
}

/// Calls `func` with `args` parsed against its parameter types.
fn invoke(store: &mut Store, func: Func, args: &[String]) -> String {
    let params = func.ty(store).params.clone();
    if params.len() != args.len() {
        return format!(
            "error: `invoke` gives {} arguments, the function takes {}",
            args.len(),
            params.len()
        );
    }
    let mut values = Vec::with_capacity(args.len());
    for (arg, ty) in args.iter().zip(&params) {
        match parse_arg(arg, *ty) {
            Ok(value) => values.push(value),
            Err(message) => return format!("error: {message}"),
        }
    }
    call_text(store, func, &values)
}

/// Calls a function and renders its results or its failure.
fn call_text(store: &mut Store, func: Func, args: &[Val]) -> String {
    match func.call(store, args) {
        Ok(results) if results.is_empty() => "ok".into(),
        Ok(results) => results.iter().map(val_text).collect::<Vec<_>>().join(", "),
        Err(error) => error_text(&error),
    }
}

fn parse_arg(text: &str, ty: ValType) -> Result<Val, String> {
    Ok(match ty {
        ValType::I32 => Val::I32(int_arg(text, 32)? as u32 as i32),
        ValType::I64 => Val::I64(int_arg(text, 64)? as i64),
        ValType::F32 => Val::F32((float_arg(text)? as f32).to_bits()),
        ValType::F64 => Val::F64(float_arg(text)?.to_bits()),
        ValType::V128 => {
            let bits = text
                .strip_prefix("0x")
                .and_then(|hex| u128::from_str_radix(hex, 16).ok())
                .ok_or_else(|| format!("`{text}` is not a v128 (0x + 32 hex digits)"))?;
            Val::V128(bits)
        }
        ValType::FuncRef | ValType::ExternRef => {
            if text != "null" {
                return Err(format!("`{text}`: references can only be given as `null`"));
            }
            Val::default_for(ty)
        }
    })
}

/// Renders a value as `crate::transcript::val_text` does.
fn val_text(value: &Val) -> String {
    match value {
        Val::I32(v) => format!("i32 {v}"),
        Val::I64(v) => format!("i64 {v}"),
        Val::F32(bits) => format!("f32 {}", float_text(f32::from_bits(*bits).into())),
        Val::F64(bits) => format!("f64 {}", float_text(f64::from_bits(*bits))),
        Val::V128(v) => format!("v128 {v:#034x}"),
        Val::FuncRef(None) => "funcref null".into(),
        Val::FuncRef(Some(_)) => "funcref".into(),
        Val::ExternRef(None) => "externref null".into(),
        Val::ExternRef(Some(_)) => "externref".into(),
    }
}

/// A table element as the wasmtime recorder shows it: null, or a function
/// shown by calling it when it takes no parameters.
fn element_text(store: &mut Store, table: Table, index: u64) -> String {
    match table.get(store, index) {
        None => "out of bounds".into(),
        Some(Val::FuncRef(None)) => "null".into(),
        Some(Val::FuncRef(Some(addr))) => match store.func_from_ref(addr) {
            Some(func) => {
                let params = func.ty(store).params.len();
                if params == 0 {
                    format!("func -> {}", call_text(store, func, &[]))
                } else {
                    format!("func with {params} params")
                }
            }
            None => "error: a function reference of no instance in the store".into(),
        },
        Some(other) => val_text(&other),
    }
}

/// Renders a failure in the words of the wasmtime recorder: a trap by
/// wasmtime's name for it, a host function's error by its message.
fn error_text(error: &Error) -> String {
    match error.trap() {
        Some(trap) => trap_text(trap),
        None => format!("error: {error}"),
    }
}

/// A trap as the transcripts name it: wasmtime's `Trap` variant names,
/// which is what the reference run prints.
pub fn trap_text(trap: &Trap) -> String {
    let name = match trap {
        Trap::MemoryOutOfBounds => "MemoryOutOfBounds",
        Trap::TableOutOfBounds => "TableOutOfBounds",
        Trap::IndirectCallToNull => "IndirectCallToNull",
        Trap::BadSignature => "BadSignature",
        Trap::Unreachable => "UnreachableCodeReached",
        Trap::IntegerDivisionByZero => "IntegerDivisionByZero",
        Trap::IntegerOverflow => "IntegerOverflow",
        Trap::BadConversionToInteger => "BadConversionToInteger",
        Trap::StackOverflow => "StackOverflow",
        Trap::NullReference => "NullReference",
        Trap::HeapMisaligned => "HeapMisaligned",
        // Wasmtime has no counterpart for a fault in lowered native code;
        // a case that reaches one differs from the reference, as it should.
        Trap::NativeAccessFault { address } => {
            return format!("native access fault at {address:#x}")
        }
        Trap::Interrupt => "Interrupt",
        Trap::Host(message) => return format!("host error: {message}"),
    };
    format!("trap {name}")
}

/// A runtime linker with the `env` items of `crate::host` defined, logging
/// into `log`. Intrinsics need no definitions: the runtime lowers them.
fn linker(store: &mut Store, log: &Log) -> Result<(Linker, HostItems), Error> {
    let mut linker = Linker::new();
    let logger = |format: fn(&Val) -> String| {
        let log = log.clone();
        move |args: &[Val]| {
            if let [value] = args {
                log.borrow_mut().push(format(value));
            }
            Ok(Vec::new())
        }
    };
    let unary = |ty: ValType| FuncType::new([ty], []);
    linker.func(
        "env",
        "log_i32",
        unary(ValType::I32),
        logger(|v| match v {
            Val::I32(v) => format!("log_i32 {v}"),
            other => format!("log_i32 {other:?}"),
        }),
    );
    linker.func(
        "env",
        "log_i64",
        unary(ValType::I64),
        logger(|v| match v {
            Val::I64(v) => format!("log_i64 {v}"),
            other => format!("log_i64 {other:?}"),
        }),
    );
    linker.func(
        "env",
        "log_f32",
        unary(ValType::F32),
        logger(|v| match v {
            Val::F32(bits) => format!("log_f32 {}", float_text(f32::from_bits(*bits).into())),
            other => format!("log_f32 {other:?}"),
        }),
    );
    linker.func(
        "env",
        "log_f64",
        unary(ValType::F64),
        logger(|v| match v {
            Val::F64(bits) => format!("log_f64 {}", float_text(f64::from_bits(*bits))),
            other => format!("log_f64 {other:?}"),
        }),
    );
    let tick_log = log.clone();
    linker.func("env", "tick", FuncType::new([], []), move |_| {
        tick_log.borrow_mut().push("tick".into());
        Ok(Vec::new())
    });
    let str_log = log.clone();
    linker.func_with_store(
        "env",
        "log_str",
        FuncType::new([ValType::I32, ValType::I32], []),
        move |store, args| {
            let [Val::I32(ptr), Val::I32(len)] = args else {
                return Err(Trap::Host("log_str: wrong arguments".into()));
            };
            let Some(Extern::Memory(memory)) = caller_export(store, "memory") else {
                return Err(Trap::Host(
                    "log_str: the caller exports no memory `memory`".into(),
                ));
            };
            let start = *ptr as u32 as usize;
            let bytes = start
                .checked_add(*len as u32 as usize)
                .and_then(|end| memory.data(store).get(start..end))
                .ok_or_else(|| Trap::Host("log_str: string out of bounds".into()))?;
            let text = String::from_utf8_lossy(bytes).into_owned();
            str_log.borrow_mut().push(format!("log_str {text:?}"));
            Ok(Vec::new())
        },
    );
    let back_log = log.clone();
    linker.func_with_store(
        "env",
        "call_back",
        FuncType::new([ValType::I32], [ValType::I32]),
        move |store, args| {
            let [Val::I32(v)] = args else {
                return Err(Trap::Host("call_back: wrong arguments".into()));
            };
            back_log.borrow_mut().push(format!("call_back {v}"));
            let Some(Extern::Func(callback)) = caller_export(store, "callback") else {
                return Err(Trap::Host(
                    "call_back: the caller exports no function `callback`".into(),
                ));
            };
            if *callback.ty(store) != FuncType::new([ValType::I32], [ValType::I32]) {
                return Err(Trap::Host(
                    "call_back: `callback` is not (func (param i32) (result i32))".into(),
                ));
            }
            let result = match callback.call(store, &[Val::I32(*v)]) {
                Ok(results) => match results.as_slice() {
                    [Val::I32(result)] => *result,
                    _ => return Err(Trap::Host("call_back: `callback` returned no i32".into())),
                },
                Err(Error::Trap(trap)) => return Err(trap),
                Err(other) => return Err(Trap::Host(other.to_string())),
            };
            back_log
                .borrow_mut()
                .push(format!("call_back {v} returned {result}"));
            Ok(vec![Val::I32(result)])
        },
    );

    let memory = Memory::new(
        store,
        MemoryType {
            minimum: 1,
            maximum: Some(2),
            memory64: false,
        },
    )?;
    let table = Table::new(
        store,
        TableType {
            element: ValType::FuncRef,
            minimum: 10,
            maximum: None,
        },
        Val::FuncRef(None),
    )?;
    let global = |store: &mut Store, mutable: bool, value: i32| {
        Global::new(
            store,
            GlobalType {
                content: ValType::I32,
                mutable,
            },
            Val::I32(value),
        )
    };
    let counter = global(store, true, 0)?;
    let seed = global(store, false, crate::host::SEED)?;
    linker.define("env", "memory", Extern::Memory(memory));
    linker.define("env", "table", Extern::Table(table));
    linker.define("env", "counter", Extern::Global(counter));
    linker.define("env", "seed", Extern::Global(seed));
    Ok((
        linker,
        HostItems {
            memory,
            table,
            counter,
        },
    ))
}

/// The export `name` of the calling instance: the store's only, and so
/// newest, instance (see the module documentation).
fn caller_export(store: &Store, name: &str) -> Option<Extern> {
    store.instances().last()?.get_export(store, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traps_take_wasmtime_names() {
        assert_eq!(trap_text(&Trap::Unreachable), "trap UnreachableCodeReached");
        assert_eq!(
            trap_text(&Trap::IndirectCallToNull),
            "trap IndirectCallToNull"
        );
        assert_eq!(trap_text(&Trap::Host("no".into())), "host error: no");
    }

    #[test]
    fn host_functions_log_like_the_wasmtime_host() {
        let engine = engine().unwrap();
        let wasm = wat::parse_str(
            r#"(module
              (import "env" "log_f32" (func $f32 (param f32)))
              (import "env" "log_str" (func $str (param i32 i32)))
              (import "env" "call_back" (func $back (param i32) (result i32)))
              (import "env" "counter" (global $c (mut i32)))
              (memory (export "memory") 1)
              (data (i32.const 0) "hi")
              (func (export "callback") (param i32) (result i32)
                (global.set $c (local.get 0))
                (i32.add (local.get 0) (i32.const 1)))
              (func $start
                (call $f32 (f32.const nan))
                (call $str (i32.const 0) (i32.const 2)))
              (start $start)
              (func (export "run") (result i32) (call $back (i32.const 41))))"#,
        )
        .unwrap();
        let script = Script::parse("invoke run\nhost-counter\ninvoke run 1").unwrap();
        let transcript = run(&engine, &wasm, &script).unwrap();
        assert_eq!(transcript.entries[0].log, ["log_f32 nan", "log_str \"hi\""]);
        assert_eq!(transcript.entries[1].outcome, "i32 42");
        assert_eq!(
            transcript.entries[1].log,
            ["call_back 41", "call_back 41 returned 42"]
        );
        assert_eq!(transcript.entries[2].outcome, "i32 41");
        assert_eq!(
            transcript.entries[3].outcome,
            "error: `invoke` gives 1 arguments, the function takes 0"
        );
        assert_eq!(transcript.final_state.counter, 41);
    }

    #[test]
    fn checked_intrinsic_errors_are_expected_as_traps() {
        let reference = Transcript {
            entries: vec![crate::transcript::Entry {
                step: "invoke get 16".into(),
                outcome: CHECKED_OUT_OF_BOUNDS.into(),
                log: Vec::new(),
            }],
            final_state: FinalState {
                buffer: Vec::new(),
                store_data_len: 0,
                counter: 0,
                memory: String::new(),
                table: Vec::new(),
            },
        };
        assert_eq!(
            expected(&reference).entries[0].outcome,
            "trap MemoryOutOfBounds"
        );
    }
}
