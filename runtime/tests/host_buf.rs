//! The host-buffer example end to end: linked by stage 1, lowered by stage
//! 2, run against the store's host buffer — and identical to the slow path
//! (lowering off, intrinsics served by the host implementations).

use wasm_prelink::{InlineMode, Linker as PreLinker};
use wasm_prelink_runtime::{Config, Engine, Error, Linker, Module, Store, Trap, Val};

fn example(file: &str) -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/host-buf/");
    std::fs::read(format!("{path}{file}")).expect("example file")
}

fn linked(mode: InlineMode) -> Vec<u8> {
    PreLinker::new()
        .inline(mode)
        .builtin("host-buf", example("builtin.wat"))
        .expect("builtin loads")
        .link(&example("app.wat"))
        .expect("app links")
        .wasm
}

/// Runs `increment-all` twice, `checksum` and `peek` at the edges.
fn transcript(wasm: &[u8], lowering: bool) -> (Vec<u8>, Vec<Result<Vec<Val>, String>>) {
    let engine = Engine::new(Config::new().lowering(lowering)).expect("engine");
    let module = Module::new(&engine, wasm).expect("compiles");
    let mut store = Store::new(&engine);
    store.set_host_buffer((0..=255u8).cycle().take(1000).collect());
    let instance = Linker::new()
        .instantiate(&mut store, &module)
        .expect("instantiates");
    let mut results = Vec::new();
    let mut call = |store: &mut Store, name: &str, args: &[Val]| {
        results.push(instance.call(store, name, args).map_err(|e| e.to_string()));
    };
    call(&mut store, "increment-all", &[]);
    call(&mut store, "increment-all", &[]);
    call(&mut store, "checksum", &[]);
    for index in [0, 999, 1000, -1, i64::MAX] {
        call(&mut store, "peek", &[Val::I64(index)]);
    }
    (store.host_buffer().to_vec(), results)
}

#[test]
fn lowered_and_host_paths_agree_in_every_inline_mode() {
    let expected_buffer: Vec<u8> = (0..=255u8)
        .cycle()
        .take(1000)
        .map(|b| b.wrapping_add(2))
        .collect();
    let checksum: i64 = expected_buffer.iter().map(|&b| i64::from(b)).sum();
    let oob = Err(Error::Trap(Trap::MemoryOutOfBounds).to_string());
    let expected = vec![
        Ok(vec![]),
        Ok(vec![]),
        Ok(vec![Val::I64(checksum)]),
        Ok(vec![Val::I32(i32::from(expected_buffer[0]))]),
        Ok(vec![Val::I32(i32::from(expected_buffer[999]))]),
        oob.clone(),
        oob.clone(),
        oob,
    ];
    for mode in [InlineMode::None, InlineMode::Auto, InlineMode::All] {
        let wasm = linked(mode);
        for lowering in [true, false] {
            let (buffer, results) = transcript(&wasm, lowering);
            assert_eq!(buffer, expected_buffer, "{mode:?}, lowering {lowering}");
            assert_eq!(results, expected, "{mode:?}, lowering {lowering}");
        }
    }
}

#[test]
fn intrinsics_escaping_through_a_table_use_the_host_implementations() {
    // A builtin-style module (intrinsics are trusted code) that calls the
    // same intrinsic directly and through `call_indirect`.
    let wasm = wat::parse_str(
        r#"(module
        (import "unsafe-intrinsics" "store-data-address" (func $sda (result i64)))
        (import "unsafe-intrinsics" "u64-native-load" (func $load64 (param i64) (result i64)))
        (import "unsafe-intrinsics" "u8-checked-native-load"
          (func $get (param i64 i64 i64) (result i32)))
        (type $get_t (func (param i64 i64 i64) (result i32)))
        (table funcref (elem $get))
        (func $args (param $i i64) (result i64 i64 i64)
          (call $load64 (call $sda)) (local.get $i)
          (call $load64 (i64.add (call $sda) (i64.const 8))))
        (func (export "direct") (param i64) (result i32)
          (call $get (call $args (local.get 0))))
        (func (export "indirect") (param i64) (result i32)
          (call_indirect (type $get_t) (call $args (local.get 0)) (i32.const 0)))
        (func (export "address") (result i64) (call $sda)))"#,
    )
    .expect("parses");
    let engine = Engine::new(Config::new()).expect("engine");
    let module = Module::new(&engine, &wasm).expect("compiles");
    let mut store = Store::new(&engine);
    store.set_host_buffer(vec![10, 20, 30]);
    let instance = Linker::new()
        .instantiate(&mut store, &module)
        .expect("instantiates");
    let address = store.store_data_address() as i64;
    assert_eq!(
        instance.call(&mut store, "address", &[]).expect("address"),
        [Val::I64(address)]
    );
    for name in ["direct", "indirect"] {
        assert_eq!(
            instance.call(&mut store, name, &[Val::I64(2)]).expect(name),
            [Val::I32(30)]
        );
        assert_eq!(
            instance
                .call(&mut store, name, &[Val::I64(3)])
                .unwrap_err()
                .trap(),
            Some(&Trap::MemoryOutOfBounds)
        );
    }
}
