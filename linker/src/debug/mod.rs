//! Debug information through linking: DWARF and source maps rewritten for
//! the output's code offsets instead of dropped.
//!
//! The phases that move code record where each output byte came from
//! ([`map`]); the DWARF of every input and the app's source map are then
//! rewritten against the composed map.

pub(crate) mod dwarf;
pub mod map;
pub(crate) mod sourcemap;

use std::ops::Range;

/// One input's debug information, as the rewriters read it.
#[derive(Debug)]
pub struct DebugInput<'a> {
    /// The input's name, for messages (`app`, `builtin `host-buf``).
    pub name: String,
    /// Its `.debug_*` custom sections, by name, in file order.
    pub sections: Vec<(&'a str, &'a [u8])>,
    /// Its function bodies (after each size), as ranges of its Code
    /// section contents, in order.
    pub bodies: Vec<Range<u32>>,
}
