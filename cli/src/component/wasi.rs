//! WASI apps: the preview1 adapter through `wit-component`.
//!
//! The library prepares the module (component names on its intrinsic and
//! host imports and lifted exports) and a WIT world declaring them
//! (`wasm_prelink::component::adapter`); here the world is embedded as the
//! module's `component-type` metadata and `wit-component` encodes the
//! component with the standard preview1 adapter of Wasmtime 48 — the
//! command adapter when the module exports `_start`, the reactor adapter
//! otherwise. The intrinsics stay one top-level instance import, which
//! `expose_unsafe_intrinsics` serves.

use anyhow::{Context, Result};
use wasi_preview1_component_adapter_provider::{
    WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER,
    WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
};
use wasm_prelink::component::adapter::{prepare, WORLD};
use wasm_prelink::component::{ComponentOptions, Wrapped};
use wit_component::{ComponentEncoder, StringEncoding};
use wit_parser::Resolve;

/// Wraps `module`, which imports WASI preview 1.
pub(crate) fn wrap(module: &[u8], options: &ComponentOptions) -> Result<Wrapped> {
    let prepared = prepare(module, options)?;
    let mut resolve = Resolve::default();
    let package = resolve
        .push_str("linked.wit", &prepared.wit)
        .with_context(|| format!("the generated world does not parse:\n{}", prepared.wit))?;
    let world = resolve
        .select_world(&[package], Some(WORLD))
        .context("the generated world is missing")?;
    let mut bytes = prepared.module;
    wit_component::embed_component_metadata(
        &mut bytes,
        &resolve,
        world,
        StringEncoding::UTF8,
        false,
    )
    .context("cannot embed the component metadata")?;
    let adapter = if prepared.command {
        WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER
    } else {
        WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER
    };
    let component = ComponentEncoder::default()
        .validate(true)
        .module(&bytes)
        .context("wit-component rejects the module")?
        .adapter(WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, adapter)
        .context("wit-component rejects the preview1 adapter")?
        .encode()
        .context("wit-component cannot encode the component")?;
    Ok(Wrapped {
        bytes: component,
        warnings: prepared.warnings,
        exports: prepared.exports,
        initializes: prepared.initializes,
    })
}
