//! The name section through inlining and dead-code removal.
//!
//! Names are what make the inlined module debuggable: a trap in an inlined
//! accessor should still say `host-buf::get` somewhere. The merged name
//! section is read into ordered maps; the inliner adds names for what it
//! creates — each inlined block is labelled after its callee, each fresh
//! local `callee::local` — when the inputs named any locals or labels (a
//! stripped module stays stripped: names at every one of many thousand
//! sites can outweigh the code), and renumbers a rewritten
//! function's own labels, which shift when blocks are inserted before them. The rebuild then
//! writes every name under the final numbering, dropping those of removed
//! items. Maps are ordered, so the section's bytes are deterministic.

use crate::index::{Idx, IndexMap, ModuleMaps, Space};
use crate::inline::dce::Liveness;
use std::collections::BTreeMap;
use wasm_encoder::{IndirectNameMap, NameMap, NameSection};
use wasmparser::{BinaryReader, Name, NameSectionReader};

/// Names per index space, keyed by the merged module's indices.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// The module's name.
    pub module: Option<String>,
    /// Functions.
    pub funcs: BTreeMap<u32, String>,
    /// Locals, per function.
    pub locals: BTreeMap<u32, BTreeMap<u32, String>>,
    /// Labels, per function, numbered in order of the instructions opening them.
    pub labels: BTreeMap<u32, BTreeMap<u32, String>>,
    /// Types.
    pub types: BTreeMap<u32, String>,
    /// Tables.
    pub tables: BTreeMap<u32, String>,
    /// Memories.
    pub memories: BTreeMap<u32, String>,
    /// Globals.
    pub globals: BTreeMap<u32, String>,
    /// Element segments.
    pub elems: BTreeMap<u32, String>,
    /// Data segments.
    pub data: BTreeMap<u32, String>,
    /// Tags.
    pub tags: BTreeMap<u32, String>,
    /// Struct fields, per type.
    pub fields: BTreeMap<u32, BTreeMap<u32, String>>,
}

impl Names {
    /// Reads a name section payload found at `offset` of the module.
    pub fn read(data: &[u8], offset: usize) -> Result<Self, wasmparser::BinaryReaderError> {
        let mut names = Names::default();
        let reader = NameSectionReader::new(BinaryReader::new(data, offset as u64));
        for subsection in reader {
            match subsection? {
                Name::Module { name, .. } => names.module = Some(name.to_string()),
                Name::Function(map) => read_map(&mut names.funcs, map)?,
                Name::Local(map) => read_indirect(&mut names.locals, map)?,
                Name::Label(map) => read_indirect(&mut names.labels, map)?,
                Name::Type(map) => read_map(&mut names.types, map)?,
                Name::Table(map) => read_map(&mut names.tables, map)?,
                Name::Memory(map) => read_map(&mut names.memories, map)?,
                Name::Global(map) => read_map(&mut names.globals, map)?,
                Name::Element(map) => read_map(&mut names.elems, map)?,
                Name::Data(map) => read_map(&mut names.data, map)?,
                Name::Tag(map) => read_map(&mut names.tags, map)?,
                Name::Field(map) => read_indirect(&mut names.fields, map)?,
                // The merged section never has these (the merge drops them).
                Name::Parameter(_) | Name::TagParameter(_) | Name::Unknown { .. } => {}
            }
        }
        Ok(names)
    }

    /// The name section of the rebuilt module: every name of a live item,
    /// under its new index. `None` when nothing is named.
    pub fn write(&self, live: &Liveness, maps: &ModuleMaps) -> Option<NameSection> {
        let mut section = NameSection::new();
        let mut any = false;
        if let Some(module) = &self.module {
            section.module(module);
            any = true;
        }
        let funcs = flat(&self.funcs, &live.funcs, &maps.funcs);
        let locals = indirect(&self.locals, &live.funcs, &maps.funcs);
        let labels = indirect(&self.labels, &live.funcs, &maps.funcs);
        let types = flat(&self.types, &live.types, &maps.types);
        let tables = flat(&self.tables, &live.tables, &maps.tables);
        let memories = flat(&self.memories, &live.memories, &maps.memories);
        let globals = flat(&self.globals, &live.globals, &maps.globals);
        let elems = flat(&self.elems, &live.elems, &maps.elems);
        let data = flat(&self.data, &live.data, &maps.data);
        let fields = indirect(&self.fields, &live.types, &maps.types);
        let tags = flat(&self.tags, &live.tags, &maps.tags);
        // Subsections in the order the extended name section specifies.
        let mut add_flat = |names: &NameMap, add: fn(&mut NameSection, &NameMap)| {
            if !names.is_empty() {
                add(&mut section, names);
                any = true;
            }
        };
        add_flat(&funcs, NameSection::functions);
        let mut add_indirect =
            |names: &Option<IndirectNameMap>, add: fn(&mut NameSection, &IndirectNameMap)| {
                if let Some(names) = names {
                    add(&mut section, names);
                    any = true;
                }
            };
        add_indirect(&locals, NameSection::locals);
        add_indirect(&labels, NameSection::labels);
        let mut add_flat = |names: &NameMap, add: fn(&mut NameSection, &NameMap)| {
            if !names.is_empty() {
                add(&mut section, names);
                any = true;
            }
        };
        add_flat(&types, NameSection::types);
        add_flat(&tables, NameSection::tables);
        add_flat(&memories, NameSection::memories);
        add_flat(&globals, NameSection::globals);
        add_flat(&elems, NameSection::elements);
        add_flat(&data, NameSection::data);
        if let Some(fields) = &fields {
            section.fields(fields);
            any = true;
        }
        if !tags.is_empty() {
            section.tags(&tags);
            any = true;
        }
        any.then_some(section)
    }
}

/// Names of the live items of one space, under their new indices.
fn flat<S: Space>(map: &BTreeMap<u32, String>, live: &[bool], to: &IndexMap<S>) -> NameMap {
    let mut names = NameMap::new();
    for (&index, name) in map {
        if live.get(index as usize) == Some(&true) {
            names.append(to.get(Idx::new(index)).raw(), name);
        }
    }
    names
}

/// Names inside the live items of one space (locals, labels, fields),
/// under the items' new indices; `None` when there are none.
fn indirect<S: Space>(
    map: &BTreeMap<u32, BTreeMap<u32, String>>,
    live: &[bool],
    to: &IndexMap<S>,
) -> Option<IndirectNameMap> {
    let mut outer = IndirectNameMap::new();
    let mut any = false;
    for (&index, inner) in map {
        if live.get(index as usize) != Some(&true) || inner.is_empty() {
            continue;
        }
        let mut names = NameMap::new();
        for (&i, name) in inner {
            names.append(i, name);
        }
        outer.append(to.get(Idx::new(index)).raw(), &names);
        any = true;
    }
    any.then_some(outer)
}

fn read_map(
    target: &mut BTreeMap<u32, String>,
    map: wasmparser::NameMap<'_>,
) -> Result<(), wasmparser::BinaryReaderError> {
    for naming in map {
        let naming = naming?;
        target.insert(naming.index, naming.name.to_string());
    }
    Ok(())
}

fn read_indirect(
    target: &mut BTreeMap<u32, BTreeMap<u32, String>>,
    map: wasmparser::IndirectNameMap<'_>,
) -> Result<(), wasmparser::BinaryReaderError> {
    for naming in map {
        let naming = naming?;
        let inner = target.entry(naming.index).or_default();
        for name in naming.names {
            let name = name?;
            inner.insert(name.index, name.name.to_string());
        }
    }
    Ok(())
}
