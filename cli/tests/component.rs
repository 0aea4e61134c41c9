//! `wasm-prelink link --emit component`: the component a user gets, run on
//! Wasmtime 48 with its native intrinsics, and the errors for modules a
//! component cannot express.

mod support;

use support::{assert_fails, example, example_scratch, prelink, stderr};
use wasmtime::component::{Component, Linker, Val};
use wasmtime::{CodeBuilder, Engine, Store};

/// The host-buffer store data: `{ ptr, len }` first, as the builtin reads it.
#[repr(C)]
struct HostBuffer {
    ptr: u64,
    len: u64,
    bytes: Box<[u8]>,
}

impl HostBuffer {
    fn new(bytes: Vec<u8>) -> Self {
        let mut bytes = bytes.into_boxed_slice();
        HostBuffer {
            ptr: bytes.as_mut_ptr() as u64,
            len: bytes.len() as u64,
            bytes,
        }
    }
}

fn compile(engine: &Engine, bytes: &[u8]) -> Component {
    let mut builder = CodeBuilder::new(engine);
    builder.wasm_binary(bytes, None).expect("component bytes");
    // SAFETY: run only in a `Store<HostBuffer>`, whose data starts with the
    // `{ ptr, len }` pair of a buffer the store owns.
    unsafe {
        builder.expose_unsafe_intrinsics("unsafe-intrinsics");
    }
    builder
        .compile_component()
        .expect("wasmtime compiles the component")
}

/// Calls export `name` of a fresh instance over `buffer`; the results, or
/// the trap, and the buffer afterwards.
fn call(
    engine: &Engine,
    component: &Component,
    buffer: &[u8],
    name: &str,
    params: &[Val],
) -> (Result<Vec<Val>, String>, Vec<u8>) {
    let mut store = Store::new(engine, HostBuffer::new(buffer.to_vec()));
    let instance = Linker::new(engine)
        .instantiate(&mut store, component)
        .expect("instantiates with no imports but the intrinsics");
    let func = instance
        .get_func(&mut store, name)
        .unwrap_or_else(|| panic!("export `{name}`"));
    let mut results = vec![Val::Bool(false); func.ty(&store).results().len()];
    let outcome = func
        .call(&mut store, params, &mut results)
        .map(|()| results)
        .map_err(|e| match e.downcast_ref::<wasmtime::Trap>() {
            Some(trap) => format!("trap {trap:?}"),
            None => format!("{e:#}"),
        });
    (outcome, store.data().bytes.to_vec())
}

#[test]
fn the_example_runs_as_a_component_with_native_intrinsics() {
    let dir = example_scratch("example");
    let output = prelink(
        &[
            "link",
            "app.wat",
            "--builtin",
            "host-buf=builtin.wat",
            "--emit",
            "component",
            "-o",
            "out.wasm",
        ],
        &dir,
    );
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let bytes = std::fs::read(dir.join("out.wasm")).expect("output written");
    let engine = Engine::default();
    let component = compile(&engine, &bytes);
    // The intrinsics are served by Wasmtime itself: nothing is left to import.
    assert_eq!(component.component_type().imports(&engine).count(), 0);

    let buffer: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 256) as u8).collect();
    let sum: i64 = buffer.iter().map(|b| i64::from(*b)).sum();
    let (result, _) = call(&engine, &component, &buffer, "checksum", &[]);
    assert_eq!(result.unwrap(), [Val::S64(sum)]);
    let (result, after) = call(&engine, &component, &buffer, "increment-all", &[]);
    assert_eq!(result.unwrap(), []);
    let incremented: Vec<u8> = buffer.iter().map(|b| b.wrapping_add(1)).collect();
    assert_eq!(after, incremented);
    let (result, _) = call(&engine, &component, &buffer, "peek", &[Val::S64(999)]);
    assert_eq!(result.unwrap(), [Val::S32(i32::from(buffer[999]))]);
    let (result, _) = call(&engine, &component, &buffer, "peek", &[Val::S64(1000)]);
    assert_eq!(result.unwrap_err(), "trap MemoryOutOfBounds");
}

#[test]
fn wat_prints_the_component_with_wasmtime_intrinsic_types() {
    let dir = example_scratch("wat");
    let output = prelink(
        &[
            "link",
            "app.wat",
            "--builtin",
            "host-buf=builtin.wat",
            "--emit",
            "component",
            "--wat",
        ],
        &dir,
    );
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let text = String::from_utf8(output.stdout).expect("text");
    assert!(text.starts_with("(component"), "{text}");
    assert!(
        text.contains("(import \"unsafe-intrinsics\" (instance"),
        "{text}"
    );
    // Only the intrinsics the builtin uses, with Wasmtime's types.
    assert!(
        text.contains(
            "(func (param \"base-address\" u64) (param \"offset\" u64) (param \"length\" u64) (result u8))"
        ),
        "{text}"
    );
    assert!(!text.contains("u16-native-load"), "{text}");
    assert!(text.contains("(export \"checksum\""), "{text}");
    assert!(text.contains("(result s64)"), "{text}");
}

/// Every import a component cannot express is named in one error.
#[test]
fn inexpressible_imports_are_all_named() {
    let dir = example_scratch("bad-imports");
    std::fs::write(
        dir.join("bad.wat"),
        r#"(module
            (import "env" "memory" (memory 1))
            (import "env" "table" (table 1 funcref))
            (import "env" "counter" (global (mut i32)))
            (import "env" "pair" (func (result i32 i32)))
            (import "env" "vector" (func (param v128)))
            (import "env" "object" (func (param externref)))
            (import "env" "fine" (func (param i32) (result f64)))
            (func (export "run")))"#,
    )
    .expect("write");
    let output = prelink(
        &["link", "bad.wat", "--emit", "component", "-o", "out.wasm"],
        &dir,
    );
    assert_fails(
        &output,
        &dir,
        &[
            "cannot wrap `bad.wat` as a component: 6 imports or exports cannot be expressed",
            "import `env::memory` is a memory",
            "import `env::table` is a table",
            "import `env::counter` is a global",
            "import `env::pair` has type `(func (result i32 i32))` with 2 results",
            "import `env::vector` has type `(func (param v128))`, and `v128` is not a number",
            "import `env::object` has type `(func (param externref))`",
        ],
    );
    assert!(
        !stderr(&output).contains("env::fine"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn names_without_a_component_name_are_errors() {
    let dir = example_scratch("bad-names");
    std::fs::write(
        dir.join("names.wat"),
        r#"(module
            (import "env" "9lives" (func))
            (import "env" "get_x" (func))
            (import "env" "getX" (func))
            (func (export "2d_blur"))
            (func (export "ok_name")))"#,
    )
    .expect("write");
    let output = prelink(
        &["link", "names.wat", "--emit", "component", "-o", "out.wasm"],
        &dir,
    );
    assert_fails(
        &output,
        &dir,
        &[
            "import `env::9lives` its name `9lives` has no component name",
            "import `env::getX` its component name `getx` is also the name of `env::get_x`",
            "export `2d_blur` its name has no component name",
        ],
    );
}

#[test]
fn left_out_exports_are_warned_about_one_by_one() {
    let dir = example_scratch("left-out");
    std::fs::write(
        dir.join("exports.wat"),
        r#"(module
            (memory (export "memory") 1)
            (global (export "g") i32 (i32.const 1))
            (table (export "t") 1 funcref)
            (func (export "two") (result i32 i32) (i32.const 1) (i32.const 2))
            (func (export "log_value") (param i64) (result i64) (local.get 0)))"#,
    )
    .expect("write");
    let output = prelink(
        &[
            "link",
            "exports.wat",
            "--emit",
            "component",
            "-o",
            "out.wasm",
        ],
        &dir,
    );
    let message = stderr(&output);
    assert!(output.status.success(), "stderr: {message}");
    for item in [
        "warning: left out export memory `memory`",
        "warning: left out export global `g`",
        "warning: left out export table `t`",
        "warning: left out export function `two` (it has type `(func (result i32 i32))` with 2 results",
    ] {
        assert!(message.contains(item), "`{item}` missing from: {message}");
    }
    let engine = Engine::default();
    let component = compile(&engine, &std::fs::read(dir.join("out.wasm")).expect("out"));
    let (result, _) = call(&engine, &component, &[], "log-value", &[Val::S64(-5)]);
    assert_eq!(result.unwrap(), [Val::S64(-5)]);
}

/// `canon lift` makes a final function type alone in its recursion group;
/// a core export declared as a GC subtype or inside a recursion group has
/// a different type of the same signature, so it is left out with a
/// warning rather than giving an invalid component. (Text-format inline
/// signatures reuse the first matching `sub` type, so ordinary-looking
/// functions hit this in GC modules.)
#[test]
fn exports_of_subtyped_or_grouped_types_are_left_out() {
    let dir = example_scratch("subtyped-exports");
    std::fs::write(
        dir.join("subtyped.wat"),
        r#"(module
            (type $open (sub (func (param i32) (result i32))))
            (rec (type $grouped (func (param f32) (result f32))) (type (struct)))
            (func (export "open") (param i32) (result i32) (local.get 0))
            (func (export "grouped") (type $grouped) (local.get 0))
            (func (export "plain") (param i64) (result i64) (local.get 0)))"#,
    )
    .expect("write");
    let output = prelink(
        &[
            "link",
            "subtyped.wat",
            "--emit",
            "component",
            "-o",
            "out.wasm",
        ],
        &dir,
    );
    let message = stderr(&output);
    assert!(output.status.success(), "stderr: {message}");
    for item in [
        "warning: left out export function `open` (it has type `(func (param i32) (result i32))` declared as a GC subtype (`sub`)",
        "warning: left out export function `grouped` (it has type `(func (param f32) (result f32))` declared in a recursion group with other types",
    ] {
        assert!(message.contains(item), "`{item}` missing from: {message}");
    }
    // The core module keeps its GC types, so the engine needs GC.
    let mut config = wasmtime::Config::new();
    config.wasm_gc(true).wasm_function_references(true);
    let engine = Engine::new(&config).expect("engine");
    let component = compile(&engine, &std::fs::read(dir.join("out.wasm")).expect("out"));
    let (result, _) = call(&engine, &component, &[], "plain", &[Val::S64(7)]);
    assert_eq!(result.unwrap(), [Val::S64(7)]);
}

/// An import of a subtyped function type cannot be `canon lower`ed into
/// it; the error names the import instead of reporting an invalid
/// component.
#[test]
fn imports_of_subtyped_types_are_named() {
    let dir = example_scratch("subtyped-imports");
    std::fs::write(
        dir.join("subtyped.wat"),
        r#"(module
            (type $open (sub (func (param i32))))
            (import "env" "log_i32" (func (type $open)))
            (func (export "run")))"#,
    )
    .expect("write");
    let output = prelink(
        &[
            "link",
            "subtyped.wat",
            "--emit",
            "component",
            "-o",
            "out.wasm",
        ],
        &dir,
    );
    assert_fails(
        &output,
        &dir,
        &["import `env::log_i32` has type `(func (param i32))` declared as a GC subtype (`sub`)"],
    );
}

/// A reactor's `_initialize` runs when the component is instantiated,
/// before any export, and is not itself exported.
#[test]
fn initialize_runs_before_any_export() {
    let dir = example_scratch("reactor");
    std::fs::write(
        dir.join("reactor.wat"),
        r#"(module
            (global $ready (mut i32) (i32.const 0))
            (func (export "_initialize") (global.set $ready (i32.const 42)))
            (func (export "ready") (result i32) (global.get $ready)))"#,
    )
    .expect("write");
    let output = prelink(
        &[
            "link",
            "reactor.wat",
            "--emit",
            "component",
            "-o",
            "out.wasm",
        ],
        &dir,
    );
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let engine = Engine::default();
    let component = compile(&engine, &std::fs::read(dir.join("out.wasm")).expect("out"));
    let exports: Vec<String> = component
        .component_type()
        .exports(&engine)
        .map(|(name, _)| name.to_string())
        .collect();
    assert_eq!(exports, ["ready"]);
    let (result, _) = call(&engine, &component, &[], "ready", &[]);
    assert_eq!(result.unwrap(), [Val::S32(42)]);
}

#[test]
fn a_bad_intrinsics_namespace_import_is_named() {
    let dir = example_scratch("bad-intrinsic");
    std::fs::write(
        dir.join("app.wat"),
        r#"(module
            (import "unsafe-intrinsics" "u8-native-lod" (func (param i64) (result i32)))
            (import "unsafe-intrinsics" "memory" (memory 1)))"#,
    )
    .expect("write");
    // A pre-linked module given as the app: the linker refuses the
    // intrinsics namespace in an app before wrapping is reached.
    let output = prelink(
        &["link", "app.wat", "--emit", "component", "-o", "out.wasm"],
        &dir,
    );
    assert_fails(&output, &dir, &["u8-native-lod"]);
}

/// Store data of a WASI component: the host-buffer pair first, then WASI.
#[repr(C)]
struct WasiHost {
    ptr: u64,
    len: u64,
    bytes: Box<[u8]>,
    wasi: wasmtime_wasi::WasiCtx,
    table: wasmtime_wasi::ResourceTable,
}

impl wasmtime_wasi::WasiView for WasiHost {
    fn ctx(&mut self) -> wasmtime_wasi::WasiCtxView<'_> {
        wasmtime_wasi::WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// A WASI command whose `_start` reads the host buffer through the
/// builtin and prints what it read: through the preview1 adapter it
/// becomes a WASI 0.2 command, and the intrinsics import survives.
#[test]
fn a_wasi_command_becomes_a_wasi_component_that_keeps_the_intrinsics() {
    let dir = example_scratch("wasi");
    std::fs::write(
        dir.join("hello.wat"),
        r#"(module
            (import "wasi_snapshot_preview1" "fd_write"
              (func $fd_write (param i32 i32 i32 i32) (result i32)))
            (import "host-buf" "get" (func $get (param i64) (result i32)))
            (import "host-buf" "len" (func $len (result i64)))
            (memory (export "memory") 1)
            (func (export "_start")
              ;; The first and the last byte of the buffer, then a newline.
              (i32.store8 (i32.const 16) (call $get (i64.const 0)))
              (i32.store8 (i32.const 17)
                (call $get (i64.sub (call $len) (i64.const 1))))
              (i32.store8 (i32.const 18) (i32.const 10))
              (i32.store (i32.const 0) (i32.const 16))
              (i32.store (i32.const 4) (i32.const 3))
              (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#,
    )
    .expect("write");
    let output = prelink(
        &[
            "link",
            "hello.wat",
            "--builtin",
            "host-buf=builtin.wat",
            "--emit",
            "component",
            "-o",
            "out.wasm",
        ],
        &dir,
    );
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let engine = Engine::default();
    let component = compile(&engine, &std::fs::read(dir.join("out.wasm")).expect("out"));
    let imports: Vec<String> = component
        .component_type()
        .imports(&engine)
        .map(|(name, _)| name.to_string())
        .collect();
    assert!(
        imports.iter().all(|name| name.starts_with("wasi:")),
        "only WASI 0.2 is left to the host: {imports:?}"
    );

    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).expect("wasi");
    let stdout = wasmtime_wasi::p2::pipe::MemoryOutputPipe::new(1024);
    let mut bytes = b"A..Z".to_vec().into_boxed_slice();
    let host = WasiHost {
        ptr: bytes.as_mut_ptr() as u64,
        len: bytes.len() as u64,
        bytes,
        wasi: wasmtime_wasi::WasiCtxBuilder::new()
            .stdout(stdout.clone())
            .build(),
        table: wasmtime_wasi::ResourceTable::new(),
    };
    let mut store = Store::new(&engine, host);
    let command =
        wasmtime_wasi::p2::bindings::sync::Command::instantiate(&mut store, &component, &linker)
            .expect("instantiates as a WASI command");
    command
        .wasi_cli_run()
        .call_run(&mut store)
        .expect("runs")
        .expect("exits successfully");
    assert_eq!(&stdout.contents()[..], b"AZ\n");
    assert_eq!(&store.data().bytes[..], b"A..Z");
}

/// Embeds a `component-type` section declaring `wit` (world `w`), as
/// wit-bindgen does, into the module `wat`.
fn with_metadata(wat: &str, wit: &str) -> Vec<u8> {
    let mut module = wat::parse_str(wat).expect("module");
    let mut resolve = wit_parser::Resolve::default();
    let package = resolve.push_str("meta.wit", wit).expect("wit parses");
    let world = resolve.select_world(&[package], Some("w")).expect("world");
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
        false,
    )
    .expect("metadata embeds");
    module
}

/// wit-bindgen metadata of a builtin survives linking next to the app's, so
/// `wit-component` (what `wasm-tools component new` runs) makes the linked
/// module a component: the builtin's world supplies the intrinsics import,
/// the app's the export.
#[test]
fn builtin_component_type_metadata_is_kept_through_linking() {
    let dir = example_scratch("metadata");
    let builtin = with_metadata(
        &std::fs::read_to_string(example("builtin.wat")).expect("builtin"),
        "package example:builtin;
         world w {
           import unsafe-intrinsics: interface {
             store-data-address: func() -> u64;
             u64-native-load: func(address: u64) -> u64;
             u8-checked-native-load: func(base-address: u64, offset: u64, length: u64) -> u8;
             u8-checked-native-store: func(base-address: u64, offset: u64, length: u64, value: u8);
           }
         }",
    );
    let app = with_metadata(
        &std::fs::read_to_string(example("app.wat")).expect("app"),
        "package example:app;
         world w {
           export checksum: func() -> s64;
         }",
    );
    std::fs::write(dir.join("builtin.wasm"), builtin).expect("write");
    std::fs::write(dir.join("app.wasm"), app).expect("write");
    let output = prelink(
        &[
            "link",
            "app.wasm",
            "--builtin",
            "host-buf=builtin.wasm",
            "-o",
            "out.wasm",
        ],
        &dir,
    );
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let linked = std::fs::read(dir.join("out.wasm")).expect("out");
    let bytes = wit_component::ComponentEncoder::default()
        .validate(true)
        .module(&linked)
        .expect("wit-component reads the merged metadata")
        .encode()
        .expect("wit-component encodes the linked module");
    let engine = Engine::default();
    let component = compile(&engine, &bytes);
    assert_eq!(component.component_type().imports(&engine).count(), 0);
    let buffer = [3u8, 4, 250];
    let (result, _) = call(&engine, &component, &buffer, "checksum", &[]);
    assert_eq!(result.unwrap(), [Val::S64(257)]);
}
