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
use crate::index::{Func, Idx, IndexMap, MergedIdx, ModuleMaps, Space};
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
    /// One input's start function, unchanged.
    Existing(MergedIdx<Func>),
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
    pub start_func: Option<MergedIdx<Func>>,
    /// Merged function indices of kept intrinsic imports.
    pub intrinsic_funcs: BTreeMap<MergedIdx<Func>, Intrinsic>,
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
        /// The export's index in the exporter, in the import's space.
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
    let resolver = Resolver::new(modules, names);
    let order = instantiation_order(modules, names, &resolver)?;
    let mut counts = PlanCounts::default();
    let imports = plan_imports(modules, &resolver, &order, namespace, &mut counts)?;
    // The app may call what builtins export, never hold an intrinsic.
    crate::trust::check(modules, names, namespace)?;
    let layout = place_definitions(modules, &order);
    let mut maps: Vec<ModuleMaps> = vec![ModuleMaps::default(); modules.len()];
    let (type_groups, start_type, types_deduplicated) =
        crate::types::plan_types(modules, &layout.order, &mut maps)?;
    counts.types_deduplicated = types_deduplicated;
    build_maps(modules, &order, &imports, &layout, &mut maps);
    let effects = plan_start(modules, &order, &maps);
    let synthesized = matches!(effects.start, StartPlan::Synthesized(_));
    let start_func =
        synthesized.then(|| MergedIdx::new(imports.counts.funcs + layout.funcs.len() as u32));
    let elems = segment_modes(&layout.elems, &effects.deferred, |p| {
        matches!(
            modules[p.module].elements[p.index as usize].kind,
            ElementKind::Active { .. }
        )
    });
    let data = segment_modes(&layout.data, &effects.deferred, |p| {
        matches!(
            modules[p.module].data(p.index).kind,
            DataKind::Active { .. }
        )
    });
    Ok(Plan {
        order,
        maps,
        type_groups: keep_empty_func_type(type_groups, synthesized),
        intrinsic_funcs: imports.intrinsic_funcs(),
        imports: imports.imports,
        funcs: layout.funcs,
        tables: layout.tables,
        memories: layout.memories,
        globals: layout.globals,
        tags: layout.tags,
        elems,
        data,
        start: effects.start,
        start_type: start_type.filter(|_| synthesized),
        start_func,
        unused_builtins: unused_builtins(modules, &resolver),
        counts,
    })
}

/// The kinds of item an import or export can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Func,
    Table,
    Memory,
    Global,
    Tag,
}

impl Kind {
    fn of_import(ty: TypeRef) -> Kind {
        match ty {
            TypeRef::Func(_) | TypeRef::FuncExact(_) => Kind::Func,
            TypeRef::Table(_) => Kind::Table,
            TypeRef::Memory(_) => Kind::Memory,
            TypeRef::Global(_) => Kind::Global,
            TypeRef::Tag(_) => Kind::Tag,
        }
    }

    fn of_export(kind: ExternalKind) -> Kind {
        match kind {
            ExternalKind::Func | ExternalKind::FuncExact => Kind::Func,
            ExternalKind::Table => Kind::Table,
            ExternalKind::Memory => Kind::Memory,
            ExternalKind::Global => Kind::Global,
            ExternalKind::Tag => Kind::Tag,
        }
    }

    /// The kind's name in messages.
    fn name(self) -> &'static str {
        match self {
            Kind::Func => "function",
            Kind::Table => "table",
            Kind::Memory => "memory",
            Kind::Global => "global",
            Kind::Tag => "tag",
        }
    }
}

/// A count per import kind: how many imports of each kind an input has seen
/// so far, or how many the merged module has (which is also the next free
/// slot of the kind while imports are planned).
#[derive(Debug, Clone, Copy, Default)]
struct KindCounts {
    funcs: u32,
    tables: u32,
    memories: u32,
    globals: u32,
    tags: u32,
}

impl KindCounts {
    /// Returns the count of `kind` and increments it: the index of the next
    /// item of that kind.
    fn next(&mut self, kind: Kind) -> u32 {
        let count = match kind {
            Kind::Func => &mut self.funcs,
            Kind::Table => &mut self.tables,
            Kind::Memory => &mut self.memories,
            Kind::Global => &mut self.globals,
            Kind::Tag => &mut self.tags,
        };
        *count += 1;
        *count - 1
    }
}

/// The planned imports of the merged module.
struct Imports {
    /// The merged module's imports, in order.
    imports: Vec<MergedImport>,
    /// How many imports of each kind the merged module has.
    counts: KindCounts,
    /// The merged function index of every kept intrinsic.
    intrinsic_slots: BTreeMap<Intrinsic, MergedIdx<Func>>,
    /// Per input, how each of its imports is satisfied.
    bindings: Vec<Vec<Binding>>,
}

impl Imports {
    /// Kept intrinsics by merged function index.
    fn intrinsic_funcs(&self) -> BTreeMap<MergedIdx<Func>, Intrinsic> {
        self.intrinsic_slots
            .iter()
            .map(|(intrinsic, slot)| (*slot, *intrinsic))
            .collect()
    }
}

/// Binds every import of every input, collecting every problem before
/// failing once. The app's forwarded imports come first, in its order, so
/// its import indices shift as little as possible; then the builtins'.
fn plan_imports(
    modules: &[ModuleInfo<'_>],
    resolver: &Resolver<'_>,
    order: &[ModuleId],
    namespace: &str,
    counts: &mut PlanCounts,
) -> Result<Imports, LinkError> {
    let mut binder = Binder {
        modules,
        resolver,
        namespace,
        planned: Imports {
            imports: Vec::new(),
            counts: KindCounts::default(),
            intrinsic_slots: BTreeMap::new(),
            bindings: vec![Vec::new(); modules.len()],
        },
        shared: HashMap::new(),
        errors: Vec::new(),
        counts,
    };
    for id in app_first(modules, order) {
        binder.bind_module(id);
    }
    let Binder {
        planned, errors, ..
    } = binder;
    counts.intrinsics = planned.intrinsic_slots.len();
    counts.forwarded = planned.imports.len() - counts.intrinsics;
    if !errors.is_empty() {
        return Err(LinkError::Unresolved(errors));
    }
    Ok(planned)
}

/// The app, then the other inputs in instantiation order: the order in which
/// imports are merged and defined items placed, so the app's indices move
/// least.
fn app_first(modules: &[ModuleInfo<'_>], order: &[ModuleId]) -> Vec<ModuleId> {
    let app = modules.len() - 1;
    std::iter::once(app)
        .chain(order.iter().copied().filter(|&m| m != app))
        .collect()
}

/// The state of import planning, threaded through one input's imports at a
/// time.
struct Binder<'a, 'm> {
    modules: &'a [ModuleInfo<'m>],
    resolver: &'a Resolver<'a>,
    namespace: &'a str,
    planned: Imports,
    /// Forwarded host imports by module, name and type, so a second identical
    /// import shares the first one's slot.
    shared: HashMap<(&'m str, &'m str, EntityType), u32>,
    errors: Vec<ResolveError>,
    counts: &'a mut PlanCounts,
}

impl<'m> Binder<'_, 'm> {
    /// Binds each import of input `id`: resolved against a builtin, kept as
    /// an intrinsic, or forwarded to the host.
    fn bind_module(&mut self, id: ModuleId) {
        let modules = self.modules;
        let module = &modules[id];
        let mut positions = KindCounts::default();
        for (position, import) in module.imports.iter().enumerate() {
            let index_in_kind = positions.next(Kind::of_import(import.ty));
            let binding =
                if let Some(exporter) = self.resolver.target(id, import.module, import.name) {
                    self.counts.resolved += 1;
                    resolve(
                        self.modules,
                        self.resolver,
                        id,
                        exporter,
                        import,
                        index_in_kind,
                        &mut self.errors,
                    )
                } else if import.module == self.namespace {
                    self.bind_intrinsic(id, position, import, index_in_kind)
                } else {
                    self.forward(id, position, import, index_in_kind)
                };
            self.planned.bindings[id].push(binding);
        }
    }

    /// Keeps an import of the intrinsics namespace, one merged import per
    /// intrinsic. Only builtins may import intrinsics.
    fn bind_intrinsic(
        &mut self,
        id: ModuleId,
        position: usize,
        import: &wasmparser::Import<'m>,
        index_in_kind: u32,
    ) -> Binding {
        let module = &self.modules[id];
        let checked = if id == self.modules.len() - 1 {
            Err(format!(
                "is from the intrinsics namespace `{}`, which only builtins may import",
                self.namespace
            ))
        } else {
            match import.ty {
                TypeRef::Func(_) => {
                    let ty = module.types.as_ref().core_function_at(index_in_kind);
                    let func = module.types[ty].unwrap_func();
                    intrinsics::check_import(import.name, func.params(), func.results())
                }
                _ => Err(format!(
                    "is a {}, but intrinsics are functions",
                    Kind::of_import(import.ty).name()
                )),
            }
        };
        match checked {
            Ok(intrinsic) => {
                let planned = &mut self.planned;
                let slot = *planned.intrinsic_slots.entry(intrinsic).or_insert_with(|| {
                    planned.imports.push(MergedImport {
                        module: id,
                        import: position,
                    });
                    MergedIdx::new(planned.counts.next(Kind::Func))
                });
                Binding::Import(slot.raw())
            }
            Err(problem) => {
                self.errors.push(ResolveError {
                    importer: module.input.clone(),
                    import: format!("{}::{}", import.module, import.name),
                    problem,
                });
                Binding::Import(0)
            }
        }
    }

    /// Forwards a host import to the merged module, sharing the slot of an
    /// earlier import of the same module, name and type.
    fn forward(
        &mut self,
        id: ModuleId,
        position: usize,
        import: &wasmparser::Import<'m>,
        index_in_kind: u32,
    ) -> Binding {
        let entity = types::entity_type(&self.modules[id], import.ty, index_in_kind);
        let key = (import.module, import.name, entity);
        if let Some(&slot) = self.shared.get(&key) {
            self.counts.shared += 1;
            return Binding::Import(slot);
        }
        let slot = self.planned.counts.next(Kind::of_import(import.ty));
        self.planned.imports.push(MergedImport {
            module: id,
            import: position,
        });
        self.shared.insert(key, slot);
        Binding::Import(slot)
    }
}

/// Where each input's defined items land, per kind, in merged order.
struct Layout {
    /// The order of inputs for every kind but globals: the app first.
    order: Vec<ModuleId>,
    funcs: Vec<Placed>,
    tables: Vec<Placed>,
    memories: Vec<Placed>,
    globals: Vec<Placed>,
    tags: Vec<Placed>,
    elems: Vec<Placed>,
    data: Vec<Placed>,
}

/// Lays out the defined items. The app's come first wherever the format
/// allows, so most of its indices stay put; globals follow instantiation
/// order instead, since an initializer may read an earlier global.
fn place_definitions(modules: &[ModuleInfo<'_>], order: &[ModuleId]) -> Layout {
    let layout_order = app_first(modules, order);
    let place = |count: &dyn Fn(&ModuleInfo<'_>) -> usize, ids: &[ModuleId]| -> Vec<Placed> {
        ids.iter()
            .flat_map(|&module| {
                (0..count(&modules[module]) as u32).map(move |index| Placed { module, index })
            })
            .collect()
    };
    Layout {
        funcs: place(&|m| m.bodies.len(), &layout_order),
        tables: place(&|m| m.tables.len(), &layout_order),
        memories: place(&|m| m.memories.len(), &layout_order),
        globals: place(&|m| m.globals.len(), order),
        tags: place(&|m| m.tags.len(), &layout_order),
        elems: place(&|m| m.elements.len(), &layout_order),
        data: place(&|m| m.data_segments.len(), &layout_order),
        order: layout_order,
    }
}

/// Merged index of the first defined item of each input, for one kind laid
/// out as `placed` after `import_count` imports.
fn first_indices(placed: &[Placed], import_count: u32, inputs: usize) -> Vec<u32> {
    let mut base = vec![0u32; inputs];
    for (i, p) in placed.iter().enumerate().rev() {
        if p.index == 0 {
            base[p.module] = import_count + i as u32;
        }
    }
    base
}

/// Fills every input's index maps (types are already mapped), in
/// instantiation order so an exporter's maps exist before its importers
/// need them.
fn build_maps(
    modules: &[ModuleInfo<'_>],
    order: &[ModuleId],
    imports: &Imports,
    layout: &Layout,
    maps: &mut [ModuleMaps],
) {
    let inputs = modules.len();
    let counts = imports.counts;
    let funcs = first_indices(&layout.funcs, counts.funcs, inputs);
    let tables = first_indices(&layout.tables, counts.tables, inputs);
    let memories = first_indices(&layout.memories, counts.memories, inputs);
    let globals = first_indices(&layout.globals, counts.globals, inputs);
    let tags = first_indices(&layout.tags, counts.tags, inputs);
    let elems = first_indices(&layout.elems, 0, inputs);
    let data = first_indices(&layout.data, 0, inputs);
    for &id in order {
        let module = &modules[id];
        let mut map = std::mem::take(&mut maps[id]);
        map_imports(module, &imports.bindings[id], maps, &mut map);
        push_defined(&mut map.funcs, funcs[id], module.bodies.len());
        push_defined(&mut map.tables, tables[id], module.tables.len());
        push_defined(&mut map.memories, memories[id], module.memories.len());
        push_defined(&mut map.globals, globals[id], module.globals.len());
        push_defined(&mut map.tags, tags[id], module.tags.len());
        push_defined(&mut map.elems, elems[id], module.elements.len());
        push_defined(&mut map.data, data[id], module.data_segments.len());
        maps[id] = map;
    }
}

/// Maps an input's `count` defined items of one kind to the consecutive
/// merged indices from `first`.
fn push_defined<S: Space>(map: &mut IndexMap<S>, first: u32, count: usize) {
    for i in 0..count as u32 {
        map.push(MergedIdx::new(first + i));
    }
}

/// Maps one input's imports: a forwarded or kept import to its merged
/// slot, a resolved one to wherever its exporter's item went.
fn map_imports(
    module: &ModuleInfo<'_>,
    bindings: &[Binding],
    maps: &[ModuleMaps],
    map: &mut ModuleMaps,
) {
    for (import, &binding) in module.imports.iter().zip(bindings) {
        match import.ty {
            TypeRef::Func(_) | TypeRef::FuncExact(_) => {
                map.funcs.push(merged(binding, maps, |m| &m.funcs))
            }
            TypeRef::Table(_) => map.tables.push(merged(binding, maps, |m| &m.tables)),
            TypeRef::Memory(_) => map.memories.push(merged(binding, maps, |m| &m.memories)),
            TypeRef::Global(_) => map.globals.push(merged(binding, maps, |m| &m.globals)),
            TypeRef::Tag(_) => map.tags.push(merged(binding, maps, |m| &m.tags)),
        }
    }
}

/// Where an import bound as `binding` lands in space `S` of the merged
/// module. A builtin's export was checked to be of the import's kind, so
/// its index is one of the same space.
fn merged<S: Space>(
    binding: Binding,
    maps: &[ModuleMaps],
    space: impl Fn(&ModuleMaps) -> &IndexMap<S>,
) -> MergedIdx<S> {
    match binding {
        Binding::Import(slot) => MergedIdx::new(slot),
        Binding::Builtin {
            exporter, index, ..
        } => space(&maps[exporter]).get(Idx::new(index)),
    }
}

/// The instantiation effects of the merged module.
struct Effects {
    start: StartPlan,
    /// Per input: whether its active segments are deferred to the
    /// synthesized start function.
    deferred: Vec<bool>,
}

/// Plans the start function. The first input with instantiation effects
/// keeps its active segments native, and its start function runs first;
/// every later input with effects has its active segments deferred and
/// replayed, with its start function, in order.
fn plan_start(modules: &[ModuleInfo<'_>], order: &[ModuleId], maps: &[ModuleMaps]) -> Effects {
    let first_effect = order
        .iter()
        .copied()
        .find(|&m| modules[m].has_instantiation_effects());
    let mut steps = Vec::new();
    let mut deferred = vec![false; modules.len()];
    let mut native_start = None;
    for &id in order {
        let module = &modules[id];
        if Some(id) == first_effect {
            // Its active segments stay native and run before any start
            // function; its own start comes first among the steps.
            if let Some(start) = module.start {
                native_start = Some(maps[id].funcs.get(start));
                steps.push(StartStep::CallStart { module: id });
            }
        } else if module.has_instantiation_effects() {
            deferred[id] = true;
            replay_steps(module, id, &mut steps);
        }
    }
    let start = match (native_start, steps.as_slice()) {
        (None, []) => StartPlan::None,
        (Some(start), [StartStep::CallStart { .. }]) => StartPlan::Existing(start),
        _ => StartPlan::Synthesized(steps),
    };
    Effects { start, deferred }
}

/// The steps replaying a deferred input's instantiation: its active element
/// segments, then its active data segments, then its start function.
fn replay_steps(module: &ModuleInfo<'_>, id: ModuleId, steps: &mut Vec<StartStep>) {
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

/// How each placed segment is emitted: an active segment of a deferred
/// input turns passive.
fn segment_modes(
    places: &[Placed],
    deferred: &[bool],
    is_active: impl Fn(&Placed) -> bool,
) -> Vec<(Placed, SegmentMode)> {
    places
        .iter()
        .map(|p| {
            let mode = if is_active(p) && deferred[p.module] {
                SegmentMode::Deferred
            } else {
                SegmentMode::AsIs
            };
            (*p, mode)
        })
        .collect()
}

/// The type groups without the synthesized start function's type when no
/// start function is synthesized.
fn keep_empty_func_type(groups: Vec<MergedTypeGroup>, synthesized: bool) -> Vec<MergedTypeGroup> {
    if synthesized {
        return groups;
    }
    groups
        .into_iter()
        .filter(|g| !matches!(g, MergedTypeGroup::EmptyFunc))
        .collect()
}

/// Builtins no input imports from.
fn unused_builtins(modules: &[ModuleInfo<'_>], resolver: &Resolver<'_>) -> Vec<ModuleId> {
    let mut imported_from = vec![false; modules.len()];
    for (id, module) in modules.iter().enumerate() {
        for import in &module.imports {
            if let Some(provider) = resolver.target(id, import.module, import.name) {
                imported_from[provider] = true;
            }
        }
    }
    (0..modules.len() - 1)
        .filter(|&b| !imported_from[b])
        .collect()
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
    match matching_export(modules, resolver, importer, exporter, import, index_in_kind) {
        Ok(index) => Binding::Builtin { exporter, index },
        Err(problem) => {
            errors.push(ResolveError {
                importer: modules[importer].input.clone(),
                import: format!("{}::{}", import.module, import.name),
                problem,
            });
            Binding::Import(0)
        }
    }
}

/// The index of the export of `exporter` that `import` resolves to, or
/// what is wrong: no such export, another kind, or a type that does not
/// match by Wasm's import-matching rules.
fn matching_export(
    modules: &[ModuleInfo<'_>],
    resolver: &Resolver<'_>,
    importer: ModuleId,
    exporter: ModuleId,
    import: &wasmparser::Import<'_>,
    index_in_kind: u32,
) -> Result<u32, String> {
    let exporting = &modules[exporter];
    let provider = resolver.describe(exporter);
    let Some(export) = exporting.export(import.name) else {
        return Err(format!(
            "cannot be resolved: {provider} has no export `{}` ({})",
            import.name,
            export_listing(exporting)
        ));
    };
    let wanted = Kind::of_import(import.ty);
    let found = Kind::of_export(export.kind);
    if wanted != found {
        return Err(format!(
            "expects a {}, but {provider} exports `{}` as a {}",
            wanted.name(),
            export.name,
            found.name()
        ));
    }
    let expected = types::entity_type(&modules[importer], import.ty, index_in_kind);
    let actual = types::export_entity_type(exporting, export.kind, export.index);
    // Both modules were validated by one validator, so their type ids live in
    // one canonical space; the app was validated last and knows them all.
    let universe = &modules[modules.len() - 1].types;
    if !types::entity_matches(universe, &actual, &expected) {
        let hidden = types::hidden_difference(universe, &expected, &actual)
            .map(|difference| format!("; {difference}"))
            .unwrap_or_default();
        return Err(format!(
            "expects `{}`, but {provider} exports `{}` as `{}`{hidden}",
            types::entity_text(universe, &expected),
            export.name,
            types::entity_text(universe, &actual)
        ));
    }
    Ok(export.index)
}

/// What a module exports, for a message about a name it does not export.
fn export_listing(exporting: &ModuleInfo<'_>) -> String {
    let mut available: Vec<&str> = exporting.exports.iter().map(|e| e.name).collect();
    if available.is_empty() {
        return "it exports nothing".to_string();
    }
    available.sort_unstable();
    let names: Vec<String> = available.iter().map(|n| format!("`{n}`")).collect();
    format!("it exports {}", names.join(", "))
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
