//! Writes the component of a [`Plan`].
//!
//! The shape, in the order of the binary:
//!
//! ```text
//! (component
//!   (import "unsafe-intrinsics" (instance  ;; only the intrinsics used
//!     (export "u8-native-load" (func (param "address" u64) (result u8))) ...))
//!   (import "env" (instance                ;; one per other import module
//!     (export "log-i32" (func (param "p0" s32))) ...))
//!   (core module $m ...)                   ;; the linked module, unchanged
//!   (core func (canon lower (func $intrinsics "u8-native-load"))) ...
//!   (core instance $args (export "u8-native-load" (func ...)) ...)
//!   (core instance $i (instantiate $m (with "unsafe-intrinsics" (instance $args)) ...))
//!   ;; a reactor: a two-function module whose start calls `_initialize`
//!   (core module $init (import "" "_initialize" (func)) (start 0))
//!   (core instance (instantiate $init (with "" (instance (export "_initialize" ...)))))
//!   (func (canon lift (core func $i "run")))  (export "run" (func ...)) ...)
//! ```
//!
//! The core module is embedded byte for byte, so the component runs exactly
//! the code the linker produced; Wasmtime recognizes the `canon lower` of
//! an intrinsics-instance function and compiles calls to it as its own
//! native loads and stores. Initialization order is core Wasm's: the
//! module's own segments and start function, then `_initialize`, then the
//! host may call exports.

use super::plan::{HostModule, Plan, INITIALIZE};
use super::types::{component_type, intrinsic_type, param_name, Signature};
use wasm_encoder::{
    ComponentBuilder, ComponentExportKind, ComponentTypeRef, ComponentValType, EntityType,
    ExportKind, ImportSection, InstanceType, Module, ModuleArg, StartSection, TypeSection,
};

/// Encodes the component: `module` wrapped as `plan` says, its intrinsics
/// imported as instance `instance_name` and given to the module as
/// `namespace`.
pub fn encode(module: &[u8], plan: &Plan, namespace: &str, instance_name: &str) -> Vec<u8> {
    let mut builder = ComponentBuilder::default();
    let mut args: Vec<(String, u32)> = Vec::new();
    let mut lowered: Vec<(String, Vec<(String, u32)>)> = Vec::new();
    if !plan.intrinsics.is_empty() {
        let instance = import_intrinsics(&mut builder, plan, instance_name);
        let funcs = plan
            .intrinsics
            .iter()
            .map(|i| (i.name().to_string(), i.name().to_string()))
            .collect();
        lowered.push((
            namespace.to_string(),
            lower_all(&mut builder, instance, funcs),
        ));
    }
    for host in &plan.hosts {
        let instance = import_host(&mut builder, host);
        let funcs = host
            .funcs
            .iter()
            .map(|f| (f.core_name.clone(), f.name.clone()))
            .collect();
        lowered.push((
            host.core_module.clone(),
            lower_all(&mut builder, instance, funcs),
        ));
    }
    let core_module = builder.core_module_raw(Some("linked"), module);
    for (core_module_name, funcs) in &lowered {
        let exports: Vec<(&str, ExportKind, u32)> = funcs
            .iter()
            .map(|(name, func)| (name.as_str(), ExportKind::Func, *func))
            .collect();
        let instance = builder.core_instantiate_exports(Some(core_module_name), exports);
        args.push((core_module_name.clone(), instance));
    }
    let instance = builder.core_instantiate(
        Some("linked"),
        core_module,
        args.iter()
            .map(|(name, instance)| (name.as_str(), ModuleArg::Instance(*instance))),
    );
    if plan.initialize {
        run_initialize(&mut builder, instance);
    }
    for export in &plan.exports {
        let core_func = builder.core_alias_export(
            Some(&export.core_name),
            instance,
            &export.core_name,
            ExportKind::Func,
        );
        let ty = func_type(&mut builder, &export.signature);
        let func = builder.lift_func(Some(&export.name), core_func, ty, []);
        builder.export(export.name.as_str(), ComponentExportKind::Func, func, None);
    }
    builder.append_names();
    builder.finish()
}

/// Imports the intrinsics instance with exactly the intrinsics used.
fn import_intrinsics(builder: &mut ComponentBuilder, plan: &Plan, name: &str) -> u32 {
    let mut ty = InstanceType::new();
    for intrinsic in &plan.intrinsics {
        let (params, result) = intrinsic_type(*intrinsic);
        let index = ty.type_count();
        ty.ty()
            .function()
            .params(
                params
                    .into_iter()
                    .map(|(n, t)| (n, ComponentValType::from(t))),
            )
            .result(result.map(ComponentValType::from));
        ty.export(intrinsic.name(), ComponentTypeRef::Func(index));
    }
    let ty = builder.type_instance(None, &ty);
    builder.import(name, ComponentTypeRef::Instance(ty))
}

/// Imports one host module's functions as an instance.
fn import_host(builder: &mut ComponentBuilder, host: &HostModule) -> u32 {
    let mut ty = InstanceType::new();
    for func in &host.funcs {
        let index = ty.type_count();
        let (params, result) = component_signature(&func.signature);
        ty.ty()
            .function()
            .params(params.iter().map(|(n, t)| (n.as_str(), *t)))
            .result(result);
        ty.export(&func.name, ComponentTypeRef::Func(index));
    }
    let ty = builder.type_instance(None, &ty);
    builder.import(host.name.as_str(), ComponentTypeRef::Instance(ty))
}

/// Lowers `(core name, component name)` functions of `instance`; returns
/// the core functions under their core names.
fn lower_all(
    builder: &mut ComponentBuilder,
    instance: u32,
    funcs: Vec<(String, String)>,
) -> Vec<(String, u32)> {
    funcs
        .into_iter()
        .map(|(core_name, name)| {
            let func = builder.alias_export(instance, &name, ComponentExportKind::Func);
            (core_name, builder.lower_func(Some(&name), func, []))
        })
        .collect()
}

/// The component parameters and result of a core signature that fits.
fn component_signature(
    signature: &Signature,
) -> (Vec<(String, ComponentValType)>, Option<ComponentValType>) {
    let carried = |ty| ComponentValType::from(component_type(ty).expect("planned types fit"));
    let params = signature
        .params
        .iter()
        .enumerate()
        .map(|(i, ty)| (param_name(i), carried(*ty)))
        .collect();
    (params, signature.results.first().map(|ty| carried(*ty)))
}

/// Defines the component function type of a core signature.
fn func_type(builder: &mut ComponentBuilder, signature: &Signature) -> u32 {
    let (params, result) = component_signature(signature);
    let (index, encoder) = builder.type_function(None);
    let mut encoder = encoder;
    encoder
        .params(params.iter().map(|(n, t)| (n.as_str(), *t)))
        .result(result);
    index
}

/// Runs the module's `_initialize` as part of instantiation: a module
/// whose start function calls it, instantiated right after the linked one.
fn run_initialize(builder: &mut ComponentBuilder, linked: u32) {
    let initialize =
        builder.core_alias_export(Some(INITIALIZE), linked, INITIALIZE, ExportKind::Func);
    let starter = builder.core_module(Some("initialize"), &starter_module());
    let args = builder.core_instantiate_exports(None, [(INITIALIZE, ExportKind::Func, initialize)]);
    builder.core_instantiate(
        Some("initialize"),
        starter,
        [("", ModuleArg::Instance(args))],
    );
}

/// `(module (import "" "_initialize" (func)) (start 0))`.
fn starter_module() -> Module {
    let mut types = TypeSection::new();
    types.ty().function([], []);
    let mut imports = ImportSection::new();
    imports.import("", INITIALIZE, EntityType::Function(0));
    let mut module = Module::new();
    module
        .section(&types)
        .section(&imports)
        .section(&StartSection { function_index: 0 });
    module
}
