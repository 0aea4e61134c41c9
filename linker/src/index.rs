//! Typed index spaces, so an index of one module never leaks into another.
//!
//! Every input module has its own numbering of types, functions, tables,
//! memories, globals, tags, element and data segments; the merged module has
//! another. A bare `u32` carries no record of which numbering it belongs to,
//! which is how linkers end up calling the wrong function. Here each space is
//! a type parameter: an [`IndexMap<Func>`] translates one module's function
//! indices into merged ones and cannot be applied to a global index.
//!
//! The indices are typed too: an [`Idx<S>`] is an index of space `S` in
//! the numbering a map reads (an input module's), a [`MergedIdx<S>`] one in
//! the numbering it writes (the merged module's; after inlining, the final
//! module's). `maps.funcs.get(global)` and `maps.funcs.get(merged_func)` do
//! not compile, and neither does pushing an input index as a merged one.
//! Within one numbering, a [`DefinedIdx<S>`] counts only the defined items
//! of a space that can be imported, where an [`Idx<S>`] counts the imports
//! first; the two convert only through `ImportCounts`. Raw `u32`s remain
//! where wasmparser hands indices in and wasm-encoder takes them out.
//!
//! All maps are built before any byte is emitted (the plan), and emission only
//! reads them.

use std::marker::PhantomData;

/// An index space of a core module.
pub trait Space {
    /// The space's name in messages (`func`, `global`, ...).
    const NAME: &'static str;
}

macro_rules! spaces {
    ($($ty:ident = $name:literal,)*) => {$(
        #[doc = concat!("The `", $name, "` index space.")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $ty {}
        impl Space for $ty {
            const NAME: &'static str = $name;
        }
    )*};
}

spaces! {
    Type = "type",
    Func = "func",
    Table = "table",
    Memory = "memory",
    Global = "global",
    Tag = "tag",
    Elem = "elem",
    Data = "data",
}

macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub struct $name<S: Space>(u32, PhantomData<fn() -> S>);

        impl<S: Space> $name<S> {
            /// The index whose number is `index`, as read from (or about to
            /// be written to) a binary.
            pub const fn new(index: u32) -> Self {
                $name(index, PhantomData)
            }

            /// The index's number, for a binary encoder or a position in a
            /// per-index table.
            pub const fn raw(self) -> u32 {
                self.0
            }
        }

        // Written out rather than derived: a derive would require the
        // marker type `S` to implement each trait as well.
        impl<S: Space> Clone for $name<S> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<S: Space> Copy for $name<S> {}
        impl<S: Space> PartialEq for $name<S> {
            fn eq(&self, other: &Self) -> bool {
                self.0 == other.0
            }
        }
        impl<S: Space> Eq for $name<S> {}
        impl<S: Space> PartialOrd for $name<S> {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }
        impl<S: Space> Ord for $name<S> {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.0.cmp(&other.0)
            }
        }
        impl<S: Space> std::hash::Hash for $name<S> {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.0.hash(state)
            }
        }
        impl<S: Space> std::fmt::Debug for $name<S> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{} {}", S::NAME, self.0)
            }
        }
    };
}

index_type! {
    /// An index of space `S` in the numbering an [`IndexMap`] translates
    /// from: an input module's (or, after inlining, the merged module's).
    /// For functions this is the absolute index, imports first.
    Idx
}

index_type! {
    /// An index of space `S` in the numbering an [`IndexMap`] translates
    /// to: the merged module's (or, after inlining, the final module's).
    MergedIdx
}

/// A function index counting imports first: what `call`, `ref.func`,
/// exports and element segments name.
pub type FuncIdx = Idx<Func>;

index_type! {
    /// An item's position among the *defined* items of space `S` (imports
    /// excluded): what indexes the function, table, memory, global and tag
    /// sections, and everything kept per body. Told apart from [`Idx`],
    /// which counts the imports first, so that the offset between the two
    /// is added or subtracted in one place (`ImportCounts::absolute` and
    /// `ImportCounts::defined`), never forgotten or applied twice.
    DefinedIdx
}

impl<S: Space> DefinedIdx<S> {
    /// The position, for indexing a per-definition table.
    pub const fn index(self) -> usize {
        self.raw() as usize
    }
}

/// A function's position among the defined functions.
pub type DefinedFuncIdx = DefinedIdx<Func>;

/// Translates the indices of one input module's space `S` to the merged module's.
#[derive(Debug, Clone)]
pub struct IndexMap<S: Space> {
    to_merged: Vec<MergedIdx<S>>,
    identity: bool,
    _space: PhantomData<S>,
}

impl<S: Space> Default for IndexMap<S> {
    fn default() -> Self {
        IndexMap {
            to_merged: Vec::new(),
            identity: true,
            _space: PhantomData,
        }
    }
}

impl<S: Space> IndexMap<S> {
    /// Records where the next input index goes in the merged module.
    pub fn push(&mut self, merged: MergedIdx<S>) {
        if merged.raw() as usize != self.to_merged.len() {
            self.identity = false;
        }
        self.to_merged.push(merged);
    }

    /// The merged index of input index `index`.
    ///
    /// Inputs are validated before planning, so every index they contain is
    /// in range; an out-of-range index is a linker bug and panics loudly.
    pub fn get(&self, index: Idx<S>) -> MergedIdx<S> {
        match self.to_merged.get(index.raw() as usize) {
            Some(merged) => *merged,
            None => panic!(
                "{index:?} out of range ({} entries): inputs are validated, so this is a linker bug",
                self.to_merged.len()
            ),
        }
    }

    /// Whether every index maps to itself, so bytes carrying it can be copied.
    pub fn is_identity(&self) -> bool {
        self.identity
    }

    /// Number of input indices mapped.
    pub fn len(&self) -> usize {
        self.to_merged.len()
    }
}

/// The complete translation of one input module into the merged numbering.
#[derive(Debug, Clone, Default)]
pub struct ModuleMaps {
    /// Types.
    pub types: IndexMap<Type>,
    /// Functions, imported ones first.
    pub funcs: IndexMap<Func>,
    /// Tables, imported ones first.
    pub tables: IndexMap<Table>,
    /// Memories, imported ones first.
    pub memories: IndexMap<Memory>,
    /// Globals, imported ones first.
    pub globals: IndexMap<Global>,
    /// Tags, imported ones first.
    pub tags: IndexMap<Tag>,
    /// Element segments.
    pub elems: IndexMap<Elem>,
    /// Data segments.
    pub data: IndexMap<Data>,
}

impl ModuleMaps {
    /// Where an export of the input (`kind`, input `index`) points in the
    /// merged module.
    pub fn export(
        &self,
        kind: wasmparser::ExternalKind,
        index: u32,
    ) -> (wasm_encoder::ExportKind, u32) {
        use wasm_encoder::ExportKind;
        use wasmparser::ExternalKind;
        match kind {
            ExternalKind::Func | ExternalKind::FuncExact => {
                (ExportKind::Func, self.funcs.get(Idx::new(index)).raw())
            }
            ExternalKind::Table => (ExportKind::Table, self.tables.get(Idx::new(index)).raw()),
            ExternalKind::Memory => (ExportKind::Memory, self.memories.get(Idx::new(index)).raw()),
            ExternalKind::Global => (ExportKind::Global, self.globals.get(Idx::new(index)).raw()),
            ExternalKind::Tag => (ExportKind::Tag, self.tags.get(Idx::new(index)).raw()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_is_tracked() {
        let mut map = IndexMap::<Func>::default();
        map.push(MergedIdx::new(0));
        map.push(MergedIdx::new(1));
        assert!(map.is_identity());
        map.push(MergedIdx::new(7));
        assert!(!map.is_identity());
        assert_eq!(map.get(Idx::new(2)), MergedIdx::new(7));
    }
}
