//! Embedding a pre-linked module in stock Wasmtime 48, intrinsics included.
//!
//! This is the host an embedder copies. It owns some data — here a
//! sensor's 16-bit readings and a field the Wasm side fills in — and wants
//! an untrusted application (`app.wat`) to use it through a small API
//! without paying a host call per access. The API is written in Wasm as a
//! trusted *builtin* (`builtin.wat`) on top of the unsafe intrinsics, and
//! bound to the application at build time:
//!
//! 1. `wasm_prelink::Linker` merges the builtin into the app and inlines
//!    it, so the app's loops call the intrinsics directly;
//! 2. `wasm_prelink::component::wrap` turns the merged core module into a
//!    component whose intrinsic imports are one `unsafe-intrinsics`
//!    instance import;
//! 3. `CodeBuilder::expose_unsafe_intrinsics` tells Wasmtime to serve that
//!    import itself: each intrinsic compiles to a native load or store.
//!
//! # The safety contract
//!
//! `expose_unsafe_intrinsics` is `unsafe` because the intrinsics read and
//! write native memory at whatever address the Wasm computes. Wasmtime
//! checks nothing; the embedder promises, for every store the component
//! runs in:
//!
//! - **Layout.** `store-data-address` returns the address of the store's
//!   data (the `T` of `Store<T>`), and the builtin reads it at fixed
//!   offsets. `Sensor` is `#[repr(C)]` and the offsets the builtin uses are
//!   asserted at compile time below; change one side, the build fails.
//! - **What the builtin may assume.** At offset 0 a pointer to
//!   `bytes` readable bytes (offset 8), valid for the whole call; at offset
//!   16 a `u32` it may overwrite. Nothing else: it reaches the readings only
//!   through a checked intrinsic against that length, so the app — which
//!   can call the builtin's exports with any arguments but can never import
//!   an intrinsic itself (the linker refuses such an app) — cannot make it
//!   touch other memory.
//! - **Nothing moves while Wasm runs.** Wasmtime keeps the store's data at
//!   one address for the store's life, and the readings live in a heap
//!   block the record points to. Host code that replaces or grows the
//!   readings (a host function given `data_mut()`, or the host between
//!   calls) must update `ptr` and `bytes` with them; `Sensor::replace`
//!   does both, and the fields are private so nothing else can.
//! - **Only trusted code gets the intrinsics.** Only a module linked here
//!   from a builtin the host wrote is compiled with them exposed.
//! - **The descriptor.** The link declares `ptr` and `bytes` a store-data
//!   descriptor (`Linker::store_data_descriptor(16)`), so the app's loops
//!   load them once per call rather than once per reading. That adds three
//!   promises: the two words are readable while the store exists; while a
//!   Wasm function runs they change only through its own native stores or
//!   during the calls it makes (never from another thread); and no address
//!   computed from them points back into them (the readings live in their
//!   own heap block). `Sensor::replace` keeps all three.
//!
//! Run it with `cargo run -p cli --example wasmtime_embedding`; the test
//! at the bottom runs it and checks what it prints.

use anyhow::{Context, Result};
use std::io::Write;
use wasmtime::component::{Component, Linker, TypedFunc};
use wasmtime::{CodeBuilder, Config, Engine, Store, Trap};

/// The application: untrusted, sees only the `sensor` API.
const APP: &str = include_str!("app.wat");
/// The builtin: trusted, implements `sensor` with the intrinsics.
const BUILTIN: &str = include_str!("builtin.wat");
/// The name the app imports the API under.
const API: &str = "sensor";
/// The instance import the wrapper gives the intrinsics, which Wasmtime
/// serves.
const INTRINSICS: &str = "unsafe-intrinsics";

/// The store data the builtin reads through `store-data-address`.
#[repr(C)]
struct Sensor {
    /// Address of the first reading (offset 0).
    ptr: u64,
    /// Length of the readings in bytes (offset 8).
    bytes: u64,
    /// Written by the builtin's `publish-max` (offset 16).
    max: u32,
    /// Owns the memory `ptr` points to; never read by Wasm directly.
    readings: Vec<u16>,
}

/// `ptr` and `bytes`: the part of `Sensor` declared a store-data descriptor.
const DESCRIPTOR_BYTES: u32 = 16;

// The offsets `builtin.wat` uses.
const _: () = {
    assert!(std::mem::offset_of!(Sensor, bytes) + 8 == DESCRIPTOR_BYTES as usize);
    assert!(std::mem::offset_of!(Sensor, ptr) == 0);
    assert!(std::mem::offset_of!(Sensor, bytes) == 8);
    assert!(std::mem::offset_of!(Sensor, max) == 16);
};

impl Sensor {
    fn new(readings: Vec<u16>) -> Sensor {
        let mut sensor = Sensor {
            ptr: 0,
            bytes: 0,
            max: 0,
            readings: Vec::new(),
        };
        sensor.replace(readings);
        sensor
    }

    /// Installs new readings and describes them in the record, together:
    /// the only way the record changes.
    fn replace(&mut self, readings: Vec<u16>) {
        self.readings = readings;
        self.ptr = self.readings.as_mut_ptr() as u64;
        self.bytes = std::mem::size_of_val(self.readings.as_slice()) as u64;
    }
}

/// Links, wraps and compiles the app with the builtin; the component is
/// compiled once and can be instantiated in any number of stores.
fn compile(engine: &Engine) -> Result<Component> {
    let linked = wasm_prelink::Linker::new()
        .builtin(API, BUILTIN)?
        .store_data_descriptor(DESCRIPTOR_BYTES)
        .link(APP.as_bytes())
        .context("cannot link the app")?;
    let options = wasm_prelink::component::ComponentOptions::default();
    let wrapped = wasm_prelink::component::wrap(&linked.wasm, &options)
        .context("cannot wrap the linked app")?;
    let mut builder = CodeBuilder::new(engine);
    // SAFETY: see the contract above — the only code that imports the
    // intrinsics is `builtin.wat`, which reads `Sensor` at the asserted
    // offsets and reaches the readings only through a checked load; every
    // store below holds a `Sensor` built by `Sensor::new`.
    unsafe {
        builder.expose_unsafe_intrinsics(INTRINSICS);
    }
    builder.wasm_binary(&wrapped.bytes, None)?;
    Ok(builder.compile_component()?)
}

/// The app's exports, looked up once.
struct App {
    sum: TypedFunc<(), (i64,)>,
    publish_max: TypedFunc<(), ()>,
    reading: TypedFunc<(i64,), (i32,)>,
}

impl App {
    /// Instantiates the component in `store` and looks up the exports
    /// (lifted under the core export names, which are component names
    /// already; signed, since the wrapper lifts `i32`/`i64` as `s32`/`s64`).
    fn new(store: &mut Store<Sensor>, engine: &Engine, component: &Component) -> Result<App> {
        let instance = Linker::new(engine).instantiate(&mut *store, component)?;
        Ok(App {
            sum: instance.get_typed_func(&mut *store, "sum")?,
            publish_max: instance.get_typed_func(&mut *store, "publish-max")?,
            reading: instance.get_typed_func(&mut *store, "reading")?,
        })
    }
}

/// Runs the example, writing what it does to `out`.
fn run(out: &mut impl Write) -> Result<()> {
    let engine = Engine::new(&Config::new())?;
    let component = compile(&engine)?;
    let mut store = Store::new(&engine, Sensor::new(vec![120, 4000, 65535, 7, 300]));
    let app = App::new(&mut store, &engine, &component)?;

    let (sum,) = app.sum.call(&mut store, ())?;
    writeln!(out, "sum of {:?}: {sum}", store.data().readings)?;
    app.publish_max.call(&mut store, ())?;
    writeln!(out, "max written into the store data: {}", store.data().max)?;

    // Between calls the host may change the readings, record included.
    store.data_mut().replace(vec![10, 20, 30]);
    let (sum,) = app.sum.call(&mut store, ())?;
    writeln!(out, "sum of {:?}: {sum}", store.data().readings)?;
    let (last,) = app.reading.call(&mut store, (2,))?;
    writeln!(out, "reading 2: {last}")?;

    // Out of range, the builtin's checked load traps. A component instance
    // that trapped cannot be entered again (a rule of the component model;
    // Wasmtime 48 refuses any further entry into that store), so a host
    // that carries on takes its data back and starts a new store with it.
    // Moving the data is fine here, between calls: `Sensor`'s record
    // points into the readings' heap block, which does not move with it.
    let trap = app.reading.call(&mut store, (3,)).unwrap_err();
    writeln!(out, "reading 3: {}", trap.downcast::<Trap>()?)?;
    let again = app.sum.call(&mut store, ()).unwrap_err();
    writeln!(out, "sum again: {}", again.downcast::<Trap>()?)?;
    let mut store = Store::new(&engine, store.into_data());
    let app = App::new(&mut store, &engine, &component)?;
    let (sum,) = app.sum.call(&mut store, ())?;
    writeln!(out, "sum in another store: {sum}")?;
    let trap = app.reading.call(&mut store, (-1,)).unwrap_err();
    writeln!(
        out,
        "reading -1 in a new store: {}",
        trap.downcast::<Trap>()?
    )?;
    Ok(())
}

fn main() -> Result<()> {
    run(&mut std::io::stdout().lock())
}

#[cfg(test)]
mod tests {
    /// The example does what its comments say: the builtin reads the
    /// host's readings, writes the host's field, sees replaced readings,
    /// traps out of range, and after a trap the data carries over into a
    /// new store.
    #[test]
    fn prints_what_the_host_expects() {
        let mut out = Vec::new();
        super::run(&mut out).expect("the example runs");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "sum of [120, 4000, 65535, 7, 300]: 69962\n\
             max written into the store data: 65535\n\
             sum of [10, 20, 30]: 60\n\
             reading 2: 30\n\
             reading 3: wasm trap: out of bounds memory access\n\
             sum again: wasm trap: cannot enter component instance\n\
             sum in another store: 60\n\
             reading -1 in a new store: wasm trap: out of bounds memory access\n"
        );
    }
}
