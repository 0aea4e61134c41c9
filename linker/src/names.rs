//! The merged `name` section.
//!
//! Names are debugging aids, but a merged module without them is miserable
//! to debug: a trap inside an inlined builtin helper shows up as
//! `func[731]`. Every input's names are carried over into the merged
//! numbering; builtin items are prefixed with the builtin's name
//! (`host-buf::get`) so a backtrace says where the code came from, and a
//! builtin function without a name of its own is named after its export.
//! Where two inputs name one merged item (an app import resolved to a
//! builtin function, a shared host import, a deduplicated type) the builtin's
//! definition wins for resolved imports and otherwise the first name does.
//!
//! A name section is a custom section: validation never looks at it, so it
//! may name a function, local, label, type or field that does not exist.
//! Such an entry cannot be translated into the merged numbering, and it
//! names nothing anyway; it is dropped, and one warning per input says how
//! many were and what the first one named. Nothing in a name section can
//! stop a link.

use crate::index::{FuncIdx, Idx, IndexMap, ModuleMaps, Space};
use crate::info::ModuleInfo;
use crate::plan::Plan;
use std::collections::{BTreeMap, HashSet};
use wasm_encoder::{IndirectNameMap, NameMap, NameSection};
use wasmparser::{ExternalKind, Name, NameSectionReader};

/// A subsection of flat names and the method that writes it.
type FlatSubsection<'a> = (&'a BTreeMap<u32, String>, fn(&mut NameSection, &NameMap));
/// A subsection of names per item and the method that writes it.
type IndirectSubsection<'a> = (
    &'a BTreeMap<u32, BTreeMap<u32, String>>,
    fn(&mut NameSection, &IndirectNameMap),
);

#[derive(Default)]
struct Collected {
    module: Option<String>,
    funcs: BTreeMap<u32, String>,
    locals: BTreeMap<u32, BTreeMap<u32, String>>,
    labels: BTreeMap<u32, BTreeMap<u32, String>>,
    types: BTreeMap<u32, String>,
    tables: BTreeMap<u32, String>,
    memories: BTreeMap<u32, String>,
    globals: BTreeMap<u32, String>,
    elems: BTreeMap<u32, String>,
    data: BTreeMap<u32, String>,
    tags: BTreeMap<u32, String>,
    fields: BTreeMap<u32, BTreeMap<u32, String>>,
    /// Entries of the input being read that name nothing.
    dangling: Dangling,
}

/// Name of the start function the linker synthesizes.
pub const SYNTHESIZED_START: &str = "prelink::start";

/// Builds the merged name section (or none, when nothing is named), plus
/// warnings about name sections that could not be read.
pub fn merge(
    modules: &[ModuleInfo<'_>],
    builtin_names: &[String],
    plan: &Plan,
) -> (Option<NameSection>, Vec<String>) {
    let app = modules.len() - 1;
    let builtins: HashSet<&str> = builtin_names.iter().map(String::as_str).collect();
    let mut names = Collected::default();
    let mut warnings = Vec::new();

    // Builtins first (instantiation order), so their definitions name the
    // functions the app's imports now resolve to; then the app, whose names
    // for its own items are never in conflict.
    let builtin_order = plan.order.iter().copied().filter(|&m| m != app);
    for id in builtin_order.chain(std::iter::once(app)) {
        let module = &modules[id];
        let prefix = if id == app {
            String::new()
        } else {
            format!("{}::", builtin_names[id])
        };
        let maps = &plan.maps[id];
        // Imports resolved to builtins are named by their definitions.
        let resolved_funcs: HashSet<u32> =
            resolved_imports(module, &builtins, |k| k == ExternalKind::Func);
        let resolved_globals = resolved_imports(module, &builtins, |k| k == ExternalKind::Global);
        let resolved_tables = resolved_imports(module, &builtins, |k| k == ExternalKind::Table);
        let resolved_memories = resolved_imports(module, &builtins, |k| k == ExternalKind::Memory);
        let resolved_tags = resolved_imports(module, &builtins, |k| k == ExternalKind::Tag);
        if let Some((data, offset)) = module.names {
            let read = collect(
                &mut names,
                data,
                offset,
                &Bounds::new(module, maps),
                &prefix,
                id == app,
                [
                    &resolved_funcs,
                    &resolved_tables,
                    &resolved_memories,
                    &resolved_globals,
                    &resolved_tags,
                ],
            );
            if let Err(e) = read {
                warnings.push(format!(
                    "ignored part of the name section of {}: {e}",
                    module.input
                ));
            }
            let dangling = std::mem::take(&mut names.dangling);
            if let Some(first) = &dangling.first {
                warnings.push(format!(
                    "ignored {} entr{} of the name section of {} naming items it does not have (the first names {first})",
                    dangling.count,
                    if dangling.count == 1 { "y" } else { "ies" },
                    module.input
                ));
            }
        }
        if id != app {
            for export in &module.exports {
                let named = format!("{prefix}{}", export.name);
                let (map, index) = match export.kind {
                    ExternalKind::Func | ExternalKind::FuncExact => (
                        &mut names.funcs,
                        maps.funcs.get(Idx::new(export.index)).raw(),
                    ),
                    ExternalKind::Table => (
                        &mut names.tables,
                        maps.tables.get(Idx::new(export.index)).raw(),
                    ),
                    ExternalKind::Memory => (
                        &mut names.memories,
                        maps.memories.get(Idx::new(export.index)).raw(),
                    ),
                    ExternalKind::Global => (
                        &mut names.globals,
                        maps.globals.get(Idx::new(export.index)).raw(),
                    ),
                    ExternalKind::Tag => {
                        (&mut names.tags, maps.tags.get(Idx::new(export.index)).raw())
                    }
                };
                map.entry(index).or_insert(named);
            }
            for (_, func) in module.imported.defined_funcs(module.bodies.len()) {
                names
                    .funcs
                    .entry(maps.funcs.get(func).raw())
                    .or_insert_with(|| format!("{prefix}func{}", func.raw()));
            }
        }
    }
    if let Some(start) = plan.start_func {
        names
            .funcs
            .entry(start.raw())
            .or_insert_with(|| SYNTHESIZED_START.to_string());
    }

    let mut section = NameSection::new();
    let mut any = false;
    if let Some(module) = &names.module {
        section.module(module);
        any = true;
    }
    // Subsections in the order the extended name section specifies.
    let flat_subsections: [FlatSubsection<'_>; 7] = [
        (&names.funcs, NameSection::functions),
        (&names.types, NameSection::types),
        (&names.tables, NameSection::tables),
        (&names.memories, NameSection::memories),
        (&names.globals, NameSection::globals),
        (&names.elems, NameSection::elements),
        (&names.data, NameSection::data),
    ];
    let indirect_subsections: [IndirectSubsection<'_>; 3] = [
        (&names.locals, NameSection::locals),
        (&names.labels, NameSection::labels),
        (&names.fields, NameSection::fields),
    ];
    let (funcs, rest) = flat_subsections.split_at(1);
    for (map, add) in funcs {
        if !map.is_empty() {
            add(&mut section, &name_map(map));
            any = true;
        }
    }
    for (map, add) in &indirect_subsections[..2] {
        if !map.is_empty() {
            add(&mut section, &indirect_name_map(map));
            any = true;
        }
    }
    for (map, add) in rest {
        if !map.is_empty() {
            add(&mut section, &name_map(map));
            any = true;
        }
    }
    for (map, add) in &indirect_subsections[2..] {
        if !map.is_empty() {
            add(&mut section, &indirect_name_map(map));
            any = true;
        }
    }
    if !names.tags.is_empty() {
        section.tags(&name_map(&names.tags));
        any = true;
    }
    (any.then_some(section), warnings)
}

fn name_map(map: &BTreeMap<u32, String>) -> NameMap {
    let mut names = NameMap::new();
    for (index, name) in map {
        names.append(*index, name);
    }
    names
}

fn indirect_name_map(map: &BTreeMap<u32, BTreeMap<u32, String>>) -> IndirectNameMap {
    let mut outer = IndirectNameMap::new();
    for (index, inner) in map {
        outer.append(*index, &name_map(inner));
    }
    outer
}

/// Indices (within their kind) of imports of `module` resolved to builtins.
fn resolved_imports(
    module: &ModuleInfo<'_>,
    builtins: &HashSet<&str>,
    kind: impl Fn(ExternalKind) -> bool,
) -> HashSet<u32> {
    let mut indices = HashSet::new();
    let mut next = 0;
    for import in &module.imports {
        let import_kind = match import.ty {
            wasmparser::TypeRef::Func(_) | wasmparser::TypeRef::FuncExact(_) => ExternalKind::Func,
            wasmparser::TypeRef::Table(_) => ExternalKind::Table,
            wasmparser::TypeRef::Memory(_) => ExternalKind::Memory,
            wasmparser::TypeRef::Global(_) => ExternalKind::Global,
            wasmparser::TypeRef::Tag(_) => ExternalKind::Tag,
        };
        if !kind(import_kind) {
            continue;
        }
        if builtins.contains(import.module) {
            indices.insert(next);
        }
        next += 1;
    }
    indices
}

/// Entries of a name section that name nothing: counted, and the first
/// one described, for the warning.
#[derive(Default)]
struct Dangling {
    count: usize,
    first: Option<String>,
}

impl Dangling {
    fn note(&mut self, what: impl FnOnce() -> String) {
        self.count += 1;
        if self.first.is_none() {
            self.first = Some(what());
        }
    }
}

/// How many items of each kind one input has, to tell a name of a real
/// item from one of an item that does not exist. Locals, labels and fields
/// are counted only for the functions and types a name section mentions.
struct Bounds<'m, 'a> {
    module: &'m ModuleInfo<'a>,
    maps: &'m ModuleMaps,
}

impl<'m, 'a> Bounds<'m, 'a> {
    fn new(module: &'m ModuleInfo<'a>, maps: &'m ModuleMaps) -> Self {
        Bounds { module, maps }
    }

    /// Locals of function `func`, parameters included.
    fn locals(&self, func: u32) -> u64 {
        let module = self.module;
        let types = module.types.as_ref();
        let params = types[types.core_function_at(func)]
            .unwrap_func()
            .params()
            .len() as u64;
        let Some(defined) = module.imported.defined(FuncIdx::new(func)) else {
            return params;
        };
        let declared = module.bodies[defined.index()]
            .get_locals_reader()
            .map(|reader| {
                reader
                    .into_iter()
                    .map_while(Result::ok)
                    .map(|(count, _)| u64::from(count))
                    .sum::<u64>()
            })
            .unwrap_or(0);
        params + declared
    }

    /// Labels (blocks, loops, ifs, try blocks) function `func` opens.
    fn labels(&self, func: u32) -> u64 {
        let module = self.module;
        let Some(defined) = module.imported.defined(FuncIdx::new(func)) else {
            return 0;
        };
        let Ok(reader) = module.bodies[defined.index()].get_operators_reader() else {
            return 0;
        };
        reader
            .into_iter()
            .map_while(Result::ok)
            .filter(crate::inline::ops::opens_label)
            .count() as u64
    }

    /// Fields of type `ty`: those of a struct, none otherwise.
    fn fields(&self, ty: u32) -> u64 {
        let sub = self
            .module
            .rec_groups
            .iter()
            .flat_map(|group| group.types())
            .nth(ty as usize);
        match sub.map(|sub| &sub.composite_type.inner) {
            Some(wasmparser::CompositeInnerType::Struct(s)) => s.fields.len() as u64,
            _ => 0,
        }
    }
}

/// Where one kind of name goes, and how its indices translate.
struct Translate<'t, S: Space> {
    map: &'t IndexMap<S>,
    noun: &'static str,
}

impl<S: Space> Translate<'_, S> {
    fn get(&self, index: u32, dangling: &mut Dangling) -> Option<u32> {
        if (index as usize) < self.map.len() {
            Some(self.map.get(Idx::new(index)).raw())
        } else {
            dangling.note(|| format!("{} {index}", self.noun));
            None
        }
    }
}

fn space<'t, S: Space>(map: &'t IndexMap<S>, noun: &'static str) -> Translate<'t, S> {
    Translate { map, noun }
}

fn collect(
    names: &mut Collected,
    data: &[u8],
    offset: usize,
    bounds: &Bounds<'_, '_>,
    prefix: &str,
    is_app: bool,
    resolved: [&HashSet<u32>; 5],
) -> Result<(), wasmparser::BinaryReaderError> {
    let [funcs, tables, memories, globals, tags] = resolved;
    let maps = bounds.maps;
    let reader = NameSectionReader::new(wasmparser::BinaryReader::new(data, offset as u64));
    let none = HashSet::new();
    let dangling = &mut names.dangling;
    for subsection in reader {
        match subsection? {
            Name::Module { name, .. } => {
                if is_app {
                    names.module = Some(name.to_string());
                }
            }
            Name::Function(map) => flat(
                &mut names.funcs,
                map,
                funcs,
                &space(&maps.funcs, "function"),
                prefix,
                dangling,
            )?,
            Name::Type(map) => flat(
                &mut names.types,
                map,
                &none,
                &space(&maps.types, "type"),
                prefix,
                dangling,
            )?,
            Name::Table(map) => flat(
                &mut names.tables,
                map,
                tables,
                &space(&maps.tables, "table"),
                prefix,
                dangling,
            )?,
            Name::Memory(map) => flat(
                &mut names.memories,
                map,
                memories,
                &space(&maps.memories, "memory"),
                prefix,
                dangling,
            )?,
            Name::Global(map) => flat(
                &mut names.globals,
                map,
                globals,
                &space(&maps.globals, "global"),
                prefix,
                dangling,
            )?,
            Name::Tag(map) => flat(
                &mut names.tags,
                map,
                tags,
                &space(&maps.tags, "tag"),
                prefix,
                dangling,
            )?,
            Name::Element(map) => flat(
                &mut names.elems,
                map,
                &none,
                &space(&maps.elems, "element segment"),
                prefix,
                dangling,
            )?,
            Name::Data(map) => flat(
                &mut names.data,
                map,
                &none,
                &space(&maps.data, "data segment"),
                prefix,
                dangling,
            )?,
            Name::Local(map) => indirect_collect(
                &mut names.locals,
                map,
                funcs,
                &space(&maps.funcs, "function"),
                &|f| bounds.locals(f),
                "local",
                dangling,
            )?,
            Name::Label(map) => indirect_collect(
                &mut names.labels,
                map,
                funcs,
                &space(&maps.funcs, "function"),
                &|f| bounds.labels(f),
                "label",
                dangling,
            )?,
            Name::Field(map) => indirect_collect(
                &mut names.fields,
                map,
                &none,
                &space(&maps.types, "type"),
                &|t| bounds.fields(t),
                "field",
                dangling,
            )?,
            // Subsections whose indices we cannot translate are dropped.
            Name::Parameter(_) | Name::TagParameter(_) | Name::Unknown { .. } => {}
        }
    }
    Ok(())
}

/// Collects one flat subsection: the names of items of one space that are
/// not in `skip`, under their merged indices, prefixed.
fn flat<S: Space>(
    target: &mut BTreeMap<u32, String>,
    map: wasmparser::NameMap<'_>,
    skip: &HashSet<u32>,
    space: &Translate<'_, S>,
    prefix: &str,
    dangling: &mut Dangling,
) -> Result<(), wasmparser::BinaryReaderError> {
    for naming in map {
        let naming = naming?;
        if skip.contains(&naming.index) {
            continue;
        }
        if let Some(merged) = space.get(naming.index, dangling) {
            target
                .entry(merged)
                .or_insert_with(|| format!("{prefix}{}", naming.name));
        }
    }
    Ok(())
}

/// Collects one subsection of names inside items (locals and labels of
/// functions, fields of types); `inner_count` says how many an item has.
fn indirect_collect<S: Space>(
    target: &mut BTreeMap<u32, BTreeMap<u32, String>>,
    map: wasmparser::IndirectNameMap<'_>,
    skip: &HashSet<u32>,
    space: &Translate<'_, S>,
    inner_count: &dyn Fn(u32) -> u64,
    inner_noun: &str,
    dangling: &mut Dangling,
) -> Result<(), wasmparser::BinaryReaderError> {
    for naming in map {
        let naming = naming?;
        if skip.contains(&naming.index) {
            continue;
        }
        let Some(merged) = space.get(naming.index, dangling) else {
            continue;
        };
        let count = inner_count(naming.index);
        for name in naming.names {
            let name = name?;
            if u64::from(name.index) >= count {
                dangling.note(|| {
                    format!(
                        "{inner_noun} {} of {} {}",
                        name.index, space.noun, naming.index
                    )
                });
                continue;
            }
            // Created only for a name that stays: an empty entry would name
            // the item's locals, labels or fields when it has none.
            target
                .entry(merged)
                .or_default()
                .entry(name.index)
                .or_insert_with(|| name.name.to_string());
        }
    }
    Ok(())
}
