//! Wrapping a linked module as a component that stock Wasmtime runs with
//! its own native intrinsics.
//!
//! Wasmtime (48 and later) implements every intrinsic of this project
//! natively, with the same names and core signatures, but only for
//! components: `CodeBuilder::expose_unsafe_intrinsics(name)` lets a
//! component import an *instance* of them under `name`, and calls to their
//! `canon lower`ed functions compile to single loads and stores. A core
//! module cannot ask for that. So the last step to native speed on Wasmtime
//! is packaging: put the linked module inside a component that imports the
//! intrinsics instance with Wasmtime's exact types, lowers those functions,
//! instantiates the module once with them, and lifts its exports.
//!
//! ```text
//!  linked.wasm                          component
//!  (import "unsafe-intrinsics"          (import "unsafe-intrinsics" (instance
//!     "u8-native-load" ...)               (export "u8-native-load" (func (param "address" u64) (result u8)))))
//!  (import "env" "log_i32" ...)   ──►   (import "env" (instance (export "log-i32" (func (param "p0" s32)))))
//!  (export "run" (func ...))            (core module ...) (core instance (instantiate ...))
//!  (export "memory" (memory 0))         (export "run" (func (canon lift ...)))   ;; memory left out
//! ```
//!
//! [`wrap`] does that with wasm-encoder alone, in three steps:
//!
//! 1. **Plan** ([`plan`]): classify every import and export. Intrinsics
//!    become members of the one intrinsics instance (only those the module
//!    imports, with the types of [`types`]); other function imports with
//!    numeric parameters and at most one result become functions of one
//!    instance per import module; every other import (a memory, table,
//!    global or tag, a reference or `v128` parameter, several results) is a
//!    [`Problem`], and all of them are reported together. Function exports
//!    of that shape are lifted; memories, tables, globals, tags and other
//!    functions are left out with one warning each.
//! 2. **Name** ([`names`]): core names that are not component names are
//!    mapped by one rule, [`component_name`]; a name it cannot map, or two
//!    names it maps onto one, is a problem too.
//! 3. **Encode** ([`encode`]): write the component and validate it; an
//!    invalid component is an internal error and never returned.
//!
//! **Reactors.** A module that exports `_initialize` (a WASI reactor, or
//! any module built the same way) expects its host to call that before
//! anything else. The component does it itself, during instantiation,
//! right after the module's own start function: `_initialize` is run, not
//! exported.
//!
//! **WASI.** A module importing `wasi_snapshot_preview1` needs the preview1
//! adapter, which `wit-component` applies; this library depends on neither,
//! so [`wrap`] reports such imports as problems, and [`adapter::prepare`]
//! gives the `wasm-prelink` command (or any caller with `wit-component`)
//! the renamed module and WIT world that route needs.
//!
//! **Signedness.** `i32`/`i64` are `s32`/`s64` in component types; see
//! [`types`] for why.

pub mod adapter;
pub mod encode;
pub mod names;
pub mod plan;
pub mod rename;
pub mod types;

pub use names::component_name;
pub use plan::INITIALIZE;

use crate::DEFAULT_NAMESPACE;
use std::fmt;

/// The core module name of WASI preview 1.
pub const WASI_MODULE: &str = "wasi_snapshot_preview1";

/// The import name Wasmtime's `expose_unsafe_intrinsics` is usually given,
/// and the default name of the intrinsics instance.
pub const DEFAULT_INSTANCE: &str = "unsafe-intrinsics";

/// How to wrap a module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentOptions {
    /// The core module name the linked module imports intrinsics from (the
    /// linker's `--intrinsics`, default `unsafe-intrinsics`).
    pub intrinsics_namespace: String,
    /// The component's import name for the intrinsics instance: the name
    /// the embedder passes to `CodeBuilder::expose_unsafe_intrinsics`
    /// (default `unsafe-intrinsics`). Must be a kebab-case label.
    pub intrinsics_instance: String,
}

impl Default for ComponentOptions {
    fn default() -> Self {
        ComponentOptions {
            intrinsics_namespace: DEFAULT_NAMESPACE.to_string(),
            intrinsics_instance: DEFAULT_INSTANCE.to_string(),
        }
    }
}

impl ComponentOptions {
    /// The defaults: both names `unsafe-intrinsics`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the core module name intrinsics are imported from.
    pub fn intrinsics_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.intrinsics_namespace = namespace.into();
        self
    }

    /// Sets the component import name of the intrinsics instance.
    pub fn intrinsics_instance(mut self, name: impl Into<String>) -> Self {
        self.intrinsics_instance = name.into();
        self
    }
}

/// A wrapped component and what the wrapping left out.
#[derive(Debug, Clone)]
pub struct Wrapped {
    /// The component, validated.
    pub bytes: Vec<u8>,
    /// One message per export a component cannot carry (memories, tables,
    /// globals, tags, functions with other than numeric types or with
    /// several results).
    pub warnings: Vec<String>,
    /// Every lifted export as `(core name, component name)`, in export
    /// order, so a host can find a core export by the name it knows.
    pub exports: Vec<(String, String)>,
    /// Whether `_initialize` runs during instantiation.
    pub initializes: bool,
}

impl Wrapped {
    /// The component export name of core export `core_name`, if lifted.
    pub fn export_name(&self, core_name: &str) -> Option<&str> {
        self.exports
            .iter()
            .find(|(core, _)| core == core_name)
            .map(|(_, name)| name.as_str())
    }
}

/// One import or export a component cannot express, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The item, e.g. "import `env::memory`".
    pub item: String,
    /// Why, completing "the item …".
    pub reason: String,
}

impl Problem {
    fn invalid(message: String) -> Problem {
        Problem {
            item: "the module".into(),
            reason: format!("is not valid: {message}"),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.item, self.reason)
    }
}

/// Why a module could not be wrapped.
#[derive(Debug, thiserror::Error)]
pub enum ComponentError {
    /// The input is not a valid core module.
    #[error("the module is not a valid WebAssembly module: {0}")]
    Invalid(String),
    /// The intrinsics instance name is not a component name.
    #[error(
        "the intrinsics instance name `{0}` is not a component name (a kebab-case label such as `unsafe-intrinsics`)"
    )]
    BadInstanceName(String),
    /// Imports or exports a component cannot express; every one is listed.
    #[error("{}", format_problems(.0))]
    Inexpressible(Vec<Problem>),
    /// The wrapper produced an invalid component: a bug, never returned as
    /// output.
    #[error(
        "internal error: the component does not validate ({0}); please report this with the module"
    )]
    InvalidOutput(String),
}

fn format_problems(problems: &[Problem]) -> String {
    if let [one] = problems {
        return one.to_string();
    }
    let mut text = format!(
        "{} imports or exports cannot be expressed in a component:",
        problems.len()
    );
    for problem in problems {
        text.push_str(&format!("\n  - {problem}"));
    }
    text
}

/// Whether `module` (binary) imports WASI preview 1, so that only the
/// preview1 adapter can make it a component.
pub fn imports_wasi(module: &[u8]) -> bool {
    wasmparser::Parser::new(0)
        .parse_all(module)
        .filter_map(Result::ok)
        .any(|payload| match payload {
            wasmparser::Payload::ImportSection(reader) => reader
                .into_imports()
                .filter_map(Result::ok)
                .any(|import| import.module == WASI_MODULE),
            _ => false,
        })
}

/// Wraps `module`, a core module in binary form (normally the linker's
/// output), as a component; see the module documentation for its shape.
///
/// ```
/// use wasm_prelink::component::{wrap, ComponentOptions};
/// let module = wat::parse_str(r#"(module
///     (import "unsafe-intrinsics" "u8-native-load" (func $load (param i64) (result i32)))
///     (func (export "peek") (param i64) (result i32) (call $load (local.get 0)))
///     (memory (export "memory") 1))"#).unwrap();
/// let wrapped = wrap(&module, &ComponentOptions::default())?;
/// assert_eq!(wrapped.export_name("peek"), Some("peek"));
/// assert_eq!(wrapped.warnings, ["left out export memory `memory`: a component cannot carry it"]);
/// # Ok::<(), wasm_prelink::component::ComponentError>(())
/// ```
pub fn wrap(module: &[u8], options: &ComponentOptions) -> Result<Wrapped, ComponentError> {
    let types = validate(module, options)?;
    let plan = plan::plan(
        module,
        &options.intrinsics_namespace,
        &options.intrinsics_instance,
        &types,
        plan::Route::Plain,
    )
    .map_err(ComponentError::Inexpressible)?;
    let bytes = encode::encode(
        module,
        &plan,
        &options.intrinsics_namespace,
        &options.intrinsics_instance,
    );
    let mut features = crate::validate::features();
    features.insert(wasmparser::WasmFeatures::COMPONENT_MODEL);
    wasmparser::Validator::new_with_features(features)
        .validate_all(&bytes)
        .map_err(|e| ComponentError::InvalidOutput(e.to_string()))?;
    Ok(Wrapped {
        bytes,
        warnings: plan.warnings,
        exports: plan
            .exports
            .into_iter()
            .map(|e| (e.core_name, e.name))
            .collect(),
        initializes: plan.initialize,
    })
}

/// Checks what both routes need before planning: an instance name that is
/// a component label, and a valid module; returns its types.
fn validate(
    module: &[u8],
    options: &ComponentOptions,
) -> Result<wasmparser::types::Types, ComponentError> {
    if !names::is_label(&options.intrinsics_instance) {
        return Err(ComponentError::BadInstanceName(
            options.intrinsics_instance.clone(),
        ));
    }
    let mut validator = wasmparser::Validator::new_with_features(crate::validate::features());
    crate::validate::validate_module(&mut validator, module).map_err(ComponentError::Invalid)
}
