//! The engine: the target ISA, compilation settings and the engine-wide
//! registry of function signatures.
//!
//! `call_indirect` compares signature ids, so every module and host
//! function of one engine must number signatures the same way; the registry
//! assigns one id per distinct [`FuncType`]. Modules compiled by different
//! engines must not be mixed in a store.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};

use crate::error::Error;
use crate::values::FuncType;

/// Compilation settings.
#[derive(Clone, Debug)]
pub struct Config {
    lowering: bool,
    namespace: String,
    disassembly: bool,
    epoch_interruption: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            lowering: true,
            namespace: wasm_prelink_lowering::DEFAULT_NAMESPACE.to_owned(),
            disassembly: false,
            epoch_interruption: false,
        }
    }
}

impl Config {
    /// The defaults: lowering on, namespace `unsafe-intrinsics`, no
    /// disassembly.
    pub fn new() -> Config {
        Config::default()
    }

    /// Whether direct calls to intrinsics are lowered to native accesses.
    /// Off, every intrinsic is a call to its host implementation — the
    /// slow path, which must behave identically.
    pub fn lowering(mut self, enable: bool) -> Config {
        self.lowering = enable;
        self
    }

    /// The import module name whose imports are intrinsics.
    pub fn intrinsics_namespace(mut self, namespace: impl Into<String>) -> Config {
        self.namespace = namespace.into();
        self
    }

    /// Keep each function's machine-code disassembly (see
    /// [`Module::disassembly`](crate::Module::disassembly)), for inspecting
    /// what the optimizer made of a hot loop.
    pub fn disassembly(mut self, enable: bool) -> Config {
        self.disassembly = enable;
        self
    }

    /// Whether compiled code checks the store's epoch deadline at every
    /// function entry and loop header, so that a call that does not return
    /// can be stopped from another thread with
    /// [`Engine::increment_epoch`] (see [`Store::set_epoch_deadline`]).
    /// Off by default: the check is a load, a compare and a branch per loop
    /// iteration.
    ///
    /// [`Store::set_epoch_deadline`]: crate::Store::set_epoch_deadline
    pub fn epoch_interruption(mut self, enable: bool) -> Config {
        self.epoch_interruption = enable;
        self
    }

    pub(crate) fn epoch_interruption_enabled(&self) -> bool {
        self.epoch_interruption
    }

    pub(crate) fn lowering_enabled(&self) -> bool {
        self.lowering
    }

    pub(crate) fn namespace(&self) -> &str {
        &self.namespace
    }

    pub(crate) fn disassembly_enabled(&self) -> bool {
        self.disassembly
    }
}

/// Compiles modules for the host; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

struct EngineInner {
    isa: OwnedTargetIsa,
    config: Config,
    signatures: Mutex<HashMap<FuncType, u64>>,
    /// The epoch compiled code compares with its store's deadline. Boxed
    /// inside the `Arc`, so its address is stable for the engine's life.
    epoch: AtomicU64,
}

impl Engine {
    /// An engine for the host CPU with Cranelift's optimizer at `speed`.
    pub fn new(config: Config) -> Result<Engine, Error> {
        let mut flags = settings::builder();
        let set = |flags: &mut settings::Builder, name, value| {
            flags
                .set(name, value)
                .map_err(|e| Error::Compile(format!("setting `{name}`: {e}")))
        };
        set(&mut flags, "opt_level", "speed")?;
        // JIT code is placed at arbitrary addresses and calls libcalls by
        // absolute address; position-independent code buys nothing here.
        set(&mut flags, "is_pic", "false")?;
        // Cranelift's `return_call` sequence on x86-64 relies on frame
        // pointers (and they make traps and profiles walkable).
        set(&mut flags, "preserve_frame_pointers", "true")?;
        // Frames are checked against the Wasm stack limit instead.
        set(&mut flags, "enable_probestack", "false")?;
        // The block layout of compiled code, from which loops are placed
        // (see `placement`).
        set(&mut flags, "machine_code_cfg_info", "true")?;
        let isa = cranelift_native::builder()
            .map_err(|e| Error::Compile(format!("unsupported host: {e}")))?
            .finish(settings::Flags::new(flags))
            .map_err(|e| Error::Compile(format!("unsupported host: {e}")))?;
        Ok(Engine {
            inner: Arc::new(EngineInner {
                isa,
                config,
                signatures: Mutex::new(HashMap::new()),
                epoch: AtomicU64::new(0),
            }),
        })
    }

    /// The engine's settings.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub(crate) fn isa(&self) -> &OwnedTargetIsa {
        &self.inner.isa
    }

    /// The engine-wide id of `ty`.
    pub(crate) fn signature_id(&self, ty: &FuncType) -> u64 {
        let mut signatures = match self.inner.signatures.lock() {
            Ok(guard) => guard,
            // The map is only ever inserted into; a panic elsewhere cannot
            // leave it inconsistent.
            Err(poisoned) => poisoned.into_inner(),
        };
        let next = signatures.len() as u64 + 1;
        *signatures.entry(ty.clone()).or_insert(next)
    }

    /// Advances the engine's epoch by one: Wasm running in any store of
    /// this engine whose [deadline](crate::Store::set_epoch_deadline) is
    /// reached traps with [`Trap::Interrupt`](crate::Trap::Interrupt) at its
    /// next function entry or loop header. Safe to call from any thread
    /// (the engine is `Send + Sync`), typically a timer's.
    pub fn increment_epoch(&self) {
        self.inner.epoch.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn current_epoch(&self) -> u64 {
        self.inner.epoch.load(Ordering::Relaxed)
    }

    /// The address compiled code loads the epoch from.
    pub(crate) fn epoch_counter(&self) -> *const AtomicU64 {
        &self.inner.epoch
    }

    /// Whether two handles are the same engine.
    pub(crate) fn same(&self, other: &Engine) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}
