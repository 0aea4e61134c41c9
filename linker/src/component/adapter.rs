//! The module and WIT world `wit-component` needs to wrap a WASI app.
//!
//! A module importing `wasi_snapshot_preview1` becomes a WASI 0.2
//! component only through the standard preview1 adapter, which
//! `wit-component` applies; this library does not depend on it, so it
//! prepares everything else and the caller (the `wasm-prelink` command)
//! runs the encoder:
//!
//! - the same plan as [`super::wrap`]'s, except that WASI imports and the
//!   exports the adapter and the canonical ABI use (`_start`, `cabi_*`)
//!   are left to `wit-component`, which also runs `_initialize`;
//! - the module with its intrinsic and host imports and its lifted exports
//!   renamed to their component names ([`super::rename`]), because
//!   `wit-component` matches core names against the world literally;
//! - a WIT world declaring them: the intrinsics as an inline interface
//!   `import unsafe-intrinsics: interface { ... }` with Wasmtime's types,
//!   one inline interface per host module, and the lifted exports as
//!   world functions — the route Wasmtime's `expose_unsafe_intrinsics`
//!   is known to accept.
//!
//! Component-type sections the module already has (wit-bindgen metadata,
//! kept through linking) stay in it; `wit-component` merges their worlds
//! with this one.

use super::plan::{plan, HostModule, LiftedExport, Plan, Route, START};
use super::rename::{rename, Renames};
use super::types::{component_type, intrinsic_type, param_name, Signature};
use super::{ComponentError, ComponentOptions};
use wasm_encoder::PrimitiveValType;

/// The name of the world [`Prepared::wit`] declares.
pub const WORLD: &str = "linked";

/// What `wit-component` needs, ready to encode.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The module with component names on its intrinsic and host imports
    /// and its lifted exports.
    pub module: Vec<u8>,
    /// The WIT package declaring world [`WORLD`].
    pub wit: String,
    /// Whether the module is a WASI command (exports `_start`); otherwise
    /// it is a reactor.
    pub command: bool,
    /// One message per export the component leaves out.
    pub warnings: Vec<String>,
    /// Every lifted export as `(core name, component name)`.
    pub exports: Vec<(String, String)>,
    /// Whether the module exports `_initialize` (run by `wit-component`'s
    /// component during instantiation).
    pub initializes: bool,
}

/// Prepares `module` (binary, valid) for `wit-component` and the preview1
/// adapter; fails, naming every item, as [`super::wrap`] does.
pub fn prepare(module: &[u8], options: &ComponentOptions) -> Result<Prepared, ComponentError> {
    let types = super::validate(module, options)?;
    let namespace = &options.intrinsics_namespace;
    let plan = plan(
        module,
        namespace,
        &options.intrinsics_instance,
        &types,
        Route::Adapter,
    )
    .map_err(ComponentError::Inexpressible)?;
    let command = exports_start(module);
    let renamed = rename(module, &renames(&plan, options)).map_err(ComponentError::Invalid)?;
    Ok(Prepared {
        module: renamed,
        wit: wit(&plan, &options.intrinsics_instance),
        command,
        warnings: plan.warnings,
        exports: plan
            .exports
            .into_iter()
            .map(|e| (e.core_name, e.name))
            .collect(),
        initializes: plan.initialize,
    })
}

fn exports_start(module: &[u8]) -> bool {
    wasmparser::Parser::new(0)
        .parse_all(module)
        .filter_map(Result::ok)
        .any(|payload| match payload {
            wasmparser::Payload::ExportSection(reader) => reader
                .into_iter()
                .filter_map(Result::ok)
                .any(|e| e.name == START),
            _ => false,
        })
}

fn renames(plan: &Plan, options: &ComponentOptions) -> Renames {
    let mut renames = Renames::default();
    for intrinsic in &plan.intrinsics {
        renames.imports.insert(
            (
                options.intrinsics_namespace.clone(),
                intrinsic.name().to_string(),
            ),
            (
                options.intrinsics_instance.clone(),
                intrinsic.name().to_string(),
            ),
        );
    }
    for host in &plan.hosts {
        for func in &host.funcs {
            renames.imports.insert(
                (host.core_module.clone(), func.core_name.clone()),
                (host.name.clone(), func.name.clone()),
            );
        }
    }
    for export in &plan.exports {
        renames
            .exports
            .insert(export.core_name.clone(), export.name.clone());
    }
    renames
}

/// The WIT text of the world.
fn wit(plan: &Plan, instance: &str) -> String {
    let mut text = format!("package wasm-prelink:{WORLD};\n\nworld {WORLD} {{\n");
    if !plan.intrinsics.is_empty() {
        text.push_str(&format!("  import %{instance}: interface {{\n"));
        for intrinsic in &plan.intrinsics {
            let (params, result) = intrinsic_type(*intrinsic);
            let params: Vec<String> = params
                .iter()
                .map(|(name, ty)| format!("%{name}: {}", primitive(*ty)))
                .collect();
            text.push_str(&format!(
                "    %{}: func({}){};\n",
                intrinsic.name(),
                params.join(", "),
                result
                    .map(|ty| format!(" -> {}", primitive(ty)))
                    .unwrap_or_default()
            ));
        }
        text.push_str("  }\n");
    }
    for host in &plan.hosts {
        host_interface(&mut text, host);
    }
    for export in &plan.exports {
        export_func(&mut text, export);
    }
    text.push_str("}\n");
    text
}

fn host_interface(text: &mut String, host: &HostModule) {
    text.push_str(&format!("  import %{}: interface {{\n", host.name));
    for func in &host.funcs {
        text.push_str(&format!(
            "    %{}: {};\n",
            func.name,
            func_text(&func.signature)
        ));
    }
    text.push_str("  }\n");
}

fn export_func(text: &mut String, export: &LiftedExport) {
    text.push_str(&format!(
        "  export %{}: {};\n",
        export.name,
        func_text(&export.signature)
    ));
}

/// `func(p0: s32) -> s64` for a signature that fits.
fn func_text(signature: &Signature) -> String {
    let ty = |t| primitive(component_type(t).expect("planned types fit"));
    let params: Vec<String> = signature
        .params
        .iter()
        .enumerate()
        .map(|(i, t)| format!("%{}: {}", param_name(i), ty(*t)))
        .collect();
    let result = signature
        .results
        .first()
        .map(|t| format!(" -> {}", ty(*t)))
        .unwrap_or_default();
    format!("func({}){result}", params.join(", "))
}

/// The WIT spelling of a primitive type.
fn primitive(ty: PrimitiveValType) -> &'static str {
    match ty {
        PrimitiveValType::U8 => "u8",
        PrimitiveValType::U16 => "u16",
        PrimitiveValType::U32 => "u32",
        PrimitiveValType::U64 => "u64",
        PrimitiveValType::S32 => "s32",
        PrimitiveValType::S64 => "s64",
        PrimitiveValType::F32 => "f32",
        PrimitiveValType::F64 => "f64",
        other => unreachable!("no wrapped signature uses {other:?}"),
    }
}
