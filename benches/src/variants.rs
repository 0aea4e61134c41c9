//! The eight ways of running the host-buffer workloads, behind one trait.
//!
//! The benchmark exists to compare how the same builtin code performs when
//! it is bound in different ways, so every variant runs the *same* Wasm:
//! `data/app.wat` as the application and `examples/host-buf/builtin.wat` as
//! the builtin, wrapped in components where wasmtime needs them
//! (`data/*.component.wat`, into which the core modules are spliced rather
//! than copied, so the texts cannot drift apart). What changes is only who
//! implements `get`/`set`/`len` and how late the binding happens:
//!
//! | variant | binding |
//! |---|---|
//! | `wasmtime-core-host` | wasmtime core module, `get`/`set`/`len` as host functions (`Linker::func_wrap`) |
//! | `wasmtime-component-host` | wasmtime component, the API as component host functions |
//! | `wasmtime-builtins` | wasmtime component with the builtin as a compile-time builtin, intrinsics exposed, Cranelift inlining on — the anchor |
//! | `wasmtime-linked` | wasmtime core module: our linked + inlined module, the intrinsics as host functions |
//! | `wasmtime-prelinked` | wasmtime component: our linked + inlined module wrapped by `wasm_prelink::component` (`--emit component`), the intrinsics exposed, so Wasmtime lowers them itself |
//! | `prelink-inlined` | our runtime on our linked + inlined module (stage 1 + stage 2) |
//! | `prelink-no-inline` | our runtime on the module linked with `InlineMode::None` (stage 2 alone) |
//! | `native` | Rust, the same accessors and bounds checks |
//!
//! Each variant owns its engine, compiled code, instance and a host buffer,
//! and looks up its exports once, so a call measures the workload and not
//! the lookup. [`Variant::peek`] exists so tests can prove every variant
//! still traps out of range.

use crate::workload::{native, HostBuffer, Workload, RANDOM_SEED};
use anyhow::{anyhow, Context, Result};
use wasm_prelink::InlineMode;

/// The benchmark application (both workloads and `peek`).
pub const APP_WAT: &str = include_str!("../data/app.wat");
/// The example's builtin, used unchanged by every Wasm variant.
pub const BUILTIN_WAT: &str = include_str!("../../examples/host-buf/builtin.wat");
/// The component around [`APP_WAT`].
const APP_COMPONENT_WAT: &str = include_str!("../data/app.component.wat");
/// The component around [`BUILTIN_WAT`].
const BUILTIN_COMPONENT_WAT: &str = include_str!("../data/builtin.component.wat");
/// The line of a component template the core module replaces.
const CORE_MODULE_MARKER: &str = ";; core-module $impl";
/// The name the app imports the API under and the builtin is linked as.
const API: &str = "host-buf";
/// The intrinsics namespace of the builtin (wasmtime's and ours agree).
const INTRINSICS: &str = "unsafe-intrinsics";

/// One way of binding the API, in report order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// (1) wasmtime core module with host functions.
    WasmtimeCoreHost,
    /// (2) wasmtime component with host functions.
    WasmtimeComponentHost,
    /// (3) wasmtime compile-time builtins: the anchor.
    WasmtimeBuiltins,
    /// (4) wasmtime on our linked + inlined module.
    WasmtimeLinked,
    /// (4b) wasmtime on our linked + inlined module wrapped as a component,
    /// the intrinsics exposed.
    WasmtimePrelinked,
    /// (5) our runtime on our linked + inlined module.
    PrelinkInlined,
    /// (6) our runtime on our linked, not inlined, module.
    PrelinkNoInline,
    /// (7) native Rust.
    Native,
}

impl Kind {
    /// Every variant, in report order.
    pub const ALL: [Kind; 8] = [
        Kind::WasmtimeCoreHost,
        Kind::WasmtimeComponentHost,
        Kind::WasmtimeBuiltins,
        Kind::WasmtimeLinked,
        Kind::WasmtimePrelinked,
        Kind::PrelinkInlined,
        Kind::PrelinkNoInline,
        Kind::Native,
    ];

    /// The variant every ratio is relative to: wasmtime's own answer to the
    /// problem this project solves.
    pub const ANCHOR: Kind = Kind::WasmtimeBuiltins;

    /// Short stable identifier (criterion benchmark id).
    pub fn id(self) -> &'static str {
        match self {
            Kind::WasmtimeCoreHost => "wasmtime-core-host",
            Kind::WasmtimeComponentHost => "wasmtime-component-host",
            Kind::WasmtimeBuiltins => "wasmtime-builtins",
            Kind::WasmtimeLinked => "wasmtime-linked",
            Kind::WasmtimePrelinked => "wasmtime-prelinked",
            Kind::PrelinkInlined => "prelink-inlined",
            Kind::PrelinkNoInline => "prelink-no-inline",
            Kind::Native => "native",
        }
    }

    /// What the variant is, for the report.
    pub fn description(self) -> &'static str {
        match self {
            Kind::WasmtimeCoreHost => "wasmtime 48, core module, API as host functions",
            Kind::WasmtimeComponentHost => "wasmtime 48, component, API as host functions",
            Kind::WasmtimeBuiltins => {
                "wasmtime 48, component, compile-time builtins + inlining (anchor)"
            }
            Kind::WasmtimeLinked => {
                "wasmtime 48, our linked+inlined module, intrinsics as host functions"
            }
            Kind::WasmtimePrelinked => {
                "wasmtime 48, our linked+inlined module as a component (`--emit component`), intrinsics exposed"
            }
            Kind::PrelinkInlined => "our runtime, linked+inlined module (stage 1 + 2)",
            Kind::PrelinkNoInline => "our runtime, linked without inlining (stage 2 only)",
            Kind::Native => "native Rust, same bounds checks",
        }
    }

    /// Parses [`Kind::id`] back.
    pub fn from_id(id: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.id() == id)
    }
}

/// A variant ready to run: compiled, instantiated, buffer in place.
pub trait Variant {
    /// Runs one call of `workload` (the random one does as many steps as
    /// the buffer has bytes).
    fn run(&mut self, workload: Workload) -> Result<()>;
    /// Calls `peek(index)`: the byte, or the trap as an error.
    fn peek(&mut self, index: u64) -> Result<u8>;
    /// The host buffer as it is now.
    fn buffer(&self) -> &[u8];
}

/// Builds `kind` over a copy of `initial`.
pub fn build(kind: Kind, initial: &[u8]) -> Result<Box<dyn Variant>> {
    let buffer = HostBuffer::new(initial.to_vec());
    Ok(match kind {
        Kind::WasmtimeCoreHost => Box::new(wasmtime_core::host(buffer)?),
        Kind::WasmtimeComponentHost => Box::new(wasmtime_component::host(buffer)?),
        Kind::WasmtimeBuiltins => Box::new(wasmtime_component::builtins(buffer)?),
        Kind::WasmtimeLinked => Box::new(wasmtime_core::linked(buffer)?),
        Kind::WasmtimePrelinked => Box::new(wasmtime_prelinked::Prelinked::new(buffer)?),
        Kind::PrelinkInlined => Box::new(prelink::Prelink::new(buffer, InlineMode::Auto)?),
        Kind::PrelinkNoInline => Box::new(prelink::Prelink::new(buffer, InlineMode::None)?),
        Kind::Native => Box::new(Native(buffer)),
    })
}

/// The app linked with the builtin by our linker.
pub fn linked_app(inline: InlineMode) -> Result<Vec<u8>> {
    linked_app_with_descriptor(inline, 0)
}

/// The app linked for a host that vouches for a store-data descriptor of
/// `bytes` bytes, with its loads hoisted to function entry (what
/// `wasm-prelink run --engine wasmtime` does for Wasmtime).
pub fn linked_app_with_descriptor(inline: InlineMode, bytes: u32) -> Result<Vec<u8>> {
    let linked = wasm_prelink::Linker::new()
        .builtin(API, BUILTIN_WAT)?
        .inline(inline)
        .store_data_descriptor(bytes)
        .link(APP_WAT.as_bytes())?;
    Ok(linked.wasm)
}

/// Puts `core_wat` (a `(module ...)` text) into a component template in
/// place of [`CORE_MODULE_MARKER`], naming the module `$impl`.
fn splice(template: &str, core_wat: &str) -> Result<String> {
    let start = core_wat
        .find("(module")
        .ok_or_else(|| anyhow!("no `(module` in a core module text"))?;
    let core = format!("(core module $impl{}", &core_wat[start + "(module".len()..]);
    anyhow::ensure!(
        template.contains(CORE_MODULE_MARKER),
        "component template lacks the `{CORE_MODULE_MARKER}` line"
    );
    Ok(template.replacen(CORE_MODULE_MARKER, &core, 1))
}

/// The app as a component importing the `host-buf` instance.
pub fn app_component() -> Result<String> {
    splice(APP_COMPONENT_WAT, APP_WAT)
}

/// The builtin as a component importing the intrinsics instance.
pub fn builtin_component() -> Result<String> {
    splice(BUILTIN_COMPONENT_WAT, BUILTIN_WAT)
}

/// The random workload's step count: one per buffer byte, so ns/byte means
/// the same thing for both workloads.
fn random_count(buffer: &[u8]) -> u64 {
    buffer.len() as u64
}

/// (7) The native floor.
struct Native(HostBuffer);

impl Variant for Native {
    fn run(&mut self, workload: Workload) -> Result<()> {
        match workload {
            Workload::InOrder => native::increment_all(&mut self.0)?,
            Workload::Random => {
                let count = random_count(self.0.bytes());
                native::increment_random(&mut self.0, count)?
            }
        }
        Ok(())
    }
    fn peek(&mut self, index: u64) -> Result<u8> {
        Ok(native::peek(&self.0, index)?)
    }
    fn buffer(&self) -> &[u8] {
        self.0.bytes()
    }
}

/// Variants (1) and (4): wasmtime core modules.
pub(crate) mod wasmtime_core {
    use super::*;
    use wasmtime::{Caller, Config, Engine, Instance, Linker, Module, Store, TypedFunc};

    /// A wasmtime core instance with the app's exports looked up.
    pub struct Core {
        store: Store<HostBuffer>,
        increment_all: TypedFunc<(), ()>,
        increment_random: TypedFunc<(i64, i64), ()>,
        peek: TypedFunc<i64, i32>,
    }

    /// (1): the app, `host-buf` implemented by host functions.
    pub fn host(buffer: HostBuffer) -> Result<Core> {
        let engine = Engine::new(&Config::new())?;
        let mut linker = Linker::<HostBuffer>::new(&engine);
        define_host_api(&mut linker)?;
        instantiate(&engine, &linker, APP_WAT.as_bytes(), buffer)
    }

    /// Defines `host-buf`'s `get`/`set`/`len` as host functions over the
    /// store's [`HostBuffer`], trapping out of range like the builtin. The
    /// C program's benchmark binds its app the same way.
    pub fn define_host_api(linker: &mut Linker<HostBuffer>) -> Result<()> {
        linker.func_wrap(
            API,
            "get",
            |c: Caller<'_, HostBuffer>, i: i64| -> wasmtime::Result<i32> {
                Ok(i32::from(c.data().get(i as u64)?))
            },
        )?;
        linker.func_wrap(
            API,
            "set",
            |mut c: Caller<'_, HostBuffer>, i: i64, v: i32| -> wasmtime::Result<()> {
                Ok(c.data_mut().set(i as u64, v as u8)?)
            },
        )?;
        linker.func_wrap(API, "len", |c: Caller<'_, HostBuffer>| {
            c.data().len() as i64
        })?;
        Ok(())
    }

    /// (4): our linked + inlined module; the intrinsics it still imports
    /// are host functions, the lowering crate's reference implementations.
    pub fn linked(buffer: HostBuffer) -> Result<Core> {
        use wasm_prelink_lowering::host;
        let engine = Engine::new(&Config::new())?;
        let mut linker = Linker::<HostBuffer>::new(&engine);
        linker.func_wrap(
            INTRINSICS,
            "store-data-address",
            |c: Caller<'_, HostBuffer>| c.data().address() as i64,
        )?;
        // The only module instantiated here is the app linked with the
        // trusted builtin, which reads the `HostBuffer` record and accesses
        // the buffer it describes within its length.
        linker.func_wrap(INTRINSICS, "u64-native-load", |address: i64| {
            // SAFETY: the builtin loads only from the `HostBuffer` record.
            unsafe { host::u64_native_load(address as u64) as i64 }
        })?;
        linker.func_wrap(
            INTRINSICS,
            "u8-checked-native-load",
            |base: i64, offset: i64, length: i64| -> wasmtime::Result<i32> {
                // SAFETY: checked against the length the record gives.
                let byte = unsafe {
                    host::u8_checked_native_load(base as u64, offset as u64, length as u64)?
                };
                Ok(byte as i32)
            },
        )?;
        linker.func_wrap(
            INTRINSICS,
            "u8-checked-native-store",
            |base: i64, offset: i64, length: i64, value: i32| -> wasmtime::Result<()> {
                // SAFETY: checked against the length the record gives.
                unsafe {
                    host::u8_checked_native_store(
                        base as u64,
                        offset as u64,
                        length as u64,
                        value as u32,
                    )?
                };
                Ok(())
            },
        )?;
        let wasm = linked_app(InlineMode::Auto)?;
        instantiate(&engine, &linker, &wasm, buffer)
    }

    fn instantiate(
        engine: &Engine,
        linker: &Linker<HostBuffer>,
        wasm: &[u8],
        buffer: HostBuffer,
    ) -> Result<Core> {
        let module = Module::new(engine, wasm)?;
        let mut store = Store::new(engine, buffer);
        let instance: Instance = linker.instantiate(&mut store, &module)?;
        Ok(Core {
            increment_all: instance.get_typed_func(&mut store, "increment-all")?,
            increment_random: instance.get_typed_func(&mut store, "increment-random")?,
            peek: instance.get_typed_func(&mut store, "peek")?,
            store,
        })
    }

    impl Variant for Core {
        fn run(&mut self, workload: Workload) -> Result<()> {
            match workload {
                Workload::InOrder => self.increment_all.call(&mut self.store, ())?,
                Workload::Random => {
                    let count = random_count(self.store.data().bytes()) as i64;
                    let args = (count, RANDOM_SEED as i64);
                    self.increment_random.call(&mut self.store, args)?
                }
            }
            Ok(())
        }
        fn peek(&mut self, index: u64) -> Result<u8> {
            Ok(self.peek.call(&mut self.store, index as i64)? as u8)
        }
        fn buffer(&self) -> &[u8] {
            self.store.data().bytes()
        }
    }
}

/// Variants (2) and (3): wasmtime components.
mod wasmtime_component {
    use super::*;
    use wasmtime::component::{Component, Linker, TypedFunc};
    use wasmtime::{CodeBuilder, Config, Engine, Inlining, Store, StoreContextMut};

    /// A wasmtime component instance with the app's exports looked up.
    pub struct Comp {
        store: Store<HostBuffer>,
        increment_all: TypedFunc<(), ()>,
        increment_random: TypedFunc<(u64, u64), ()>,
        peek: TypedFunc<(u64,), (u8,)>,
    }

    /// (2): the app component, `host-buf` as component host functions.
    pub fn host(buffer: HostBuffer) -> Result<Comp> {
        let engine = Engine::new(&Config::new())?;
        let component = Component::new(&engine, app_component()?)?;
        let mut linker = Linker::<HostBuffer>::new(&engine);
        let mut api = linker.instance(API)?;
        api.func_wrap(
            "get",
            |s: StoreContextMut<'_, HostBuffer>, (i,): (u64,)| -> wasmtime::Result<(u8,)> {
                Ok((s.data().get(i)?,))
            },
        )?;
        api.func_wrap(
            "set",
            |mut s: StoreContextMut<'_, HostBuffer>, (i, v): (u64, u8)| -> wasmtime::Result<()> {
                Ok(s.data_mut().set(i, v)?)
            },
        )?;
        api.func_wrap(
            "len",
            |s: StoreContextMut<'_, HostBuffer>, (): ()| -> wasmtime::Result<(u64,)> {
                Ok((s.data().len(),))
            },
        )?;
        instantiate(&engine, &linker, &component, buffer)
    }

    /// (3): the anchor — the builtin component bound at compile time, with
    /// the intrinsics exposed to it and Cranelift's inliner on, as
    /// wasmtime's documentation recommends for this use.
    pub fn builtins(buffer: HostBuffer) -> Result<Comp> {
        let mut config = Config::new();
        config.compiler_inlining(Inlining::Yes);
        let engine = Engine::new(&config)?;
        let builtin = builtin_component()?;
        let app = app_component()?;
        let mut builder = CodeBuilder::new(&engine);
        // SAFETY: the builtin reads the store data as the `#[repr(C)]`
        // `HostBuffer` record it is instantiated with below (offsets are
        // asserted in `workload.rs`) and checks every buffer access against
        // the recorded length.
        unsafe {
            builder.expose_unsafe_intrinsics(INTRINSICS);
            builder.compile_time_builtins_binary_or_text(API, builtin.as_bytes(), None)?;
        }
        builder.wasm_binary_or_text(app.as_bytes(), None)?;
        let component = builder.compile_component()?;
        instantiate(&engine, &Linker::new(&engine), &component, buffer)
    }

    fn instantiate(
        engine: &Engine,
        linker: &Linker<HostBuffer>,
        component: &Component,
        buffer: HostBuffer,
    ) -> Result<Comp> {
        let mut store = Store::new(engine, buffer);
        let instance = linker.instantiate(&mut store, component)?;
        Ok(Comp {
            increment_all: instance.get_typed_func(&mut store, "increment-all")?,
            increment_random: instance.get_typed_func(&mut store, "increment-random")?,
            peek: instance.get_typed_func(&mut store, "peek")?,
            store,
        })
    }

    impl Variant for Comp {
        fn run(&mut self, workload: Workload) -> Result<()> {
            match workload {
                Workload::InOrder => self.increment_all.call(&mut self.store, ())?,
                Workload::Random => {
                    let count = random_count(self.store.data().bytes());
                    let args = (count, RANDOM_SEED);
                    self.increment_random.call(&mut self.store, args)?
                }
            }
            Ok(())
        }
        fn peek(&mut self, index: u64) -> Result<u8> {
            Ok(self.peek.call(&mut self.store, (index,))?.0)
        }
        fn buffer(&self) -> &[u8] {
            self.store.data().bytes()
        }
    }
}

/// Variant (4b): the component target. The same module as (4) and (5),
/// wrapped the way `wasm-prelink link --emit component` wraps it, compiled
/// by stock Wasmtime with the intrinsics exposed: Wasmtime's own lowering
/// of the intrinsics on our Wasm-level inlining.
pub mod wasmtime_prelinked {
    use super::*;
    use wasmtime::component::{Component, Func, Linker, Val};
    use wasmtime::{CodeBuilder, Config, Engine, Inlining, Store};

    /// The engine of the component target, with Wasmtime's inliner on as
    /// for the anchor: measured, it takes the random workload from about
    /// 14 to about 8.4 ns/byte and leaves the in-order loop unchanged.
    pub fn engine() -> Result<Engine> {
        let mut config = Config::new();
        config.compiler_inlining(Inlining::Yes);
        Ok(Engine::new(&config)?)
    }

    /// The linked app wrapped as a component, compiled with Wasmtime's
    /// intrinsics served under `unsafe-intrinsics`, and the wrapper's
    /// account of it (the component name of each core export). Shared by
    /// the C program's benchmark.
    pub fn compile(
        engine: &Engine,
        linked: &[u8],
    ) -> Result<(Component, wasm_prelink::component::Wrapped)> {
        let options = wasm_prelink::component::ComponentOptions::default();
        let wrapped = wasm_prelink::component::wrap(linked, &options)?;
        let mut builder = CodeBuilder::new(engine);
        // SAFETY: the only code importing the intrinsics is the trusted
        // builtin, which reads the store data as the `#[repr(C)]`
        // `HostBuffer` record it is instantiated with (offsets asserted in
        // `workload.rs`) and checks every buffer access against its length.
        unsafe {
            builder.expose_unsafe_intrinsics(INTRINSICS);
        }
        builder.wasm_binary(&wrapped.bytes, None)?;
        let component = builder.compile_component()?;
        Ok((component, wrapped))
    }

    /// A wasmtime instance of the wrapped app with its exports looked up.
    /// Calls go through [`Func::call`] with [`Val`]s, whose cost is one
    /// call per workload, not per byte.
    pub struct Prelinked {
        store: Store<HostBuffer>,
        increment_all: Func,
        increment_random: Func,
        peek: Func,
    }

    impl Prelinked {
        /// Links the app with the builtin (`InlineMode::Auto`, the
        /// `HostBuffer` record declared a descriptor), wraps it, compiles it
        /// and instantiates it over `buffer`.
        pub fn new(buffer: HostBuffer) -> Result<Prelinked> {
            let engine = engine()?;
            let linked =
                linked_app_with_descriptor(InlineMode::Auto, crate::workload::DESCRIPTOR_BYTES)?;
            let (component, _) = compile(&engine, &linked)?;
            let mut store = Store::new(&engine, buffer);
            let instance = Linker::new(&engine).instantiate(&mut store, &component)?;
            let mut export = |name: &str| {
                instance
                    .get_func(&mut store, name)
                    .with_context(|| format!("the wrapped app has no export `{name}`"))
            };
            Ok(Prelinked {
                increment_all: export("increment-all")?,
                increment_random: export("increment-random")?,
                peek: export("peek")?,
                store,
            })
        }
    }

    /// A 64-bit argument as the export's parameter type (the wrapper
    /// decides the signedness of a lifted `i64`).
    pub fn arg64(func: &Func, store: &Store<HostBuffer>, index: usize, value: u64) -> Val {
        match func.ty(store).params().nth(index).map(|(_, t)| t) {
            Some(wasmtime::component::Type::U64) => Val::U64(value),
            _ => Val::S64(value as i64),
        }
    }

    /// An integer result, whatever its width and signedness.
    pub fn int(value: &Val) -> Result<i64> {
        Ok(match *value {
            Val::S32(v) => i64::from(v),
            Val::U32(v) => i64::from(v as i32),
            Val::S64(v) => v,
            Val::U64(v) => v as i64,
            ref other => anyhow::bail!("an integer result was {other:?}"),
        })
    }

    impl Variant for Prelinked {
        fn run(&mut self, workload: Workload) -> Result<()> {
            match workload {
                Workload::InOrder => self.increment_all.call(&mut self.store, &[], &mut [])?,
                Workload::Random => {
                    let count = random_count(self.store.data().bytes());
                    let f = &self.increment_random;
                    let args = [
                        arg64(f, &self.store, 0, count),
                        arg64(f, &self.store, 1, RANDOM_SEED),
                    ];
                    f.call(&mut self.store, &args, &mut [])?
                }
            }
            Ok(())
        }
        fn peek(&mut self, index: u64) -> Result<u8> {
            let args = [arg64(&self.peek, &self.store, 0, index)];
            let mut result = [Val::Bool(false)];
            self.peek.call(&mut self.store, &args, &mut result)?;
            Ok(int(&result[0])? as u8)
        }
        fn buffer(&self) -> &[u8] {
            self.store.data().bytes()
        }
    }
}

/// Variants (5) and (6): our reference runtime.
mod prelink {
    use super::*;
    use wasm_prelink_runtime::{Config, Engine, Func, Linker, Module, Store, Val};

    /// A runtime instance with the app's exports looked up. The runtime's
    /// store owns its own host buffer, described by its store data.
    pub struct Prelink {
        store: Store,
        increment_all: Func,
        increment_random: Func,
        peek: Func,
    }

    impl Prelink {
        /// Links the app with `inline`, compiles it with the lowering
        /// plugin on, and instantiates it over `buffer`'s bytes.
        pub fn new(buffer: HostBuffer, inline: InlineMode) -> Result<Prelink> {
            let engine = Engine::new(Config::new())?;
            let module = Module::new(&engine, &linked_app(inline)?)?;
            let mut store = Store::new(&engine);
            store.set_host_buffer(buffer.bytes().to_vec());
            let instance = Linker::new().instantiate(&mut store, &module)?;
            let export = |name: &str| {
                instance
                    .get_func(&store, name)
                    .with_context(|| format!("the linked app has no export `{name}`"))
            };
            Ok(Prelink {
                increment_all: export("increment-all")?,
                increment_random: export("increment-random")?,
                peek: export("peek")?,
                store,
            })
        }
    }

    impl Variant for Prelink {
        fn run(&mut self, workload: Workload) -> Result<()> {
            match workload {
                Workload::InOrder => self.increment_all.call(&mut self.store, &[])?,
                Workload::Random => {
                    let count = random_count(self.store.host_buffer()) as i64;
                    let args = [Val::I64(count), Val::I64(RANDOM_SEED as i64)];
                    self.increment_random.call(&mut self.store, &args)?
                }
            };
            Ok(())
        }
        fn peek(&mut self, index: u64) -> Result<u8> {
            match self.peek.call(&mut self.store, &[Val::I64(index as i64)])?[..] {
                [Val::I32(byte)] => Ok(byte as u8),
                ref other => anyhow::bail!("`peek` returned {other:?}, expected one i32"),
            }
        }
        fn buffer(&self) -> &[u8] {
            self.store.host_buffer()
        }
    }
}

/// Checks that `kind` keeps the bounds check on a 997-byte buffer (small,
/// not a power of two): `peek` in range reads the byte; out of range (also
/// where `index + 1` overflows) it fails and leaves the buffer untouched;
/// an empty buffer fails on any index. Returns what went wrong.
///
/// Shared by the trap tests, which run wasmtime's variants and ours in
/// separate processes (see `tests/traps_wasmtime.rs`).
pub fn check_traps_out_of_range(kind: Kind) -> Result<(), String> {
    const LEN: usize = 997;
    let id = kind.id();
    let initial = crate::workload::initial_buffer(LEN);
    let mut variant = build(kind, &initial).map_err(|e| format!("`{id}`: {e:?}"))?;
    let last = variant
        .peek(LEN as u64 - 1)
        .map_err(|e| format!("`{id}`: {e:?}"))?;
    if last != initial[LEN - 1] {
        return Err(format!("`{id}` read {last} at the last index"));
    }
    for index in [LEN as u64, u64::MAX] {
        if variant.peek(index).is_ok() {
            return Err(format!("`{id}` read index {index}"));
        }
    }
    if variant.buffer() != &initial[..] {
        return Err(format!("`{id}` changed the buffer"));
    }
    let mut empty = build(kind, &[]).map_err(|e| format!("`{id}`: {e:?}"))?;
    if empty.peek(0).is_ok() {
        return Err(format!("`{id}` read an empty buffer"));
    }
    Ok(())
}
