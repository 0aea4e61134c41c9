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

use crate::index::ModuleMaps;
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
            if let Err(e) = collect(
                &mut names,
                data,
                offset,
                maps,
                &prefix,
                id == app,
                [
                    &resolved_funcs,
                    &resolved_tables,
                    &resolved_memories,
                    &resolved_globals,
                    &resolved_tags,
                ],
            ) {
                warnings.push(format!(
                    "ignored part of the name section of {}: {e}",
                    module.input
                ));
            }
        }
        if id != app {
            for export in &module.exports {
                let named = format!("{prefix}{}", export.name);
                let (map, index) = match export.kind {
                    ExternalKind::Func | ExternalKind::FuncExact => {
                        (&mut names.funcs, maps.funcs.get(export.index))
                    }
                    ExternalKind::Table => (&mut names.tables, maps.tables.get(export.index)),
                    ExternalKind::Memory => (&mut names.memories, maps.memories.get(export.index)),
                    ExternalKind::Global => (&mut names.globals, maps.globals.get(export.index)),
                    ExternalKind::Tag => (&mut names.tags, maps.tags.get(export.index)),
                };
                map.entry(index).or_insert(named);
            }
            for i in 0..module.bodies.len() as u32 {
                let index = module.imported.funcs + i;
                names
                    .funcs
                    .entry(maps.funcs.get(index))
                    .or_insert_with(|| format!("{prefix}func{index}"));
            }
        }
    }
    if let Some(start) = plan.start_func {
        names
            .funcs
            .entry(start)
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

fn collect(
    names: &mut Collected,
    data: &[u8],
    offset: usize,
    maps: &ModuleMaps,
    prefix: &str,
    is_app: bool,
    resolved: [&HashSet<u32>; 5],
) -> Result<(), wasmparser::BinaryReaderError> {
    let [funcs, tables, memories, globals, tags] = resolved;
    let reader = NameSectionReader::new(wasmparser::BinaryReader::new(data, offset as u64));
    let flat = |target: &mut BTreeMap<u32, String>,
                map: wasmparser::NameMap<'_>,
                skip: &HashSet<u32>,
                translate: &dyn Fn(u32) -> u32|
     -> Result<(), wasmparser::BinaryReaderError> {
        for naming in map {
            let naming = naming?;
            if skip.contains(&naming.index) {
                continue;
            }
            target
                .entry(translate(naming.index))
                .or_insert_with(|| format!("{prefix}{}", naming.name));
        }
        Ok(())
    };
    let none = HashSet::new();
    for subsection in reader {
        match subsection? {
            Name::Module { name, .. } => {
                if is_app {
                    names.module = Some(name.to_string());
                }
            }
            Name::Function(map) => flat(&mut names.funcs, map, funcs, &|i| maps.funcs.get(i))?,
            Name::Type(map) => flat(&mut names.types, map, &none, &|i| maps.types.get(i))?,
            Name::Table(map) => flat(&mut names.tables, map, tables, &|i| maps.tables.get(i))?,
            Name::Memory(map) => flat(&mut names.memories, map, memories, &|i| {
                maps.memories.get(i)
            })?,
            Name::Global(map) => flat(&mut names.globals, map, globals, &|i| maps.globals.get(i))?,
            Name::Tag(map) => flat(&mut names.tags, map, tags, &|i| maps.tags.get(i))?,
            Name::Element(map) => flat(&mut names.elems, map, &none, &|i| maps.elems.get(i))?,
            Name::Data(map) => flat(&mut names.data, map, &none, &|i| maps.data.get(i))?,
            Name::Local(map) => {
                indirect_collect(&mut names.locals, map, funcs, &|i| maps.funcs.get(i))?
            }
            Name::Label(map) => {
                indirect_collect(&mut names.labels, map, funcs, &|i| maps.funcs.get(i))?
            }
            Name::Field(map) => {
                indirect_collect(&mut names.fields, map, &none, &|i| maps.types.get(i))?
            }
            // Subsections whose indices we cannot translate are dropped.
            Name::Parameter(_) | Name::TagParameter(_) | Name::Unknown { .. } => {}
        }
    }
    Ok(())
}

fn indirect_collect(
    target: &mut BTreeMap<u32, BTreeMap<u32, String>>,
    map: wasmparser::IndirectNameMap<'_>,
    skip: &HashSet<u32>,
    translate: &dyn Fn(u32) -> u32,
) -> Result<(), wasmparser::BinaryReaderError> {
    for naming in map {
        let naming = naming?;
        if skip.contains(&naming.index) {
            continue;
        }
        let inner = target.entry(translate(naming.index)).or_default();
        for name in naming.names {
            let name = name?;
            inner
                .entry(name.index)
                .or_insert_with(|| name.name.to_string());
        }
    }
    Ok(())
}
