//! What a wrapped component imports and exports, decided before anything
//! is encoded.
//!
//! The module is validated, then every import and export is classified:
//!
//! - an import of the intrinsics namespace is an [`Intrinsic`] and goes into
//!   the one intrinsics instance with Wasmtime's component type;
//! - any other function import whose type a component function can carry
//!   without a linear memory (numeric parameters, at most 16 of them, and
//!   at most one result; see [`super::types`]) becomes a function of the
//!   instance named after its module;
//! - every other import is a problem, and all problems are collected so
//!   the error names each of them;
//! - a function export with such a type is lifted under its component name;
//!   `_initialize` is not exported but run when the component is
//!   instantiated; everything else is left out with a warning;
//! - a function whose core type is not the plain one `canon lift` and
//!   `canon lower` make (a GC subtype, or a type in a recursion group with
//!   others) cannot be imported (a problem) or exported (left out), since
//!   the component's core instantiation would not match it.
//!
//! Names go through [`super::names`]; a name that cannot be mapped, or two
//! that map to the same label in one scope, are problems too.

use super::names::{component_name, Scope};
use super::types::{canonical_type_fits, core_signature_fits, signature_text, Signature};
use super::{Problem, WASI_MODULE};
use crate::intrinsics::{check_import, Intrinsic};
use wasmparser::{ExternalKind, Parser, Payload, TypeRef};

/// The export a reactor's host must call first.
pub const INITIALIZE: &str = "_initialize";

/// The export a WASI command's adapter calls.
pub const START: &str = "_start";

/// Which component the plan is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// The component [`super::wrap`] encodes: no WASI.
    Plain,
    /// A module `wit-component` wraps with the WASI preview1 adapter: WASI
    /// imports and the exports the adapter or the canonical ABI use
    /// (`_start`, `cabi_*`) are the adapter's business.
    Adapter,
}

/// One component function import: a core import and its component name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostFunc {
    /// The core import name.
    pub core_name: String,
    /// Its name in the component instance.
    pub name: String,
    /// The core signature.
    pub signature: Signature,
}

/// The functions one core import module gets, as one instance import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostModule {
    /// The core module name.
    pub core_module: String,
    /// The component instance import name.
    pub name: String,
    /// The functions, in the order the module first imports them.
    pub funcs: Vec<HostFunc>,
}

/// One lifted export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiftedExport {
    /// The core export name.
    pub core_name: String,
    /// The component export name.
    pub name: String,
    /// The core signature.
    pub signature: Signature,
}

/// Everything the encoder needs.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The intrinsics the module imports, in table order, each once.
    pub intrinsics: Vec<Intrinsic>,
    /// The other import modules, in the order of their first import.
    pub hosts: Vec<HostModule>,
    /// Function exports to lift, in export order.
    pub exports: Vec<LiftedExport>,
    /// Whether the module exports `_initialize`, to run at instantiation.
    pub initialize: bool,
    /// Exports left out, one message each.
    pub warnings: Vec<String>,
}

/// Reads `module` (validated binary) and plans its component, or returns
/// every problem found.
pub fn plan(
    module: &[u8],
    namespace: &str,
    instance_name: &str,
    types: &wasmparser::types::Types,
    route: Route,
) -> Result<Plan, Vec<Problem>> {
    let mut plan = Plan::default();
    let mut problems = Vec::new();
    let mut func_index = 0u32;
    let mut intrinsics = Vec::new();
    let mut hosts: Vec<HostModule> = Vec::new();
    let mut exports = Vec::new();
    for payload in Parser::new(0).parse_all(module) {
        let payload = payload.map_err(|e| vec![Problem::invalid(e.to_string())])?;
        match payload {
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.map_err(|e| vec![Problem::invalid(e.to_string())])?;
                    let (signature, canonical) = match import.ty {
                        TypeRef::Func(_) | TypeRef::FuncExact(_) => {
                            let id = types.as_ref().core_function_at(func_index);
                            func_index += 1;
                            let signature = Signature::of(types[id].unwrap_func());
                            let canonical = canonical_type_fits(types, id, &signature);
                            (Some(signature), canonical)
                        }
                        _ => (None, Ok(())),
                    };
                    let item = format!("import `{}::{}`", import.module, import.name);
                    let result = if route == Route::Adapter && import.module == WASI_MODULE {
                        Ok(())
                    } else if let Err(reason) = canonical {
                        Err(reason)
                    } else if import.module == namespace {
                        intrinsic(import.name, signature.as_ref()).map(|i| intrinsics.push(i))
                    } else {
                        host_func(&mut hosts, import.module, import.name, import.ty, signature)
                    };
                    if let Err(reason) = result {
                        problems.push(Problem { item, reason });
                    }
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.map_err(|e| vec![Problem::invalid(e.to_string())])?;
                    exports.push((export.name.to_string(), export.kind, export.index));
                }
            }
            _ => {}
        }
    }
    intrinsics.sort();
    intrinsics.dedup();
    plan.intrinsics = intrinsics;
    if !plan.intrinsics.is_empty() {
        let mut scope = Scope::default();
        scope
            .claim(namespace, instance_name)
            .expect("the first name of a scope is free");
        for host in &hosts {
            if let Err(other) = scope.claim(&host.core_module, &host.name) {
                problems.push(Problem {
                    item: format!("import module `{}`", host.core_module),
                    reason: format!(
                        "its component name `{}` is the name of the intrinsics instance \
                         (the import of `{other}`)",
                        host.name
                    ),
                });
            }
        }
    }
    plan.hosts = hosts;
    lift_exports(&mut plan, &exports, types, route, &mut problems);
    if problems.is_empty() {
        Ok(plan)
    } else {
        Err(problems)
    }
}

/// Checks an import of the intrinsics namespace.
fn intrinsic(name: &str, signature: Option<&Signature>) -> Result<Intrinsic, String> {
    let Some(signature) = signature else {
        return Err("is not a function, and the intrinsics namespace has only functions".into());
    };
    check_import(name, &signature.params, &signature.results)
        .map_err(|reason| format!("{reason}; intrinsics are the only imports of that namespace"))
}

/// Adds a host function import to the instance of its module, or says why
/// it cannot be one.
fn host_func(
    hosts: &mut Vec<HostModule>,
    module: &str,
    name: &str,
    ty: TypeRef,
    signature: Option<Signature>,
) -> Result<(), String> {
    if module == WASI_MODULE {
        return Err(
            "is WASI preview 1, which needs the preview1 adapter (`wit-component`); \
             the plain wrapper has no WASI"
                .into(),
        );
    }
    let Some(signature) = signature else {
        let kind = match ty {
            TypeRef::Table(_) => "a table",
            TypeRef::Memory(_) => "a memory",
            TypeRef::Global(_) => "a global",
            TypeRef::Tag(_) => "a tag",
            TypeRef::Func(_) | TypeRef::FuncExact(_) => "a function",
        };
        return Err(format!(
            "is {kind}; a component imports only functions (and WASI through the adapter)"
        ));
    };
    core_signature_fits(&signature)?;
    let Some(instance_name) = component_name(module) else {
        return Err(format!(
            "its module name `{module}` has no component name (see `component_name`)"
        ));
    };
    let Some(func_name) = component_name(name) else {
        return Err(format!(
            "its name `{name}` has no component name (see `component_name`)"
        ));
    };
    let position = match hosts.iter().position(|h| h.core_module == module) {
        Some(position) => position,
        None => {
            hosts.push(HostModule {
                core_module: module.to_string(),
                name: instance_name,
                funcs: Vec::new(),
            });
            hosts.len() - 1
        }
    };
    let host = &mut hosts[position];
    if let Some(existing) = host.funcs.iter().find(|f| f.core_name == name) {
        if existing.signature == signature {
            return Ok(());
        }
        return Err(format!(
            "is imported again with type `{}` (first `{}`); one component function has one type",
            signature_text(&signature),
            signature_text(&existing.signature)
        ));
    }
    if let Some(other) = host.funcs.iter().find(|f| same_label(&f.name, &func_name)) {
        return Err(format!(
            "its component name `{func_name}` is also the name of `{module}::{}`",
            other.core_name
        ));
    }
    host.funcs.push(HostFunc {
        core_name: name.to_string(),
        name: func_name,
        signature,
    });
    Ok(())
}

fn same_label(a: &str, b: &str) -> bool {
    let mut scope = Scope::default();
    scope.claim("a", a).is_ok() && scope.claim("b", b).is_err()
}

/// Decides which exports are lifted; the rest become warnings.
fn lift_exports(
    plan: &mut Plan,
    exports: &[(String, ExternalKind, u32)],
    types: &wasmparser::types::Types,
    route: Route,
    problems: &mut Vec<Problem>,
) {
    let mut scope = Scope::default();
    let mut left_out = Vec::new();
    for (name, kind, index) in exports {
        let what = match kind {
            ExternalKind::Func | ExternalKind::FuncExact => None,
            ExternalKind::Memory => Some("memory"),
            ExternalKind::Table => Some("table"),
            ExternalKind::Global => Some("global"),
            ExternalKind::Tag => Some("tag"),
        };
        if let Some(what) = what {
            left_out.push(format!("{what} `{name}`"));
            continue;
        }
        let id = types.as_ref().core_function_at(*index);
        let signature = Signature::of(types[id].unwrap_func());
        if let Err(reason) = canonical_type_fits(types, id, &signature) {
            left_out.push(format!("function `{name}` (it {reason})"));
            continue;
        }
        if name == INITIALIZE && signature.params.is_empty() && signature.results.is_empty() {
            plan.initialize = true;
            continue;
        }
        if route == Route::Adapter && (name == START || name.starts_with("cabi_")) {
            continue;
        }
        if let Err(reason) = core_signature_fits(&signature) {
            left_out.push(format!("function `{name}` (it {reason})"));
            continue;
        }
        let Some(label) = component_name(name) else {
            problems.push(Problem {
                item: format!("export `{name}`"),
                reason: "its name has no component name (see `component_name`)".into(),
            });
            continue;
        };
        if let Err(other) = scope.claim(name, &label) {
            problems.push(Problem {
                item: format!("export `{name}`"),
                reason: format!(
                    "its component name `{label}` is also the name of export `{other}`"
                ),
            });
            continue;
        }
        plan.exports.push(LiftedExport {
            core_name: name.clone(),
            name: label,
            signature,
        });
    }
    for item in left_out {
        plan.warnings.push(format!(
            "left out export {item}: a component cannot carry it"
        ));
    }
}
