//! `--emit component`: the linked module wrapped as a component.
//!
//! A module without WASI imports is wrapped by the library
//! (`wasm_prelink::component::wrap`): intrinsics become one instance
//! import with Wasmtime's types, so `CodeBuilder::expose_unsafe_intrinsics`
//! compiles them natively. A module that imports `wasi_snapshot_preview1`
//! needs the standard preview1 adapter, which only `wit-component` applies;
//! that route lives here, in the command, so the linker library never
//! depends on `wit-component` (see [`wasi`]).

use anyhow::{Context, Result};
use wasm_prelink::component::{imports_wasi, wrap, ComponentOptions, Wrapped};

pub(crate) mod wasi;

/// Wraps `module` (the linked module, binary) as a component whose
/// intrinsics come from core module `namespace`.
pub(crate) fn wrap_module(module: &[u8], namespace: &str) -> Result<Wrapped> {
    let options = ComponentOptions::new().intrinsics_namespace(namespace);
    if imports_wasi(module) {
        return wasi::wrap(module, &options);
    }
    Ok(wrap(module, &options)?)
}

/// The message context of a failed wrap of `input`.
pub(crate) fn context(input: &std::path::Path) -> String {
    format!("cannot wrap `{}` as a component", input.display())
}

/// Wraps and prints the warnings, for `link --emit component`.
pub(crate) fn emit(module: &[u8], namespace: &str, input: &std::path::Path) -> Result<Vec<u8>> {
    let wrapped = wrap_module(module, namespace).with_context(|| context(input))?;
    for warning in &wrapped.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(wrapped.bytes)
}
