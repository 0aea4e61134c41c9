//! The link plan: every decision about the merged module, made before any
//! byte is written.
//!
//! Planning answers, in order:
//!
//! 1. **Instantiation order.** Builtins form a graph through their imports of
//!    each other; they are instantiated dependencies first (ties broken by the
//!    order they were given), and the app last. A cycle is an error.
//! 2. **Imports.** Each import is *resolved* (its module is a builtin, or a
//!    virtualizer layer the importer sees exports the name — see
//!    [`crate::virtualize`]: it becomes that input's exported item), *kept*
//!    (an intrinsic, one import per name) or *forwarded* (a host import,
//!    shared when the same module/name/type is imported twice). Every
//!    resolution is checked with Wasm's import-matching rules and every
//!    problem is collected.
//! 3. **Layout.** Where each defined item lands in the merged index spaces.
//!    The app's items come first wherever the format allows, so most of its
//!    indices stay put and its code can often be copied unchanged; globals
//!    are the exception, since an initializer may read an earlier global and
//!    builtin globals must therefore precede the app's.
//! 4. **Instantiation effects.** Separately instantiated, each module applies
//!    its active segments and runs its start function before the next module
//!    is instantiated. A single merged module would instead apply *all*
//!    segments and then run one start function, so the plan keeps native
//!    active segments only for the first module with any effect and turns
//!    every later module's active segments into passive ones initialized (and
//!    dropped) by a synthesized start function, in the original order.

use crate::error::{LinkError, ResolveError};
use crate::index::ModuleMaps;
use crate::info::ModuleInfo;
use crate::intrinsics::{self, Intrinsic};
use crate::types::{self, EntityType};
use crate::virtualize::Resolver;
use std::collections::{BTreeMap, HashMap};
use wasmparser::{DataKind, ElementKind, ExternalKind, TypeRef};

pub(crate) use crate::info::ModuleId;
pub(crate) use crate::types::MergedTypeGroup;

/// One import of the merged module, taken from an input.
#[derive(Debug, Clone)]
pub struct MergedImport {
    /// The input whose import declaration is copied.
    pub module: ModuleId,
    /// Position of that import in the input's import section.
    pub import: usize,
}

/// A defined item of some input, placed in the merged module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    /// The input defining it.
    pub module: ModuleId,
    /// Its position among that input's *defined* items of the kind
    /// (imports excluded), or among its segments for element and data
    /// segments.
    pub index: u32,
}

/// How a segment is emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentMode {
    /// As written in the input.
    AsIs,
    /// An active segment turned passive; the synthesized start function
    /// initializes and drops it.
    Deferred,
}

/// One step of the synthesized start function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartStep {
    /// `table.init` + `elem.drop` of a deferred element segment.
    InitElem {
        /// The segment's input.
        module: ModuleId,
        /// The segment's index in its input.
        segment: u32,
    },
    /// `memory.init` + `data.drop` of a deferred data segment.
    InitData {
        /// The segment's input.
        module: ModuleId,
        /// The segment's index in its input.
        segment: u32,
    },
    /// Call an input's start function.
    CallStart {
        /// The input.
        module: ModuleId,
    },
}

/// What the merged module's start section holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartPlan {
    /// No start function.
    None,
    /// One input's start function, unchanged (merged function index).
    Existing(u32),
    /// A synthesized function running these steps in order.
    Synthesized(Vec<StartStep>),
}

/// Everything emission needs.
pub struct Plan {
    /// Inputs in instantiation order.
    pub order: Vec<ModuleId>,
    /// Per input: how its indices map into the merged module.
    pub maps: Vec<ModuleMaps>,
    /// Rec groups of the merged type section.
    pub type_groups: Vec<MergedTypeGroup>,
    /// Imports of the merged module.
    pub imports: Vec<MergedImport>,
    /// Defined functions, in merged order.
    pub funcs: Vec<Placed>,
    /// Defined tables, in merged order.
    pub tables: Vec<Placed>,
    /// Defined memories, in merged order.
    pub memories: Vec<Placed>,
    /// Defined globals, in merged order.
    pub globals: Vec<Placed>,
    /// Defined tags, in merged order.
    pub tags: Vec<Placed>,
    /// Element segments, in merged order.
    pub elems: Vec<(Placed, SegmentMode)>,
    /// Data segments, in merged order.
    pub data: Vec<(Placed, SegmentMode)>,
    /// The start section.
    pub start: StartPlan,
    /// Merged index of the synthesized start function's type, if any.
    pub start_type: Option<u32>,
    /// Merged index of the synthesized start function, if any.
    pub start_func: Option<u32>,
    /// Merged function indices of kept intrinsic imports.
    pub intrinsic_funcs: BTreeMap<u32, Intrinsic>,
    /// Builtins that neither the app nor another builtin imports from. They
    /// are still linked (their start functions may have effects), but a
    /// command-line user probably misspelled a name.
    pub unused_builtins: Vec<ModuleId>,
    /// Counters for the report.
    pub counts: PlanCounts,
}

/// What the plan did, for `--stats`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanCounts {
    /// Imports satisfied by a builtin's export.
    pub resolved: usize,
    /// Host imports in the merged module.
    pub forwarded: usize,
    /// Host imports that were identical to an earlier one and shared it.
    pub shared: usize,
    /// Intrinsic imports in the merged module.
    pub intrinsics: usize,
    /// Types the builtins needed that the merged module already had.
    pub types_deduplicated: usize,
}

/// How one import of one input is satisfied.
#[derive(Debug, Clone, Copy)]
enum Binding {
    /// Becomes merged import `slot` of its kind.
    Import(u32),
    /// Resolved to an export of a builtin.
    Builtin {
        exporter: ModuleId,
        kind: ExternalKind,
        index: u32,
    },
}

/// Builds the plan. `modules` holds the builtins (named in `names`) followed
/// by the app.
pub fn plan(
    modules: &[ModuleInfo<'_>],
    names: &[String],
    namespace: &str,
) -> Result<Plan, LinkError> {
    let app = modules.len() - 1;
    let resolver = Resolver::new(modules, names);

    let order = instantiation_order(modules, names, &resolver)?;
    let mut errors = Vec::new();
    let mut counts = PlanCounts::default();

    // Imports: the app's forwarded imports first, in its order, so its
    // import indices shift as little as possible; then the builtins'.
    let mut imports: Vec<MergedImport> = Vec::new();
    let mut import_slots: [u32; 5] = [0; 5];
    let mut shared_imports: HashMap<(&str, &str, EntityType), (usize, u32)> = HashMap::new();
    let mut intrinsic_slots: BTreeMap<Intrinsic, u32> = BTreeMap::new();
    let mut bindings: Vec<Vec<Binding>> = vec![Vec::new(); modules.len()];
    let import_order = std::iter::once(app).chain(order.iter().copied().filter(|&m| m != app));
    for id in import_order {
        let module = &modules[id];
        let mut kind_positions = [0u32; 5];
        for (position, import) in module.imports.iter().enumerate() {
            let kind = kind_of(import.ty);
            let index_in_kind = kind_positions[kind];
            kind_positions[kind] += 1;
            let import_name = format!("{}::{}", import.module, import.name);
            if let Some(exporter) = resolver.target(id, import.module, import.name) {
                let binding = resolve(
                    modules,
                    &resolver,
                    id,
                    exporter,
                    import,
                    index_in_kind,
                    &mut errors,
                );
                bindings[id].push(binding);
                counts.resolved += 1;
                continue;
            }
            if import.module == namespace {
                if id == app {
                    errors.push(ResolveError {
                        importer: module.input.clone(),
                        import: import_name,
                        problem: format!(
                            "is from the intrinsics namespace `{namespace}`, which only builtins may import"
                        ),
                    });
                    bindings[id].push(Binding::Import(0));
                    continue;
                }
                let checked = match import.ty {
                    TypeRef::Func(_) => {
                        let ty = module.types.as_ref().core_function_at(index_in_kind);
                        let func = module.types[ty].unwrap_func();
                        intrinsics::check_import(import.name, func.params(), func.results())
                    }
                    _ => Err(format!(
                        "is a {}, but intrinsics are functions",
                        kind_name(kind)
                    )),
                };
                match checked {
                    Ok(intrinsic) => {
                        let slot = *intrinsic_slots.entry(intrinsic).or_insert_with(|| {
                            let slot = import_slots[FUNC];
                            import_slots[FUNC] += 1;
                            imports.push(MergedImport {
                                module: id,
                                import: position,
                            });
                            slot
                        });
                        bindings[id].push(Binding::Import(slot));
                    }
                    Err(problem) => {
                        errors.push(ResolveError {
                            importer: module.input.clone(),
                            import: import_name,
                            problem,
                        });
                        bindings[id].push(Binding::Import(0));
                    }
                }
                continue;
            }
            let entity = types::entity_type(module, import.ty, index_in_kind);
            let key = (import.module, import.name, entity);
            let slot = match shared_imports.get(&key) {
                Some(&(_, slot)) => {
                    counts.shared += 1;
                    slot
                }
                None => {
                    let slot = import_slots[kind];
                    import_slots[kind] += 1;
                    imports.push(MergedImport {
                        module: id,
                        import: position,
                    });
                    shared_imports.insert(key, (imports.len() - 1, slot));
                    slot
                }
            };
            bindings[id].push(Binding::Import(slot));
        }
    }
    counts.intrinsics = intrinsic_slots.len();
    counts.forwarded = imports.len() - counts.intrinsics;
    if !errors.is_empty() {
        return Err(LinkError::Unresolved(errors));
    }
    // The app may call what builtins export, never hold an intrinsic.
    crate::trust::check(modules, names, namespace)?;

    // Layout of defined items.
    let layout_order: Vec<ModuleId> = std::iter::once(app)
        .chain(order.iter().copied().filter(|&m| m != app))
        .collect();
    let place = |count: &dyn Fn(&ModuleInfo<'_>) -> usize, ids: &[ModuleId]| -> Vec<Placed> {
        ids.iter()
            .flat_map(|&module| {
                (0..count(&modules[module]) as u32).map(move |index| Placed { module, index })
            })
            .collect()
    };
    let funcs = place(&|m| m.bodies.len(), &layout_order);
    let tables = place(&|m| m.tables.len(), &layout_order);
    let memories = place(&|m| m.memories.len(), &layout_order);
    let tags = place(&|m| m.tags.len(), &layout_order);
    let globals = place(&|m| m.globals.len(), &order);
    let elem_places = place(&|m| m.elements.len(), &layout_order);
    let data_places = place(&|m| m.data_segments.len(), &layout_order);

    // Merged index of the first defined item of each input, per kind.
    let bases = |placed: &[Placed], import_count: u32| -> Vec<u32> {
        let mut base = vec![0u32; modules.len()];
        for (i, p) in placed.iter().enumerate().rev() {
            if p.index == 0 {
                base[p.module] = import_count + i as u32;
            }
        }
        base
    };
    let func_base = bases(&funcs, import_slots[FUNC]);
    let table_base = bases(&tables, import_slots[TABLE]);
    let memory_base = bases(&memories, import_slots[MEMORY]);
    let global_base = bases(&globals, import_slots[GLOBAL]);
    let tag_base = bases(&tags, import_slots[TAG]);
    let elem_base = bases(&elem_places, 0);
    let data_base = bases(&data_places, 0);

    let mut maps: Vec<ModuleMaps> = vec![ModuleMaps::default(); modules.len()];
    let (type_groups, start_type, types_deduplicated) =
        crate::types::plan_types(modules, &layout_order, &mut maps)?;
    counts.types_deduplicated = types_deduplicated;

    // Index maps, in instantiation order so an exporter's maps exist before
    // its importers need them.
    for &id in &order {
        let module = &modules[id];
        let mut resolved = bindings[id].iter();
        let mut map = std::mem::take(&mut maps[id]);
        for import in &module.imports {
            let binding = *resolved.next().expect("one binding per import");
            let merged = match binding {
                Binding::Import(slot) => slot,
                Binding::Builtin {
                    exporter,
                    kind,
                    index,
                } => {
                    let exporter_maps = &maps[exporter];
                    match kind {
                        ExternalKind::Func | ExternalKind::FuncExact => {
                            exporter_maps.funcs.get(index)
                        }
                        ExternalKind::Table => exporter_maps.tables.get(index),
                        ExternalKind::Memory => exporter_maps.memories.get(index),
                        ExternalKind::Global => exporter_maps.globals.get(index),
                        ExternalKind::Tag => exporter_maps.tags.get(index),
                    }
                }
            };
            match import.ty {
                TypeRef::Func(_) | TypeRef::FuncExact(_) => map.funcs.push(merged),
                TypeRef::Table(_) => map.tables.push(merged),
                TypeRef::Memory(_) => map.memories.push(merged),
                TypeRef::Global(_) => map.globals.push(merged),
                TypeRef::Tag(_) => map.tags.push(merged),
            }
        }
        for i in 0..module.bodies.len() as u32 {
            map.funcs.push(func_base[id] + i);
        }
        for i in 0..module.tables.len() as u32 {
            map.tables.push(table_base[id] + i);
        }
        for i in 0..module.memories.len() as u32 {
            map.memories.push(memory_base[id] + i);
        }
        for i in 0..module.globals.len() as u32 {
            map.globals.push(global_base[id] + i);
        }
        for i in 0..module.tags.len() as u32 {
            map.tags.push(tag_base[id] + i);
        }
        for i in 0..module.elements.len() as u32 {
            map.elems.push(elem_base[id] + i);
        }
        for i in 0..module.data_segments.len() as u32 {
            map.data.push(data_base[id] + i);
        }
        maps[id] = map;
    }

    let intrinsic_funcs: BTreeMap<u32, Intrinsic> = intrinsic_slots
        .iter()
        .map(|(intrinsic, slot)| (*slot, *intrinsic))
        .collect();

    // Instantiation effects.
    let first_effect = order
        .iter()
        .copied()
        .find(|&m| modules[m].has_instantiation_effects());
    let mut steps = Vec::new();
    let mut deferred = vec![false; modules.len()];
    let mut native_start = None;
    for &id in &order {
        let module = &modules[id];
        if Some(id) == first_effect {
            // Its active segments stay native and run before any start
            // function; its own start comes first among the steps.
            if let Some(start) = module.start {
                native_start = Some(maps[id].funcs.get(start));
                steps.push(StartStep::CallStart { module: id });
            }
            continue;
        }
        if !module.has_instantiation_effects() {
            continue;
        }
        deferred[id] = true;
        for (segment, element) in module.elements.iter().enumerate() {
            if matches!(element.kind, ElementKind::Active { .. }) {
                steps.push(StartStep::InitElem {
                    module: id,
                    segment: segment as u32,
                });
            }
        }
        for segment in 0..module.data_segments.len() {
            if matches!(module.data(segment as u32).kind, DataKind::Active { .. }) {
                steps.push(StartStep::InitData {
                    module: id,
                    segment: segment as u32,
                });
            }
        }
        if module.start.is_some() {
            steps.push(StartStep::CallStart { module: id });
        }
    }
    let start = match (native_start, steps.as_slice()) {
        (None, []) => StartPlan::None,
        (Some(start), [StartStep::CallStart { .. }]) => StartPlan::Existing(start),
        _ => StartPlan::Synthesized(steps),
    };
    let elems = elem_places
        .iter()
        .map(|p| {
            let active = matches!(
                modules[p.module].elements[p.index as usize].kind,
                ElementKind::Active { .. }
            );
            (
                *p,
                if active && deferred[p.module] {
                    SegmentMode::Deferred
                } else {
                    SegmentMode::AsIs
                },
            )
        })
        .collect();
    let data = data_places
        .iter()
        .map(|p| {
            let active = matches!(
                modules[p.module].data(p.index).kind,
                DataKind::Active { .. }
            );
            (
                *p,
                if active && deferred[p.module] {
                    SegmentMode::Deferred
                } else {
                    SegmentMode::AsIs
                },
            )
        })
        .collect();
    let mut imported_from = vec![false; modules.len()];
    for (id, module) in modules.iter().enumerate() {
        for import in &module.imports {
            if let Some(provider) = resolver.target(id, import.module, import.name) {
                imported_from[provider] = true;
            }
        }
    }
    let unused_builtins = (0..app).filter(|&b| !imported_from[b]).collect();
    let synthesized = matches!(start, StartPlan::Synthesized(_));
    let start_func = synthesized.then(|| import_slots[FUNC] + funcs.len() as u32);

    Ok(Plan {
        order,
        maps,
        type_groups: if synthesized {
            type_groups
        } else {
            type_groups
                .into_iter()
                .filter(|g| !matches!(g, MergedTypeGroup::EmptyFunc))
                .collect()
        },
        imports,
        funcs,
        tables,
        memories,
        globals,
        tags,
        elems,
        data,
        start,
        start_type: if synthesized { start_type } else { None },
        start_func,
        intrinsic_funcs,
        unused_builtins,
        counts,
    })
}

const FUNC: usize = 0;
const TABLE: usize = 1;
const MEMORY: usize = 2;
const GLOBAL: usize = 3;
const TAG: usize = 4;

fn kind_of(ty: TypeRef) -> usize {
    match ty {
        TypeRef::Func(_) | TypeRef::FuncExact(_) => FUNC,
        TypeRef::Table(_) => TABLE,
        TypeRef::Memory(_) => MEMORY,
        TypeRef::Global(_) => GLOBAL,
        TypeRef::Tag(_) => TAG,
    }
}

fn kind_name(kind: usize) -> &'static str {
    ["function", "table", "memory", "global", "tag"][kind]
}

fn export_kind_index(kind: ExternalKind) -> usize {
    match kind {
        ExternalKind::Func | ExternalKind::FuncExact => FUNC,
        ExternalKind::Table => TABLE,
        ExternalKind::Memory => MEMORY,
        ExternalKind::Global => GLOBAL,
        ExternalKind::Tag => TAG,
    }
}

/// Resolves one import against a builtin's exports, recording any problem.
fn resolve(
    modules: &[ModuleInfo<'_>],
    resolver: &Resolver<'_>,
    importer: ModuleId,
    exporter: ModuleId,
    import: &wasmparser::Import<'_>,
    index_in_kind: u32,
    errors: &mut Vec<ResolveError>,
) -> Binding {
    let importing = &modules[importer];
    let exporting = &modules[exporter];
    let provider = resolver.describe(exporter);
    let mut fail = |problem: String| {
        errors.push(ResolveError {
            importer: importing.input.clone(),
            import: format!("{}::{}", import.module, import.name),
            problem,
        });
    };
    let placeholder = Binding::Import(0);
    let Some(export) = exporting.export(import.name) else {
        let mut available: Vec<&str> = exporting.exports.iter().map(|e| e.name).collect();
        available.sort_unstable();
        let listing = if available.is_empty() {
            "it exports nothing".to_string()
        } else {
            format!(
                "it exports {}",
                available
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        fail(format!(
            "cannot be resolved: {provider} has no export `{}` ({listing})",
            import.name
        ));
        return placeholder;
    };
    let wanted = kind_of(import.ty);
    let found = export_kind_index(export.kind);
    if wanted != found {
        fail(format!(
            "expects a {}, but {provider} exports `{}` as a {}",
            kind_name(wanted),
            export.name,
            kind_name(found)
        ));
        return placeholder;
    }
    let expected = types::entity_type(importing, import.ty, index_in_kind);
    let actual = types::export_entity_type(exporting, export.kind, export.index);
    // Both modules were validated by one validator, so their type ids live in
    // one canonical space; the app was validated last and knows them all.
    let universe = &modules[modules.len() - 1].types;
    if !types::entity_matches(universe, &actual, &expected) {
        let hidden = types::hidden_difference(universe, &expected, &actual)
            .map(|difference| format!("; {difference}"))
            .unwrap_or_default();
        fail(format!(
            "expects `{}`, but {provider} exports `{}` as `{}`{hidden}",
            types::entity_text(universe, &expected),
            export.name,
            types::entity_text(universe, &actual)
        ));
        return placeholder;
    }
    Binding::Builtin {
        exporter,
        kind: export.kind,
        index: export.index,
    }
}

/// Orders builtins dependencies-first, then the app; fails on a cycle.
fn instantiation_order(
    modules: &[ModuleInfo<'_>],
    names: &[String],
    resolver: &Resolver<'_>,
) -> Result<Vec<ModuleId>, LinkError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Visiting,
        Done,
    }
    fn visit(
        id: ModuleId,
        modules: &[ModuleInfo<'_>],
        names: &[String],
        resolver: &Resolver<'_>,
        marks: &mut [Mark],
        path: &mut Vec<ModuleId>,
        order: &mut Vec<ModuleId>,
    ) -> Result<(), LinkError> {
        match marks[id] {
            Mark::Done => return Ok(()),
            Mark::Visiting => {
                let start = path.iter().position(|&m| m == id).expect("on the path");
                let mut cycle: Vec<String> =
                    path[start..].iter().map(|&m| names[m].clone()).collect();
                cycle.push(names[id].clone());
                return Err(LinkError::Cycle(cycle));
            }
            Mark::New => {}
        }
        marks[id] = Mark::Visiting;
        path.push(id);
        for import in &modules[id].imports {
            if let Some(dep) = resolver.target(id, import.module, import.name) {
                visit(dep, modules, names, resolver, marks, path, order)?;
            }
        }
        path.pop();
        marks[id] = Mark::Done;
        order.push(id);
        Ok(())
    }
    let app = modules.len() - 1;
    let mut marks = vec![Mark::New; modules.len()];
    let mut order = Vec::with_capacity(modules.len());
    let mut path = Vec::new();
    // Dependencies first; otherwise the order the builtins were given in.
    for id in 0..app {
        visit(
            id, modules, names, resolver, &mut marks, &mut path, &mut order,
        )?;
    }
    order.push(app);
    Ok(order)
}
