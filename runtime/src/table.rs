//! Tables: a vector of machine words (function-reference pointers or
//! encoded externrefs, 0 for null) plus the [`VMTable`] compiled code reads.

use crate::values::ValType;
use crate::vm::VMTable;

/// The declared type of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableType {
    /// Element type.
    pub element: ValType,
    /// Initial size.
    pub minimum: u32,
    /// Maximum size, if declared.
    pub maximum: Option<u32>,
}

/// The runtime's upper bound on table sizes, so a `table.grow` by a huge
/// delta fails instead of exhausting memory (the spec lets growth fail).
const MAX_TABLE_ELEMENTS: u64 = 10_000_000;

/// A table.
#[derive(Debug)]
pub(crate) struct Table {
    /// What compiled code reads; boxed so its address is stable.
    pub vm: Box<VMTable>,
    elements: Vec<usize>,
    /// The declared type, with the current size as its minimum.
    pub ty: TableType,
}

impl Table {
    /// A table of `ty.minimum` copies of `init`.
    pub fn new(ty: TableType, init: usize) -> Table {
        let mut elements = vec![init; ty.minimum as usize];
        let vm = Box::new(VMTable {
            base: elements.as_mut_ptr(),
            length: elements.len() as u64,
        });
        Table { vm, elements, ty }
    }

    /// The elements.
    pub fn elements(&self) -> &[usize] {
        &self.elements
    }

    /// The elements, mutably.
    pub fn elements_mut(&mut self) -> &mut [usize] {
        &mut self.elements
    }

    /// Grows by `delta` elements of `init`; returns the old size, or `None`
    /// past the maximum.
    pub fn grow(&mut self, delta: u64, init: usize) -> Option<u32> {
        let old = self.elements.len() as u64;
        let new = old.checked_add(delta)?;
        let max = self
            .ty
            .maximum
            .map_or(MAX_TABLE_ELEMENTS, u64::from)
            .min(MAX_TABLE_ELEMENTS);
        if new > max {
            return None;
        }
        self.elements.resize(new as usize, init);
        self.vm.base = self.elements.as_mut_ptr();
        self.vm.length = new;
        self.ty.minimum = new as u32;
        Some(old as u32)
    }
}
