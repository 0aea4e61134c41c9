//! Typed index spaces, so an index of one module never leaks into another.
//!
//! Every input module has its own numbering of types, functions, tables,
//! memories, globals, tags, element and data segments; the merged module has
//! another. A bare `u32` carries no record of which numbering it belongs to,
//! which is how linkers end up calling the wrong function. Here each space is
//! a type parameter: an [`IndexMap<Func>`] translates one module's function
//! indices into merged ones and cannot be applied to a global index.
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

/// Translates the indices of one input module's space `S` to the merged module's.
#[derive(Debug, Clone)]
pub struct IndexMap<S: Space> {
    to_merged: Vec<u32>,
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
    pub fn push(&mut self, merged: u32) {
        if merged as usize != self.to_merged.len() {
            self.identity = false;
        }
        self.to_merged.push(merged);
    }

    /// The merged index of input index `index`.
    ///
    /// Inputs are validated before planning, so every index they contain is
    /// in range; an out-of-range index is a linker bug and panics loudly.
    pub fn get(&self, index: u32) -> u32 {
        match self.to_merged.get(index as usize) {
            Some(merged) => *merged,
            None => panic!(
                "{} index {index} out of range ({} entries): inputs are validated, so this is a linker bug",
                S::NAME,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_is_tracked() {
        let mut map = IndexMap::<Func>::default();
        map.push(0);
        map.push(1);
        assert!(map.is_identity());
        map.push(7);
        assert!(!map.is_identity());
        assert_eq!(map.get(2), 7);
    }
}
