//! The trust boundary: the app can never obtain an intrinsic.
//!
//! Intrinsics read and write arbitrary native memory. Builtins are part of
//! the host and may use them; the app is untrusted and may only call what a
//! builtin chose to export. Planning already refuses an app that imports the
//! intrinsics namespace. This module checks every other way a *reference* to
//! an intrinsic could flow out of the builtins, once every import is
//! resolved, and reports all of them at once.
//!
//! ## The rule
//!
//! A builtin **holds** an intrinsic when it takes a reference to it: a
//! `ref.func` of it in any function body or constant expression (global and
//! table initializers, element expressions), or the function named in an
//! active or passive element segment. "It" is any function of the builtin
//! that resolves to the intrinsic, through however many builtins' re-exports.
//! (A declarative segment only declares; the `ref.func` it licenses is found
//! in the code.)
//!
//! Inside a builtin, references move freely (locals, tables, globals,
//! structs, exceptions), so the analysis does not follow them: a holding
//! builtin is assumed to be able to put what it holds into *every* item of
//! its own that can carry a function reference. References cross between
//! builtins only through imports, so holding spreads along every import of
//! a builtin from another builtin whose item can carry function references,
//! in both directions (a table or a global is shared, a function passes its
//! arguments one way and its results the other), until nothing changes.
//!
//! A type **can carry function references** when a value of it may be, or
//! may lead to, a function reference: `funcref` and every `(ref $f)` of a
//! function or continuation type; `anyref`, `eqref`, `structref`,
//! `arrayref`, `exnref` and `externref` (any struct may be wrapped in them,
//! and an `externref` may be `extern.convert_any` of one); a concrete struct
//! or array type that is not final (a subtype may add fields) or that has a
//! field which can carry. The bottom types and `i31ref` cannot. A function or
//! tag type can carry when any parameter or result can — a parameter too,
//! since a builtin may call the app's callback with the intrinsic as an
//! argument. Tables and globals carry by their element and content type;
//! memories never do.
//!
//! The app reaches an intrinsic, and the link fails, when:
//!
//! 1. it imports an export of a builtin that *is* an intrinsic (a function
//!    re-exported, directly or through other builtins); or
//! 2. it imports an export of a holding builtin whose type can carry
//!    function references; or
//! 3. a holding builtin imports from the host an item whose type can carry
//!    function references: the host could hand the reference to the app,
//!    which may import the same item.
//!
//! This is conservative (a holding builtin with an exported `funcref`
//! table it never writes is refused) and sound for every flow the format
//! has: there is no other way for a reference to leave an instance than
//! its exports, its imports and the exceptions it throws, and an exception
//! can only be unpacked with its tag, which is an export or an import. A
//! builtin that keeps its intrinsic references to itself — its own
//! unexported table, `call_indirect` and `call_ref` from its own code — and
//! exports only numeric functions still links.

use crate::error::{Escape, LinkError, Route};
use crate::info::ModuleInfo;
use crate::intrinsics::Intrinsic;
use crate::plan::ModuleId;
use crate::types::{self, EntityType};
use crate::virtualize::Resolver;
use std::collections::BTreeSet;
use wasmparser::types::{CoreTypeId, TypeIdentifier, Types};
use wasmparser::{
    AbstractHeapType, CompositeInnerType, ConstExpr, ElementItems, ElementKind, ExternalKind,
    HeapType, Operator, OperatorsReader, StorageType, TableInit, TypeRef, ValType,
};

/// Checks the trust boundary of a link whose imports all resolve.
/// `modules` holds the builtins (named in `names`) followed by the app.
pub fn check(
    modules: &[ModuleInfo<'_>],
    names: &[String],
    namespace: &str,
) -> Result<(), LinkError> {
    let graph = Graph::new(modules, names, namespace);
    let mut held = Vec::with_capacity(graph.app);
    for builtin in 0..graph.app {
        held.push(Held {
            intrinsics: graph.references(builtin)?,
            holders: BTreeSet::from([builtin]),
        });
    }
    for held in held.iter_mut() {
        if held.intrinsics.is_empty() {
            held.holders.clear();
        }
    }
    graph.spread(&mut held);
    let mut escapes = graph.app_escapes(&held);
    escapes.extend(graph.host_escapes(&held));
    if escapes.is_empty() {
        Ok(())
    } else {
        Err(LinkError::IntrinsicEscapes(escapes))
    }
}

/// What one builtin may hold: intrinsics, and the builtins that took the
/// references (itself, or builtins it shares function references with).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Held {
    intrinsics: BTreeSet<Intrinsic>,
    holders: BTreeSet<ModuleId>,
}

/// Where an item of a module comes from, following imports from builtins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// An intrinsic import (possibly through re-exports).
    Intrinsic(Intrinsic),
    /// Anything else: a defined item or a host import.
    Other,
}

/// The inputs of a link and how their imports connect.
struct Graph<'m> {
    modules: &'m [ModuleInfo<'m>],
    names: &'m [String],
    namespace: &'m str,
    /// Which input provides an import (builtins and virtualizers).
    resolver: Resolver<'m>,
    /// Per module: the import positions of its function imports, in order.
    func_imports: Vec<Vec<usize>>,
    app: ModuleId,
}

impl<'m> Graph<'m> {
    fn new(modules: &'m [ModuleInfo<'m>], names: &'m [String], namespace: &'m str) -> Self {
        let func_imports = modules
            .iter()
            .map(|m| {
                m.imports
                    .iter()
                    .enumerate()
                    .filter(|(_, i)| matches!(i.ty, TypeRef::Func(_) | TypeRef::FuncExact(_)))
                    .map(|(position, _)| position)
                    .collect()
            })
            .collect();
        Graph {
            modules,
            names,
            namespace,
            resolver: Resolver::new(modules, names),
            func_imports,
            app: modules.len() - 1,
        }
    }

    /// The export of a builtin or virtualizer that an import of `importer`
    /// resolves to, if any.
    fn resolve(
        &self,
        importer: ModuleId,
        import: &wasmparser::Import<'_>,
    ) -> Option<(ModuleId, ExternalKind, u32)> {
        let exporter = self.resolver.target(importer, import.module, import.name)?;
        let export = self.modules[exporter].export(import.name)?;
        Some((exporter, export.kind, export.index))
    }

    /// Follows function `func` of `module` through re-exports to where it
    /// is defined or imported from outside the builtins. Builtins form no
    /// cycle (planning refused one), so this ends.
    fn func_origin(&self, mut module: ModuleId, mut func: u32) -> Origin {
        loop {
            let Some(&position) = self.func_imports[module].get(func as usize) else {
                return Origin::Other;
            };
            let import = &self.modules[module].imports[position];
            if import.module == self.namespace && module != self.app {
                return Intrinsic::from_name(import.name).map_or(Origin::Other, Origin::Intrinsic);
            }
            match self.resolve(module, import) {
                Some((exporter, ExternalKind::Func | ExternalKind::FuncExact, index)) => {
                    module = exporter;
                    func = index;
                }
                _ => return Origin::Other,
            }
        }
    }

    /// The intrinsics `builtin` takes references to.
    fn references(&self, builtin: ModuleId) -> Result<BTreeSet<Intrinsic>, LinkError> {
        let module = &self.modules[builtin];
        let intrinsic_of = |func: u32| match self.func_origin(builtin, func) {
            Origin::Intrinsic(intrinsic) => Some(intrinsic),
            Origin::Other => None,
        };
        // Only imported functions can be intrinsics: skip the scan when none is.
        if !(0..module.imported.funcs).any(|f| intrinsic_of(f).is_some()) {
            return Ok(BTreeSet::new());
        }
        let invalid = |e: wasmparser::BinaryReaderError| LinkError::Invalid {
            input: module.input.clone(),
            message: e.to_string(),
        };
        let mut funcs = BTreeSet::new();
        for element in &module.elements {
            if matches!(element.kind, ElementKind::Declared) {
                continue;
            }
            match &element.items {
                ElementItems::Functions(reader) => {
                    for func in reader.clone() {
                        funcs.insert(func.map_err(invalid)?);
                    }
                }
                ElementItems::Expressions(_, reader) => {
                    for expr in reader.clone() {
                        const_refs(&expr.map_err(invalid)?, &mut funcs).map_err(invalid)?;
                    }
                }
            }
        }
        for global in &module.globals {
            const_refs(&global.init_expr, &mut funcs).map_err(invalid)?;
        }
        for table in &module.tables {
            if let TableInit::Expr(expr) = &table.init {
                const_refs(expr, &mut funcs).map_err(invalid)?;
            }
        }
        for body in &module.bodies {
            operator_refs(body.get_operators_reader().map_err(invalid)?, &mut funcs)
                .map_err(invalid)?;
        }
        Ok(funcs.into_iter().filter_map(intrinsic_of).collect())
    }

    /// The builtin pairs that share function references through an import,
    /// with the importer first.
    fn carrying_edges(&self) -> Vec<(ModuleId, ModuleId)> {
        let mut edges = Vec::new();
        for importer in 0..self.app {
            let module = &self.modules[importer];
            let mut positions = KindPositions::default();
            for import in &module.imports {
                let index_in_kind = positions.next(import.ty);
                let Some((exporter, kind, index)) = self.resolve(importer, import) else {
                    continue;
                };
                let declared = types::entity_type(module, import.ty, index_in_kind);
                let actual = types::export_entity_type(&self.modules[exporter], kind, index);
                if carries(&module.types, &declared)
                    || carries(&self.modules[exporter].types, &actual)
                {
                    edges.push((importer, exporter));
                }
            }
        }
        edges
    }

    /// Spreads holding along carrying imports until nothing changes.
    fn spread(&self, held: &mut [Held]) {
        let edges = self.carrying_edges();
        let mut changed = true;
        while changed {
            changed = false;
            for &(a, b) in &edges {
                let merged = Held {
                    intrinsics: &held[a].intrinsics | &held[b].intrinsics,
                    holders: &held[a].holders | &held[b].holders,
                };
                for side in [a, b] {
                    if held[side] != merged {
                        held[side] = merged.clone();
                        changed = true;
                    }
                }
            }
        }
    }

    /// Rules 1 and 2: the app's imports of builtin exports.
    fn app_escapes(&self, held: &[Held]) -> Vec<Escape> {
        let mut escapes = Vec::new();
        for import in &self.modules[self.app].imports {
            let Some((exporter, kind, index)) = self.resolve(self.app, import) else {
                continue;
            };
            let exporting = &self.modules[exporter];
            let intrinsic = match kind {
                ExternalKind::Func | ExternalKind::FuncExact => self.func_origin(exporter, index),
                _ => Origin::Other,
            };
            if let Origin::Intrinsic(intrinsic) = intrinsic {
                escapes.push(Escape {
                    builtin: self.names[exporter].clone(),
                    route: Route::ExportIsIntrinsic {
                        export: import.name.to_string(),
                    },
                    intrinsics: vec![self.full_name(intrinsic)],
                    holders: Vec::new(),
                });
                continue;
            }
            let ty = types::export_entity_type(exporting, kind, index);
            if held[exporter].intrinsics.is_empty() || !carries(&exporting.types, &ty) {
                continue;
            }
            escapes.push(Escape {
                builtin: self.names[exporter].clone(),
                route: Route::Export {
                    export: import.name.to_string(),
                    ty: type_text(exporting, &ty),
                },
                intrinsics: self.intrinsic_names(&held[exporter]),
                holders: self.holder_names(&held[exporter]),
            });
        }
        escapes
    }

    /// Rule 3: holding builtins' imports from the host.
    fn host_escapes(&self, held: &[Held]) -> Vec<Escape> {
        let mut escapes = Vec::new();
        for (builtin, held) in held.iter().enumerate() {
            if held.intrinsics.is_empty() {
                continue;
            }
            let module = &self.modules[builtin];
            let mut positions = KindPositions::default();
            for import in &module.imports {
                let index_in_kind = positions.next(import.ty);
                if import.module == self.namespace || self.resolve(builtin, import).is_some() {
                    continue;
                }
                let ty = types::entity_type(module, import.ty, index_in_kind);
                if !carries(&module.types, &ty) {
                    continue;
                }
                escapes.push(Escape {
                    builtin: self.names[builtin].clone(),
                    route: Route::HostImport {
                        import: format!("{}::{}", import.module, import.name),
                        ty: type_text(module, &ty),
                    },
                    intrinsics: self.intrinsic_names(held),
                    holders: self.holder_names(held),
                });
            }
        }
        escapes
    }

    fn full_name(&self, intrinsic: Intrinsic) -> String {
        format!("{}::{}", self.namespace, intrinsic.name())
    }

    fn intrinsic_names(&self, held: &Held) -> Vec<String> {
        held.intrinsics.iter().map(|&i| self.full_name(i)).collect()
    }

    fn holder_names(&self, held: &Held) -> Vec<String> {
        held.holders
            .iter()
            .map(|&b| self.names[b].clone())
            .collect()
    }
}

/// An item's type in text format as the module itself would write it:
/// concrete types by their index in the module's type section, where the
/// validator's text would show its internal, cross-module id.
fn type_text(module: &ModuleInfo<'_>, ty: &EntityType) -> String {
    let mut text = types::entity_text(&module.types, ty);
    let types = module.types.as_ref();
    for index in 0..types.core_type_count_in_module() {
        let id = types.core_type_at_in_module(index);
        text = text.replace(&format!("(id {})", id.index()), &index.to_string());
    }
    text
}

/// Counts imports per kind, giving each import its index in its own space.
#[derive(Default)]
struct KindPositions([u32; 5]);

impl KindPositions {
    fn next(&mut self, ty: TypeRef) -> u32 {
        let slot = match ty {
            TypeRef::Func(_) | TypeRef::FuncExact(_) => 0,
            TypeRef::Table(_) => 1,
            TypeRef::Memory(_) => 2,
            TypeRef::Global(_) => 3,
            TypeRef::Tag(_) => 4,
        };
        let index = self.0[slot];
        self.0[slot] += 1;
        index
    }
}

/// Functions named by `ref.func` in a constant expression.
fn const_refs(expr: &ConstExpr<'_>, funcs: &mut BTreeSet<u32>) -> wasmparser::Result<()> {
    operator_refs(expr.get_operators_reader(), funcs)
}

/// Functions named by `ref.func` in an instruction sequence.
fn operator_refs(
    mut reader: OperatorsReader<'_>,
    funcs: &mut BTreeSet<u32>,
) -> wasmparser::Result<()> {
    while !reader.eof() {
        if let Operator::RefFunc { function_index } = reader.read()? {
            funcs.insert(function_index);
        }
    }
    Ok(())
}

/// Whether an item of this type can carry a function reference (see the
/// module documentation for the rule).
fn carries(types: &Types, ty: &EntityType) -> bool {
    let mut seen = BTreeSet::new();
    match ty {
        EntityType::Func(id) | EntityType::Tag(id) => signature_carries(types, *id, &mut seen),
        EntityType::Table(table) => val_carries(types, ValType::Ref(table.element_type), &mut seen),
        EntityType::Global(global) => val_carries(types, global.content_type, &mut seen),
        EntityType::Memory(_) => false,
    }
}

/// Whether a function or tag of type `id` passes a value that can carry.
fn signature_carries(types: &Types, id: CoreTypeId, seen: &mut BTreeSet<CoreTypeId>) -> bool {
    match &types[id].composite_type.inner {
        CompositeInnerType::Func(func) => func
            .params()
            .iter()
            .chain(func.results())
            .any(|ty| val_carries(types, *ty, seen)),
        _ => true,
    }
}

fn val_carries(types: &Types, ty: ValType, seen: &mut BTreeSet<CoreTypeId>) -> bool {
    let ValType::Ref(reference) = ty else {
        return false;
    };
    match reference.heap_type() {
        HeapType::Abstract { ty, .. } => {
            use AbstractHeapType::*;
            match ty {
                Func | Extern | Any | Eq | Struct | Array | Exn | Cont => true,
                I31 | None | NoFunc | NoExtern | NoExn | NoCont => false,
            }
        }
        HeapType::Concrete(index) | HeapType::Exact(index) => match index.as_core_type_id() {
            Some(id) => referenced_carries(types, id, seen),
            // Validated types name each other by id; anything else is
            // treated as able to carry rather than guessed at.
            None => true,
        },
    }
}

/// Whether a reference to concrete type `id` can carry a function
/// reference. A type already on the walk answers `false`: whatever it
/// carries is found along the walk that reached it first.
fn referenced_carries(types: &Types, id: CoreTypeId, seen: &mut BTreeSet<CoreTypeId>) -> bool {
    if !seen.insert(id) {
        return false;
    }
    let sub = &types[id];
    let mut field = |storage: StorageType| match storage {
        StorageType::I8 | StorageType::I16 => false,
        StorageType::Val(ty) => val_carries(types, ty, seen),
    };
    match &sub.composite_type.inner {
        // A reference to a function or continuation is a function reference.
        CompositeInnerType::Func(_) | CompositeInnerType::Cont(_) => true,
        CompositeInnerType::Struct(s) => {
            !sub.is_final || s.fields.iter().any(|f| field(f.element_type))
        }
        CompositeInnerType::Array(a) => !sub.is_final || field(a.0.element_type),
    }
}

#[cfg(test)]
mod tests {
    use crate::{LinkError, Linker};

    const HOLDER: &str = r#"(module
        (import "unsafe-intrinsics" "u8-native-load" (func $load (param i64) (result i32)))
        (type $plain (struct (field i32)))
        (type $open (sub (struct (field i32))))
        (table $own 1 funcref)
        (elem (table $own) (i32.const 0) func $load)
        (table (export "tab") 1 funcref)
        (global (export "plain") (ref $plain) (struct.new $plain (i32.const 1)))
        (global (export "open") (ref $open) (struct.new $open (i32.const 1)))
        (global (export "small") i31ref (ref.i31 (i32.const 1)))
        (global (export "none") nullfuncref (ref.null nofunc))
        (func (export "get") (param i64) (result i32)
            (call_indirect $own (param i64) (result i32) (local.get 0) (i32.const 0))))"#;

    fn link(builtins: &[(&str, &str)], app: &str) -> Result<(), LinkError> {
        let mut linker = Linker::new();
        for (name, text) in builtins {
            linker = linker.builtin(name, text)?;
        }
        linker.link(app.as_bytes()).map(|_| ())
    }

    fn escapes(result: Result<(), LinkError>) -> Vec<String> {
        match result {
            Err(LinkError::IntrinsicEscapes(escapes)) => escapes
                .iter()
                .map(|e| format!("{}::{}", e.builtin, route_name(&e.route)))
                .collect(),
            Err(other) => panic!("expected an escape, got: {other}"),
            Ok(()) => Vec::new(),
        }
    }

    fn route_name(route: &crate::Route) -> &str {
        match route {
            crate::Route::ExportIsIntrinsic { export } | crate::Route::Export { export, .. } => {
                export
            }
            crate::Route::HostImport { import, .. } => import,
        }
    }

    #[test]
    fn exports_that_cannot_carry_function_references_link() {
        let app = r#"(module
            (type $plain (struct (field i32)))
            (import "holder" "get" (func (param i64) (result i32)))
            (import "holder" "plain" (global (ref $plain)))
            (import "holder" "small" (global i31ref))
            (import "holder" "none" (global nullfuncref)))"#;
        assert_eq!(
            escapes(link(&[("holder", HOLDER)], app)),
            Vec::<String>::new()
        );
    }

    #[test]
    fn only_the_carrying_exports_the_app_imports_are_reported() {
        let app = r#"(module
            (type $open (sub (struct (field i32))))
            (import "holder" "get" (func (param i64) (result i32)))
            (import "holder" "open" (global (ref $open)))
            (import "holder" "tab" (table 1 funcref)))"#;
        assert_eq!(
            escapes(link(&[("holder", HOLDER)], app)),
            ["holder::open", "holder::tab"]
        );
    }

    #[test]
    fn a_builtin_holding_nothing_may_export_a_table() {
        let plain = r#"(module
            (import "unsafe-intrinsics" "u8-native-load" (func $load (param i64) (result i32)))
            (func $own (result i32) (i32.const 1))
            (table (export "tab") 1 funcref (ref.func $own))
            (func (export "get") (param i64) (result i32) (call $load (local.get 0))))"#;
        let app = r#"(module (import "plain" "tab" (table 1 funcref)))"#;
        assert_eq!(
            escapes(link(&[("plain", plain)], app)),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_reference_to_a_reexported_intrinsic_is_held() {
        let inner = r#"(module
            (import "unsafe-intrinsics" "store-data-address" (func $sda (result i64)))
            (export "sda" (func $sda)))"#;
        let outer = r#"(module
            (import "inner" "sda" (func $sda (result i64)))
            (global (export "g") funcref (ref.func $sda)))"#;
        let app = r#"(module (import "outer" "g" (global funcref)))"#;
        let result = link(&[("outer", outer), ("inner", inner)], app);
        assert_eq!(escapes(result), ["outer::g"]);
    }

    #[test]
    fn holding_spreads_both_ways_along_carrying_imports_only() {
        // `numbers` shares only numeric functions with the holder, `store`
        // receives function references from it.
        let numbers = r#"(module
            (table (export "tab") 1 funcref)
            (func (export "twice") (param i32) (result i32) (i32.add (local.get 0) (local.get 0))))"#;
        let store = r#"(module
            (table (export "tab") 1 funcref)
            (func (export "put") (param funcref) (table.set (i32.const 0) (local.get 0))))"#;
        let holder = r#"(module
            (import "unsafe-intrinsics" "u8-native-load" (func $load (param i64) (result i32)))
            (import "numbers" "twice" (func (param i32) (result i32)))
            (import "store" "put" (func $put (param funcref)))
            (elem declare func $load)
            (func (export "init") (call $put (ref.func $load))))"#;
        let app = r#"(module
            (import "holder" "init" (func))
            (import "numbers" "tab" (table 1 funcref))
            (import "store" "tab" (table 1 funcref)))"#;
        let builtins = [("holder", holder), ("numbers", numbers), ("store", store)];
        assert_eq!(escapes(link(&builtins, app)), ["store::tab"]);
    }

    #[test]
    fn carrying_host_imports_of_a_holder_are_reported() {
        let holder = r#"(module
            (import "unsafe-intrinsics" "u8-native-load" (func $load (param i64) (result i32)))
            (import "env" "log" (func (param i32)))
            (import "env" "table" (table 1 funcref))
            (import "env" "cell" (global (mut externref)))
            (table $own 1 funcref)
            (elem (table $own) (i32.const 0) func $load)
            (func (export "f")))"#;
        let app = r#"(module (import "holder" "f" (func)))"#;
        assert_eq!(
            escapes(link(&[("holder", holder)], app)),
            ["holder::env::table", "holder::env::cell"]
        );
    }
}
