//! Dead-code removal: which builtin items the merged module still needs.
//!
//! After inlining, most of a builtin is dead weight: its exported accessors
//! were copied into the app's functions and nothing calls the originals; its
//! helpers were copied into the accessors. This pass finds what is still
//! reachable and gives every surviving item its new index; the rebuild in
//! [`crate::inline`] then writes the smaller module.
//!
//! Reachability is a worklist over items of every index space (as walrus'
//! `used` pass does): an item becomes live once something live refers to it,
//! and when it does its own references are followed. The roots are
//!
//! - everything the app defined and every host import, whatever it is used
//!   for: the app is the user's program and host imports decide whether
//!   instantiation succeeds (see [`crate::inline::origins`]);
//! - everything the app exports (re-exported builtin items included) and
//!   the start function, which runs the builtins' start functions;
//! - every *active* element and data segment, builtin ones included: they
//!   write into tables and memories at instantiation and may trap there, so
//!   removing one would change what instantiation does;
//! - every table, global and element segment whose constant expressions
//!   allocate GC objects: instantiation evaluates them even when nothing
//!   uses the item, and an allocation may trap.
//!
//! References are read through `wasm_encoder::reencode`, whose hooks see
//! every index an instruction, type or constant expression carries: the
//! collector below records instead of mapping, so no list of "instructions
//! that mention a function" exists to fall out of date. Only removable
//! targets are recorded; everything else is live anyway.
//!
//! Types are kept or dropped a whole rec group at a time, since a group is
//! the unit of type identity. Declarative element segments of builtins
//! exist only to allow `ref.func`; they are dropped like any unreferenced
//! segment, and the rebuild declares whatever live code still needs.

use crate::index::{
    Data, DefinedIdx, Elem, FuncIdx, Global, Idx, IndexMap, Memory, MergedIdx, ModuleMaps, Space,
    Table, Tag, Type,
};
use crate::inline::module::Module;
use crate::inline::origins::{Origin, Origins};
use std::convert::Infallible;
use wasm_encoder::reencode::{Error as ReencodeError, Reencode};
use wasmparser::{DataKind, ElementItems, ElementKind, TableInit};

/// One item of one index space of the merged module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Item {
    /// A type.
    Type(Idx<Type>),
    /// A function (absolute index, imports first).
    Func(FuncIdx),
    /// A table.
    Table(Idx<Table>),
    /// A memory.
    Memory(Idx<Memory>),
    /// A global.
    Global(Idx<Global>),
    /// A tag.
    Tag(Idx<Tag>),
    /// An element segment.
    Elem(Idx<Elem>),
    /// A data segment.
    Data(Idx<Data>),
}

/// Records the removable items that whatever it re-encodes refers to.
///
/// Every hook returns its index unchanged: re-encoding is only the vehicle
/// that visits each index once.
pub struct Collector<'o> {
    origins: &'o Origins,
    /// What was found, in order of discovery, with repeats.
    pub items: Vec<Item>,
}

impl<'o> Collector<'o> {
    /// A collector recording items removable according to `origins`.
    pub fn new(origins: &'o Origins) -> Self {
        Collector {
            origins,
            items: Vec::new(),
        }
    }

    fn note(&mut self, space: &[Origin], index: u32, item: Item) -> u32 {
        // Indices past the known items are types the inliner appended.
        if space.get(index as usize).is_none_or(|o| o.removable()) {
            self.items.push(item);
        }
        index
    }
}

impl Reencode for Collector<'_> {
    type Error = Infallible;

    fn type_index(&mut self, ty: u32) -> Result<u32, ReencodeError<Infallible>> {
        Ok(self.note(&self.origins.types, ty, Item::Type(Idx::new(ty))))
    }
    fn function_index(&mut self, func: u32) -> Result<u32, ReencodeError<Infallible>> {
        Ok(self.note(&self.origins.funcs, func, Item::Func(FuncIdx::new(func))))
    }
    fn table_index(&mut self, table: u32) -> Result<u32, ReencodeError<Infallible>> {
        Ok(self.note(&self.origins.tables, table, Item::Table(Idx::new(table))))
    }
    fn memory_index(&mut self, memory: u32) -> Result<u32, ReencodeError<Infallible>> {
        Ok(self.note(
            &self.origins.memories,
            memory,
            Item::Memory(Idx::new(memory)),
        ))
    }
    fn global_index(&mut self, global: u32) -> Result<u32, ReencodeError<Infallible>> {
        Ok(self.note(
            &self.origins.globals,
            global,
            Item::Global(Idx::new(global)),
        ))
    }
    fn tag_index(&mut self, tag: u32) -> Result<u32, ReencodeError<Infallible>> {
        Ok(self.note(&self.origins.tags, tag, Item::Tag(Idx::new(tag))))
    }
    fn data_index(&mut self, data: u32) -> Result<u32, ReencodeError<Infallible>> {
        Ok(self.note(&self.origins.data, data, Item::Data(Idx::new(data))))
    }
    fn element_index(&mut self, elem: u32) -> Result<u32, ReencodeError<Infallible>> {
        Ok(self.note(&self.origins.elems, elem, Item::Elem(Idx::new(elem))))
    }
}

/// Which items survive, per index space of the merged module (types the
/// inliner appended included).
#[derive(Debug, Clone, Default)]
pub struct Liveness {
    /// Types.
    pub types: Vec<bool>,
    /// Functions.
    pub funcs: Vec<bool>,
    /// Tables.
    pub tables: Vec<bool>,
    /// Memories.
    pub memories: Vec<bool>,
    /// Globals.
    pub globals: Vec<bool>,
    /// Tags.
    pub tags: Vec<bool>,
    /// Element segments.
    pub elems: Vec<bool>,
    /// Data segments.
    pub data: Vec<bool>,
}

/// What dead-code removal removed, for the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Removed {
    /// Defined functions.
    pub funcs: usize,
    /// Intrinsic imports.
    pub intrinsics: usize,
    /// Everything else: types, tables, memories, globals, tags, segments.
    pub other: usize,
}

/// What the analysis needs to know beyond the module: the current
/// references of every defined function's body (after inlining), and the
/// types the inliner appended, each referring to earlier types.
pub struct Inputs<'a> {
    /// Removable items each defined function's body refers to.
    pub body_refs: &'a [Vec<Item>],
    /// For each appended type, the types its definition refers to.
    pub appended_types: &'a [Vec<Item>],
}

/// Builds the item of one index space from its index.
type ItemOf = fn(u32) -> Item;

/// Finds the live items of `module`.
pub fn analyze(module: &Module<'_>, origins: &Origins, inputs: &Inputs<'_>) -> Liveness {
    let type_count = origins.types.len() + inputs.appended_types.len();
    let mut live = Liveness {
        types: vec![false; type_count],
        funcs: vec![false; origins.funcs.len()],
        tables: vec![false; origins.tables.len()],
        memories: vec![false; origins.memories.len()],
        globals: vec![false; origins.globals.len()],
        tags: vec![false; origins.tags.len()],
        elems: vec![false; origins.elems.len()],
        data: vec![false; origins.data.len()],
    };
    let mut work: Vec<Item> = Vec::new();
    let spaces: [(&[Origin], ItemOf); 8] = [
        (&origins.types, |i| Item::Type(Idx::new(i))),
        (&origins.funcs, |i| Item::Func(FuncIdx::new(i))),
        (&origins.tables, |i| Item::Table(Idx::new(i))),
        (&origins.memories, |i| Item::Memory(Idx::new(i))),
        (&origins.globals, |i| Item::Global(Idx::new(i))),
        (&origins.tags, |i| Item::Tag(Idx::new(i))),
        (&origins.elems, |i| Item::Elem(Idx::new(i))),
        (&origins.data, |i| Item::Data(Idx::new(i))),
    ];
    for (space, item) in spaces {
        for (index, origin) in space.iter().enumerate() {
            if !origin.removable() {
                work.push(item(index as u32));
            }
        }
    }
    for export in &module.exports {
        work.push(match export.kind {
            wasmparser::ExternalKind::Func | wasmparser::ExternalKind::FuncExact => {
                Item::Func(FuncIdx::new(export.index))
            }
            wasmparser::ExternalKind::Table => Item::Table(Idx::new(export.index)),
            wasmparser::ExternalKind::Memory => Item::Memory(Idx::new(export.index)),
            wasmparser::ExternalKind::Global => Item::Global(Idx::new(export.index)),
            wasmparser::ExternalKind::Tag => Item::Tag(Idx::new(export.index)),
        });
    }
    work.extend(module.start.map(Item::Func));
    for (index, element) in module.elements.iter().enumerate() {
        if matches!(element.kind, ElementKind::Active { .. }) {
            work.push(Item::Elem(Idx::new(index as u32)));
        }
    }
    for (index, data) in module.data.iter().enumerate() {
        if matches!(data.kind, DataKind::Active { .. }) {
            work.push(Item::Data(Idx::new(index as u32)));
        }
    }
    work.extend(may_trap_when_instantiated(module));

    let group_start = group_starts(module);
    let mut collector = Collector::new(origins);
    while let Some(item) = work.pop() {
        let flag = match item {
            Item::Type(i) => &mut live.types[i.raw() as usize],
            Item::Func(i) => &mut live.funcs[i.raw() as usize],
            Item::Table(i) => &mut live.tables[i.raw() as usize],
            Item::Memory(i) => &mut live.memories[i.raw() as usize],
            Item::Global(i) => &mut live.globals[i.raw() as usize],
            Item::Tag(i) => &mut live.tags[i.raw() as usize],
            Item::Elem(i) => &mut live.elems[i.raw() as usize],
            Item::Data(i) => &mut live.data[i.raw() as usize],
        };
        if *flag {
            continue;
        }
        *flag = true;
        collector.items.clear();
        references(module, inputs, &group_start, item, &mut collector);
        work.append(&mut collector.items);
    }
    live
}

/// Defined tables, globals and element segments whose constant expressions
/// allocate: instantiation evaluates them whether anything uses the item or
/// not, and an allocation can fail (an array too large for the engine is a
/// trap), so removing one could turn a failing instantiation into a
/// succeeding one or change which trap it hits.
fn may_trap_when_instantiated(module: &Module<'_>) -> Vec<Item> {
    let mut items = Vec::new();
    for (defined, table) in module.tables.iter().enumerate() {
        if let TableInit::Expr(expr) = &table.init {
            if allocates(expr) {
                items.push(Item::Table(
                    module.imported.absolute(DefinedIdx::new(defined as u32)),
                ));
            }
        }
    }
    for (defined, global) in module.globals.iter().enumerate() {
        if allocates(&global.init_expr) {
            items.push(Item::Global(
                module.imported.absolute(DefinedIdx::new(defined as u32)),
            ));
        }
    }
    for (index, element) in module.elements.iter().enumerate() {
        if let ElementItems::Expressions(_, exprs) = &element.items {
            if exprs
                .clone()
                .into_iter()
                .any(|e| e.map_or(true, |e| allocates(&e)))
            {
                items.push(Item::Elem(Idx::new(index as u32)));
            }
        }
    }
    items
}

/// Whether a constant expression creates a GC object. Inputs are validated,
/// so an expression that fails to read here does not occur; it counts as
/// allocating, which only keeps an item.
fn allocates(expr: &wasmparser::ConstExpr<'_>) -> bool {
    use wasmparser::Operator;
    expr.get_operators_reader().into_iter().any(|op| {
        matches!(
            op,
            Err(_)
                | Ok(Operator::StructNew { .. }
                    | Operator::StructNewDefault { .. }
                    | Operator::ArrayNew { .. }
                    | Operator::ArrayNewDefault { .. }
                    | Operator::ArrayNewFixed { .. })
        )
    })
}

/// The first type index of every rec group.
fn group_starts(module: &Module<'_>) -> Vec<u32> {
    let mut starts = Vec::with_capacity(module.groups.len());
    let mut next = 0u32;
    for group in &module.groups {
        starts.push(next);
        next += group.types().len() as u32;
    }
    starts
}

/// Pushes what `item` refers to onto `collector`. Inputs are valid, so
/// every reader here succeeds; a failure would only lose references, which
/// the final validation of the output would catch.
fn references(
    module: &Module<'_>,
    inputs: &Inputs<'_>,
    group_start: &[u32],
    item: Item,
    collector: &mut Collector<'_>,
) {
    let imported = module.imported;
    match item {
        Item::Type(ty) => {
            let ty = ty.raw();
            let Some(&group) = module.type_group.get(ty as usize) else {
                // An appended type.
                let appended = ty as usize - module.type_group.len();
                collector
                    .items
                    .extend_from_slice(&inputs.appended_types[appended]);
                return;
            };
            let start = group_start[group as usize];
            // Every type of the group lives with it.
            let size = module.groups[group as usize].types().len() as u32;
            collector.items.extend(
                (start..start + size)
                    .filter(|&t| t != ty)
                    .map(|t| Item::Type(Idx::new(t))),
            );
            if let Some(sub_type) = module.groups[group as usize]
                .types()
                .nth((ty - start) as usize)
            {
                let _ = collector.sub_type(sub_type.clone());
            }
        }
        Item::Func(func) => {
            collector
                .items
                .push(Item::Type(Idx::new(module.func_types[func.raw() as usize])));
            if let Some(defined) = imported.defined(func) {
                collector
                    .items
                    .extend_from_slice(&inputs.body_refs[defined.index()]);
            }
        }
        Item::Table(table) => match imported.defined(table) {
            Some(defined) => {
                let table = &module.tables[defined.index()];
                let _ = collector.table_type(table.ty);
                if let TableInit::Expr(expr) = &table.init {
                    let _ = collector.const_expr(expr.clone());
                }
            }
            None => import_references(module, &module.table_imports, table, collector),
        },
        Item::Memory(_) => {}
        Item::Global(global) => match imported.defined(global) {
            Some(defined) => {
                let global = &module.globals[defined.index()];
                let _ = collector.global_type(global.ty);
                let _ = collector.const_expr(global.init_expr.clone());
            }
            None => import_references(module, &module.global_imports, global, collector),
        },
        Item::Tag(tag) => match imported.defined(tag) {
            Some(defined) => {
                let _ = collector.tag_type(module.tags[defined.index()]);
            }
            None => import_references(module, &module.tag_imports, tag, collector),
        },
        Item::Elem(elem) => {
            let element = &module.elements[elem.raw() as usize];
            match &element.items {
                ElementItems::Functions(reader) => {
                    for func in reader.clone().into_iter().flatten() {
                        let _ = collector.function_index(func);
                    }
                }
                ElementItems::Expressions(ty, reader) => {
                    let _ = collector.ref_type(*ty);
                    for expr in reader.clone().into_iter().flatten() {
                        let _ = collector.const_expr(expr);
                    }
                }
            }
            if let ElementKind::Active {
                table_index,
                offset_expr,
            } = &element.kind
            {
                let _ = collector.table_index(table_index.unwrap_or(0));
                let _ = collector.const_expr(offset_expr.clone());
            }
        }
        Item::Data(data) => {
            if let DataKind::Active {
                memory_index,
                offset_expr,
            } = &module.data[data.raw() as usize].kind
            {
                let _ = collector.memory_index(*memory_index);
                let _ = collector.const_expr(offset_expr.clone());
            }
        }
    }
}

/// References of the `index`-th imported item of a kind whose imports
/// stand at `positions` of the import section: those of its type.
fn import_references<S: Space>(
    module: &Module<'_>,
    positions: &[usize],
    index: Idx<S>,
    collector: &mut Collector<'_>,
) {
    if let Some(&position) = positions.get(index.raw() as usize) {
        let _ = collector.entity_type(module.imports[position].ty);
    }
}

impl Liveness {
    /// Counts what was removed.
    pub fn removed(&self, origins: &Origins) -> Removed {
        let dead = |live: &[bool]| live.iter().filter(|l| !**l).count();
        let dead_funcs = |origin: Origin| {
            self.funcs
                .iter()
                .zip(&origins.funcs)
                .filter(|(live, o)| !**live && **o == origin)
                .count()
        };
        Removed {
            funcs: dead_funcs(Origin::Builtin) + dead_funcs(Origin::Linker),
            intrinsics: dead_funcs(Origin::Intrinsic),
            other: dead(&self.types)
                + dead(&self.tables)
                + dead(&self.memories)
                + dead(&self.globals)
                + dead(&self.tags)
                + dead(&self.elems)
                + dead(&self.data),
        }
    }

    /// Whether anything at all is removed.
    pub fn removes_anything(&self) -> bool {
        [
            &self.types,
            &self.funcs,
            &self.tables,
            &self.memories,
            &self.globals,
            &self.tags,
            &self.elems,
            &self.data,
        ]
        .iter()
        .any(|space| space.iter().any(|live| !live))
    }

    /// Numbering of the rebuilt module: live items keep their order and
    /// close ranks. A removed item gets a placeholder that keeps the map an
    /// identity for as long as possible, so bodies whose indices did not
    /// move are still copied byte for byte; nothing live refers to a
    /// removed item (that is what removed means), and the output is
    /// validated in any case.
    pub fn maps(&self) -> ModuleMaps {
        ModuleMaps {
            types: renumber(&self.types),
            funcs: renumber(&self.funcs),
            tables: renumber(&self.tables),
            memories: renumber(&self.memories),
            globals: renumber(&self.globals),
            tags: renumber(&self.tags),
            elems: renumber(&self.elems),
            data: renumber(&self.data),
        }
    }
}

fn renumber<S: Space>(live: &[bool]) -> IndexMap<S> {
    let mut map = IndexMap::default();
    let mut next = 0u32;
    for (index, &alive) in live.iter().enumerate() {
        if alive {
            map.push(MergedIdx::new(next));
            next += 1;
        } else if map.is_identity() {
            map.push(MergedIdx::new(index as u32));
        } else {
            map.push(MergedIdx::new(u32::MAX));
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{Func, Idx};

    #[test]
    fn trailing_removals_keep_the_identity() {
        let map = renumber::<Func>(&[true, true, false, false]);
        assert!(map.is_identity());
        assert_eq!(map.get(Idx::new(1)), MergedIdx::new(1));
    }

    #[test]
    fn removals_in_the_middle_shift_later_items() {
        let map = renumber::<Func>(&[true, false, true]);
        assert!(!map.is_identity());
        assert_eq!(map.get(Idx::new(2)), MergedIdx::new(1));
    }
}
