//! End-to-end behaviour of the runtime: values, memories, tables, globals,
//! imports, every trap kind, and the lowered intrinsics against the host
//! buffer.

use wasm_prelink_runtime::{
    Config, Engine, Error, Extern, FuncType, Global, GlobalType, Instance, Linker, Module, Store,
    Trap, Val, ValType,
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
