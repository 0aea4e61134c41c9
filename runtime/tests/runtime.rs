//! End-to-end behaviour of the runtime: values, memories, tables, globals,
//! imports, every trap kind, and the lowered intrinsics against the host
//! buffer.

use wasm_prelink_runtime::{
    Config, Engine, Error, Extern, FuncType, Global, GlobalType, Instance, Linker, Memory,
    MemoryType, Module, Store, Table, TableType, Trap, Val, ValType,
};

fn engine() -> Engine {
    Engine::new(Config::new()).expect("engine for the host")
}

fn instantiate(store: &mut Store, linker: &Linker, wat: &str) -> Instance {
    let wasm = wat::parse_str(wat).expect("test module parses");
    let module = Module::new(store.engine(), &wasm).expect("test module compiles");
    linker
        .instantiate(store, &module)
        .expect("test module instantiates")
}

fn setup(wat: &str) -> (Store, Instance) {
    let mut store = Store::new(&engine());
    let instance = instantiate(&mut store, &Linker::new(), wat);
    (store, instance)
}

fn trap_of(result: Result<Vec<Val>, Error>) -> Trap {
    match result {
        Err(Error::Trap(trap)) => trap,
        other => panic!("expected a trap, got {other:?}"),
    }
}

#[test]
fn arithmetic_and_multi_value() {
    let (mut store, instance) = setup(
        r#"(module
        (func (export "swap") (param i32 i64 f32 f64) (result f64 f32 i64 i32)
          local.get 3 local.get 2 local.get 1 local.get 0)
        (func (export "fac") (param i64) (result i64)
          (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))
            (else (i64.mul (local.get 0) (call 1 (i64.sub (local.get 0) (i64.const 1))))))))"#,
    );
    let out = instance
        .call(
            &mut store,
            "swap",
            &[
                Val::I32(-1),
                Val::I64(1 << 40),
                Val::F32(1.5f32.to_bits()),
                Val::F64(2.5f64.to_bits()),
            ],
        )
        .expect("swap runs");
    assert_eq!(
        out,
        [
            Val::F64(2.5f64.to_bits()),
            Val::F32(1.5f32.to_bits()),
            Val::I64(1 << 40),
            Val::I32(-1)
        ]
    );
    let out = instance
        .call(&mut store, "fac", &[Val::I64(20)])
        .expect("fac runs");
    assert_eq!(out, [Val::I64(2_432_902_008_176_640_000)]);
}

#[test]
fn every_trap_kind_is_an_error() {
    let (mut store, instance) = setup(
        r#"(module
        (type $t (func (result i32)))
        (memory 1)
        (table 2 funcref)
        (elem (i32.const 0) $f)
        (func $f (param i32) (result i32) local.get 0)
        (func (export "unreachable") unreachable)
        (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
        (func (export "trunc") (param f32) (result i32) (i32.trunc_f32_s (local.get 0)))
        (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
        (func (export "store") (param i32) (i32.store8 offset=100 (local.get 0) (i32.const 1)))
        (func (export "indirect") (param i32) (result i32) (call_indirect (type $t) (local.get 0)))
        (func $rec (export "recurse") (param i32) (result i32)
          (i32.add (i32.const 1) (call $rec (local.get 0))))
        (func (export "table.get") (param i32) (result funcref) (table.get (local.get 0)))
        (func (export "fill") (param i32 i32) (memory.fill (local.get 0) (i32.const 7) (local.get 1))))"#,
    );
    let s = &mut store;
    assert_eq!(
        trap_of(instance.call(s, "unreachable", &[])),
        Trap::Unreachable
    );
    assert_eq!(
        trap_of(instance.call(s, "div", &[Val::I32(1), Val::I32(0)])),
        Trap::IntegerDivisionByZero
    );
    assert_eq!(
        trap_of(instance.call(s, "div", &[Val::I32(i32::MIN), Val::I32(-1)])),
        Trap::IntegerOverflow
    );
    assert_eq!(
        trap_of(instance.call(s, "trunc", &[Val::F32(f32::NAN.to_bits())])),
        Trap::BadConversionToInteger
    );
    assert_eq!(
        trap_of(instance.call(s, "load", &[Val::I32(65534)])),
        Trap::MemoryOutOfBounds
    );
    assert_eq!(
        trap_of(instance.call(s, "load", &[Val::I32(-1)])),
        Trap::MemoryOutOfBounds
    );
    assert_eq!(
        trap_of(instance.call(s, "store", &[Val::I32(65436)])),
        Trap::MemoryOutOfBounds
    );
    assert_eq!(
        instance
            .call(s, "store", &[Val::I32(65435)])
            .expect("last byte"),
        []
    );
    assert_eq!(
        trap_of(instance.call(s, "indirect", &[Val::I32(0)])),
        Trap::BadSignature
    );
    assert_eq!(
        trap_of(instance.call(s, "indirect", &[Val::I32(1)])),
        Trap::IndirectCallToNull
    );
    assert_eq!(
        trap_of(instance.call(s, "indirect", &[Val::I32(2)])),
        Trap::TableOutOfBounds
    );
    assert_eq!(
        trap_of(instance.call(s, "table.get", &[Val::I32(5)])),
        Trap::TableOutOfBounds
    );
    assert_eq!(
        trap_of(instance.call(s, "recurse", &[Val::I32(0)])),
        Trap::StackOverflow
    );
    assert_eq!(
        trap_of(instance.call(s, "fill", &[Val::I32(65530), Val::I32(7)])),
        Trap::MemoryOutOfBounds
    );
    // Still usable after all those traps.
    assert_eq!(
        instance
            .call(s, "div", &[Val::I32(7), Val::I32(2)])
            .expect("div"),
        [Val::I32(3)]
    );
}

#[test]
fn memory_grow_size_and_bulk_operations() {
    let (mut store, instance) = setup(
        r#"(module
        (memory (export "mem") 1 3)
        (data $d "hello")
        (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
        (func (export "size") (result i32) (memory.size))
        (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
        (func (export "init") (param i32) (memory.init $d (local.get 0) (i32.const 0) (i32.const 5)))
        (func (export "drop") (data.drop $d))
        (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2))))"#,
    );
    let s = &mut store;
    assert_eq!(instance.call(s, "size", &[]).expect("size"), [Val::I32(1)]);
    assert_eq!(
        trap_of(instance.call(s, "load8", &[Val::I32(65536)])),
        Trap::MemoryOutOfBounds
    );
    assert_eq!(
        instance.call(s, "grow", &[Val::I32(1)]).expect("grow"),
        [Val::I32(1)]
    );
    assert_eq!(
        instance.call(s, "load8", &[Val::I32(65536)]).expect("load"),
        [Val::I32(0)]
    );
    assert_eq!(
        instance.call(s, "grow", &[Val::I32(2)]).expect("grow"),
        [Val::I32(-1)]
    );
    assert_eq!(instance.call(s, "size", &[]).expect("size"), [Val::I32(2)]);
    instance
        .call(s, "init", &[Val::I32(65536 + 10)])
        .expect("init");
    instance
        .call(s, "copy", &[Val::I32(3), Val::I32(65536 + 10), Val::I32(5)])
        .expect("copy");
    let Some(Extern::Memory(memory)) = instance.get_export(s, "mem") else {
        panic!("memory export");
    };
    assert_eq!(&memory.data(s)[3..8], b"hello");
    instance.call(s, "drop", &[]).expect("drop");
    assert_eq!(
        trap_of(instance.call(s, "init", &[Val::I32(0)])),
        Trap::MemoryOutOfBounds
    );
}

#[test]
fn globals_tables_and_reference_types() {
    let (mut store, instance) = setup(
        r#"(module
        (global $g (export "g") (mut i64) (i64.const 5))
        (table $t (export "t") 1 10 funcref)
        (func $one (result i32) (i32.const 1))
        (elem declare func $one)
        (func (export "bump") (result i64)
          (global.set $g (i64.add (global.get $g) (i64.const 1))) (global.get $g))
        (func (export "grow") (result i32) (table.grow $t (ref.func $one) (i32.const 2)))
        (func (export "call") (param i32) (result i32) (call_indirect (result i32) (local.get 0)))
        (func (export "null") (param i32) (result i32) (ref.is_null (table.get $t (local.get 0))))
        (func (export "size") (result i32) (table.size $t)))"#,
    );
    let s = &mut store;
    assert_eq!(instance.call(s, "bump", &[]).expect("bump"), [Val::I64(6)]);
    let Some(Extern::Global(g)) = instance.get_export(s, "g") else {
        panic!("global export");
    };
    assert_eq!(g.get(s), Val::I64(6));
    assert_eq!(
        instance.call(s, "null", &[Val::I32(0)]).expect("null"),
        [Val::I32(1)]
    );
    assert_eq!(instance.call(s, "grow", &[]).expect("grow"), [Val::I32(1)]);
    assert_eq!(instance.call(s, "size", &[]).expect("size"), [Val::I32(3)]);
    assert_eq!(
        instance.call(s, "call", &[Val::I32(2)]).expect("call"),
        [Val::I32(1)]
    );
    assert_eq!(
        instance.call(s, "null", &[Val::I32(2)]).expect("null"),
        [Val::I32(0)]
    );
}

#[test]
fn host_functions_imports_and_start() {
    let mut store = Store::new(&engine());
    let counter = Global::new(
        &mut store,
        GlobalType {
            content: ValType::I32,
            mutable: true,
        },
        Val::I32(40),
    )
    .expect("global");
    let mut linker = Linker::new();
    linker.define("env", "counter", Extern::Global(counter));
    linker.func(
        "env",
        "add",
        FuncType::new([ValType::I32, ValType::I32], [ValType::I32]),
        |args| match args {
            [Val::I32(a), Val::I32(b)] => Ok(vec![Val::I32(a + b)]),
            _ => Err(Trap::Host("bad arguments".to_owned())),
        },
    );
    linker.func("env", "fail", FuncType::new([], []), |_| {
        Err(Trap::Host("refused".to_owned()))
    });
    let instance = instantiate(
        &mut store,
        &linker,
        r#"(module
        (import "env" "add" (func $add (param i32 i32) (result i32)))
        (import "env" "fail" (func $fail))
        (import "env" "counter" (global $c (mut i32)))
        (table 1 funcref)
        (elem (i32.const 0) $add)
        (func $start (global.set $c (call $add (global.get $c) (i32.const 2))))
        (start $start)
        (func (export "via-table") (param i32 i32) (result i32)
          (call_indirect (param i32 i32) (result i32) (local.get 0) (local.get 1) (i32.const 0)))
        (func (export "fail") (call $fail))
        (func (export "tail") (param i32) (result i32)
          (return_call $add (local.get 0) (i32.const 100))))"#,
    );
    assert_eq!(counter.get(&store), Val::I32(42));
    assert_eq!(
        instance
            .call(&mut store, "via-table", &[Val::I32(3), Val::I32(4)])
            .expect("call"),
        [Val::I32(7)]
    );
    assert_eq!(
        trap_of(instance.call(&mut store, "fail", &[])),
        Trap::Host("refused".to_owned())
    );
    assert_eq!(
        instance
            .call(&mut store, "tail", &[Val::I32(1)])
            .expect("tail"),
        [Val::I32(101)]
    );
}

#[test]
fn api_errors_name_the_item() {
    let (mut store, instance) = setup(r#"(module (func (export "f") (param i32)))"#);
    let err = instance.call(&mut store, "g", &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the module has no function export `g` (it exports `f`)"
    );
    let err = instance.call(&mut store, "f", &[Val::I64(1)]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`f` has type (func (param i32)), it was called with (i64)"
    );
    let wasm = wat::parse_str(r#"(module (import "env" "missing" (func)))"#).expect("parses");
    let module = Module::new(store.engine(), &wasm).expect("compiles");
    let err = Linker::new().instantiate(&mut store, &module).unwrap_err();
    assert_eq!(err.to_string(), "unknown import `env::missing`");
}

#[test]
fn segment_out_of_bounds_traps_at_instantiation() {
    let mut store = Store::new(&engine());
    let wasm =
        wat::parse_str(r#"(module (memory 1) (data (i32.const 65535) "ab"))"#).expect("parses");
    let module = Module::new(store.engine(), &wasm).expect("compiles");
    let err = Linker::new().instantiate(&mut store, &module).unwrap_err();
    assert_eq!(err.trap(), Some(&Trap::MemoryOutOfBounds));
}

/// A linker with an immutable global `env::g` of `value`.
fn linker_with_global(store: &mut Store, value: Val, content: ValType) -> Linker {
    let global = Global::new(
        store,
        GlobalType {
            content,
            mutable: false,
        },
        value,
    )
    .expect("global");
    let mut linker = Linker::new();
    linker.define("env", "g", Extern::Global(global));
    linker
}

#[test]
fn extended_constant_segment_offsets_are_evaluated_whole() {
    let mut store = Store::new(&engine());
    let linker = linker_with_global(&mut store, Val::I32(5), ValType::I32);
    let instance = instantiate(
        &mut store,
        &linker,
        r#"(module
        (import "env" "g" (global $g i32))
        (memory (export "m") 1)
        (table (export "t") 20 funcref)
        (func $seven (result i32) (i32.const 7))
        (data (i32.add (global.get $g) (i32.const 10)) "xy")
        (data (i32.mul (i32.const 3) (i32.sub (global.get $g) (i32.const 1))) "z")
        (elem (i32.add (global.get $g) (i32.const 10)) $seven)
        (func (export "call") (param i32) (result i32)
          (call_indirect (result i32) (local.get 0))))"#,
    );
    let Some(Extern::Memory(memory)) = instance.get_export(&store, "m") else {
        panic!("exports m");
    };
    let data = memory.data(&store);
    assert_eq!(&data[15..17], b"xy");
    assert_eq!(data[12], b'z');
    // Where the first operator alone, `global.get $g`, would have put them.
    assert_eq!(data[5], 0);
    assert_eq!(
        instance
            .call(&mut store, "call", &[Val::I32(15)])
            .expect("call"),
        [Val::I32(7)]
    );
    assert_eq!(
        trap_of(instance.call(&mut store, "call", &[Val::I32(5)])),
        Trap::IndirectCallToNull
    );
}

#[test]
fn extended_constant_segment_offsets_of_64_bit_memories() {
    let mut store = Store::new(&engine());
    let linker = linker_with_global(&mut store, Val::I64(0x1_0000_0010), ValType::I64);
    let instance = instantiate(
        &mut store,
        &linker,
        r#"(module
        (import "env" "g" (global $g i64))
        (memory (export "m") i64 1)
        (data (i64.sub (global.get $g) (i64.const 0x1_0000_0000)) "ab")
        (data (i64.add (i64.mul (i64.const 2) (i64.sub (global.get $g) (i64.const 0x1_0000_0000)))
                       (i64.const 1)) "c"))"#,
    );
    let Some(Extern::Memory(memory)) = instance.get_export(&store, "m") else {
        panic!("exports m");
    };
    let data = memory.data(&store);
    assert_eq!(&data[16..18], b"ab");
    assert_eq!(data[33], b'c');
}

#[test]
fn extended_constant_segment_offsets_out_of_bounds_trap_after_earlier_segments() {
    let mut store = Store::new(&engine());
    let mut linker = linker_with_global(&mut store, Val::I32(5), ValType::I32);
    let memory = Memory::new(
        &mut store,
        MemoryType {
            minimum: 1,
            maximum: None,
            memory64: false,
        },
    )
    .expect("memory");
    let table = Table::new(
        &mut store,
        TableType {
            element: ValType::FuncRef,
            minimum: 4,
            maximum: None,
        },
        Val::FuncRef(None),
    )
    .expect("table");
    linker.define("env", "m", Extern::Memory(memory));
    linker.define("env", "t", Extern::Table(table));
    let compile = |store: &Store, wat: &str| {
        Module::new(store.engine(), &wat::parse_str(wat).expect("parses")).expect("compiles")
    };

    // 65531 + 5 = 65536: one byte past the end of the memory.
    let data = compile(
        &store,
        r#"(module
        (import "env" "g" (global $g i32))
        (import "env" "m" (memory 1))
        (data (i32.const 0) "ok")
        (data (i32.add (global.get $g) (i32.const 65531)) "!"))"#,
    );
    let err = linker.instantiate(&mut store, &data).unwrap_err();
    assert_eq!(err.trap(), Some(&Trap::MemoryOutOfBounds));
    assert_eq!(&memory.data(&store)[..2], b"ok");

    // 5 - 2 = 3 holds one element of a 4-element table, not two; element
    // segments come before data segments, so the data is not written.
    let elems = compile(
        &store,
        r#"(module
        (import "env" "g" (global $g i32))
        (import "env" "m" (memory 1))
        (import "env" "t" (table 4 funcref))
        (func $f)
        (elem (i32.const 0) $f)
        (elem (i32.sub (global.get $g) (i32.const 2)) $f $f)
        (data (i32.const 100) "late"))"#,
    );
    let err = linker.instantiate(&mut store, &elems).unwrap_err();
    assert_eq!(err.trap(), Some(&Trap::TableOutOfBounds));
    assert!(matches!(table.get(&store, 0), Some(Val::FuncRef(Some(_)))));
    assert_eq!(table.get(&store, 3), Some(Val::FuncRef(None)));
    assert_eq!(&memory.data(&store)[100..104], [0; 4]);
}

#[test]
fn host_functions_with_the_store_read_memory_and_call_back_into_wasm() {
    let mut store = Store::new(&engine());
    let mut linker = Linker::new();
    // Reads the byte at its argument in the caller's memory and passes it
    // to the caller's `twice`: what a host that introspects its caller
    // does. The only instance of the store is the caller, even while its
    // start function runs.
    linker.func_with_store(
        "env",
        "peek_twice",
        FuncType::new([ValType::I32], [ValType::I32]),
        |store, args| {
            let [Val::I32(address)] = args else {
                return Err(Trap::Host("bad arguments".to_owned()));
            };
            let caller = store.instances().last().expect("the caller is listed");
            let Some(Extern::Memory(memory)) = caller.get_export(store, "memory") else {
                return Err(Trap::Host("no memory".to_owned()));
            };
            let byte = memory.data(store)[*address as usize];
            let twice = caller.get_func(store, "twice").expect("exports twice");
            match twice.call(store, &[Val::I32(i32::from(byte))]) {
                Ok(results) => Ok(results),
                Err(Error::Trap(trap)) => Err(trap),
                Err(other) => Err(Trap::Host(other.to_string())),
            }
        },
    );
    let instance = instantiate(
        &mut store,
        &linker,
        r#"(module
        (import "env" "peek_twice" (func $peek (param i32) (result i32)))
        (memory (export "memory") 1)
        (data (i32.const 0) "\05\ff")
        (global $at-start (export "at-start") (mut i32) (i32.const 0))
        (func $start (global.set $at-start (call $peek (i32.const 0))))
        (start $start)
        (func (export "twice") (param i32) (result i32)
          (if (i32.eq (local.get 0) (i32.const 255)) (then unreachable))
          (i32.mul (local.get 0) (i32.const 2)))
        (func (export "run") (param i32) (result i32) (call $peek (local.get 0))))"#,
    );
    let Some(Extern::Global(at_start)) = instance.get_export(&store, "at-start") else {
        panic!("exports at-start");
    };
    assert_eq!(at_start.get(&store), Val::I32(10));
    assert_eq!(
        instance
            .call(&mut store, "run", &[Val::I32(0)])
            .expect("run"),
        [Val::I32(10)]
    );
    // A trap in the nested call keeps its kind through the host function.
    assert_eq!(
        trap_of(instance.call(&mut store, "run", &[Val::I32(1)])),
        Trap::Unreachable
    );
    // And the store still runs calls afterwards.
    assert_eq!(
        instance
            .call(&mut store, "run", &[Val::I32(0)])
            .expect("run again"),
        [Val::I32(10)]
    );
}

#[test]
fn table_elements_are_readable_and_callable_from_the_host() {
    let (mut store, instance) = setup(
        r#"(module
        (table (export "t") 3 funcref)
        (func $seven (result i32) (i32.const 7))
        (elem (i32.const 0) $seven))"#,
    );
    let Some(Extern::Table(table)) = instance.get_export(&store, "t") else {
        panic!("exports t");
    };
    let Some(Val::FuncRef(Some(reference))) = table.get(&store, 0) else {
        panic!("element 0 is a function");
    };
    // The function is not exported: the handle comes from its reference.
    let func = store
        .func_from_ref(reference)
        .expect("a function of the store");
    assert_eq!(func.call(&mut store, &[]).expect("call"), [Val::I32(7)]);
    assert_eq!(table.get(&store, 1), Some(Val::FuncRef(None)));
    assert_eq!(table.get(&store, 3), None);
}

/// Set in the child process of
/// `signals_of_others_reach_their_handler_and_traps_stay_ours`, which
/// installs process-wide signal handlers and so runs alone.
const SIGNAL_CHILD: &str = "WASM_PRELINK_RUNTIME_SIGNAL_CHILD";

/// How often the foreign `SIGILL` handler ran.
static FOREIGN_SIGILLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Another component's `SIGILL` handler, installed before the runtime's.
extern "C" fn foreign_sigill(_: libc::c_int) {
    // A second arrival can only be a Wasm trap that the runtime failed to
    // catch; returning would re-run the trapping instruction forever.
    if FOREIGN_SIGILLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= 1 {
        // SAFETY: ends the process, which is what the parent checks.
        unsafe { libc::_exit(3) };
    }
}

#[test]
fn signals_of_others_reach_their_handler_and_traps_stay_ours() {
    let name = "signals_of_others_reach_their_handler_and_traps_stay_ours";
    if std::env::var_os(SIGNAL_CHILD).is_none() {
        let exe = std::env::current_exe().expect("test executable");
        let status = std::process::Command::new(exe)
            .args(["--exact", name, "--test-threads=1"])
            .env(SIGNAL_CHILD, "1")
            .stdout(std::process::Stdio::null())
            .status()
            .expect("child runs");
        assert!(status.success(), "the child failed: {status}");
        return;
    }
    // SAFETY: a plain handler for a signal nothing else in this process
    // relies on yet; the runtime installs its own on top at the first call.
    unsafe {
        libc::signal(
            libc::SIGILL,
            foreign_sigill as extern "C" fn(libc::c_int) as libc::sighandler_t,
        )
    };
    let (mut store, instance) = setup(r#"(module (func (export "boom") unreachable))"#);
    assert_eq!(
        trap_of(instance.call(&mut store, "boom", &[])),
        Trap::Unreachable
    );
    // A SIGILL that is not a Wasm trap goes to the handler found before.
    // SAFETY: raising a signal whose handler is installed.
    unsafe { libc::raise(libc::SIGILL) };
    assert_eq!(FOREIGN_SIGILLS.load(std::sync::atomic::Ordering::SeqCst), 1);
    // The runtime's handler is still in place for the next trap.
    assert_eq!(
        trap_of(instance.call(&mut store, "boom", &[])),
        Trap::Unreachable
    );
}

/// The store data is a descriptor the lowering may trust while nothing can
/// change it; a host function can, so a loop that calls one must see the
/// buffer it put in place: new pointer, new length, new bytes.
#[test]
fn a_host_function_replacing_the_buffer_mid_loop_is_seen_by_the_loop() {
    let mut store = Store::new(&engine());
    store.set_host_buffer(vec![0; 8]);
    let mut linker = Linker::new();
    linker.func_with_store("env", "replace", FuncType::new([], []), |store, _| {
        store.set_host_buffer(vec![7; 16]);
        Ok(Vec::new())
    });
    // `host-buf`'s `get`, `set` and `len`, inlined as the linker does.
    let instance = instantiate(
        &mut store,
        &linker,
        r#"(module
        (import "unsafe-intrinsics" "store-data-address" (func $sda (result i64)))
        (import "unsafe-intrinsics" "u64-native-load" (func $load64 (param i64) (result i64)))
        (import "unsafe-intrinsics" "u8-checked-native-load"
          (func $get (param i64 i64 i64) (result i32)))
        (import "unsafe-intrinsics" "u8-checked-native-store"
          (func $set (param i64 i64 i64 i32)))
        (import "env" "replace" (func $replace))
        (func (export "increment-all") (result i64)
          (local $i i64) (local $b i32)
          (block $done (loop $next
            (br_if $done (i64.ge_u (local.get $i)
              (call $load64 (i64.add (call $sda) (i64.const 8)))))
            (local.set $b (call $get (call $load64 (call $sda)) (local.get $i)
                                     (call $load64 (i64.add (call $sda) (i64.const 8)))))
            (call $set (call $load64 (call $sda)) (local.get $i)
                       (call $load64 (i64.add (call $sda) (i64.const 8)))
                       (i32.add (local.get $b) (i32.const 1)))
            (if (i64.eq (local.get $i) (i64.const 3)) (then (call $replace)))
            (local.set $i (i64.add (local.get $i) (i64.const 1)))
            (br $next)))
          (local.get $i)))"#,
    );
    assert_eq!(
        instance
            .call(&mut store, "increment-all", &[])
            .expect("runs"),
        [Val::I64(16)]
    );
    let mut expected = vec![7; 4];
    expected.extend([8; 12]);
    assert_eq!(store.host_buffer(), expected);
}

/// Functions with loops are placed behind padding (see the runtime's
/// `placement`); traps inside and after their loops must still be found
/// and keep their kinds. Prologues of different lengths put the loops at
/// different offsets, so some functions get padding and some do not.
#[test]
fn traps_in_functions_placed_for_their_loops_keep_their_kinds() {
    let mut wat = String::from("(module (memory 1)\n");
    for extra in 0..8 {
        let prologue: String = (0..extra)
            .map(|k| format!("(i32.store offset={} (i32.const 0) (local.get 0))", 4 * k))
            .collect();
        wat.push_str(&format!(
            r#"(func (export "divide-{extra}") (param $n i32) (result i32)
              (local $i i32) (local $sum i32)
              {prologue}
              (block $done (loop $next
                (br_if $done (i32.gt_s (local.get $i) (local.get $n)))
                (local.set $sum (i32.add (local.get $sum)
                  (i32.div_u (i32.const 1000) (i32.sub (local.get $n) (local.get $i)))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $next)))
              (local.get $sum))
            (func (export "unreachable-after-{extra}") (param $n i32)
              (local $i i32)
              {prologue}
              (block $done (loop $next
                (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $next)))
              unreachable)
            "#
        ));
    }
    wat.push(')');
    let (mut store, instance) = setup(&wat);
    for extra in 0..8 {
        // 1000/3 + 1000/2 + 1000/1, then 1000/0.
        assert_eq!(
            trap_of(instance.call(&mut store, &format!("divide-{extra}"), &[Val::I32(3)])),
            Trap::IntegerDivisionByZero,
            "divide-{extra}"
        );
        assert_eq!(
            trap_of(instance.call(
                &mut store,
                &format!("unreachable-after-{extra}"),
                &[Val::I32(100)]
            )),
            Trap::Unreachable,
            "unreachable-after-{extra}"
        );
    }
}
