//! What the inliner needs to know about each instruction, derived from
//! `wasmparser::for_each_operator!`.
//!
//! Three questions are asked of every instruction the inliner reads, and
//! each is answered from the *names of its immediates* in wasmparser's
//! operator table rather than from a hand-kept list of opcodes:
//!
//! - Does it carry an index into a module-level space? Then its references
//!   are collected for dead-code removal (the scan's visitor asks this of
//!   each immediate through `module_index!`).
//! - Does it open a label (`block`, `loop`, `if`, `try_table`, legacy
//!   `try`)? The inliner tracks nesting to turn `return` into a branch of
//!   the right depth and to number labels for the name section.
//! - Does it name a local? Copied into a caller, it must name the caller's
//!   fresh local instead.
//!
//! An immediate this file has not classified stops the build, and an
//! instruction naming a local alongside other immediates does too: a new
//! Wasm proposal is looked at before the inliner copies its instructions.

use wasm_encoder::Instruction;
use wasmparser::Operator;

/// Whether an immediate, by its name in `for_each_operator!`, may name an
/// item of a space `$s` flags (a [`Spaces`]) as interesting. Value, heap and
/// block types count as type indices.
macro_rules! module_index {
    ($s:ident, type_index) => {
        $s.types
    };
    ($s:ident, struct_type_index) => {
        $s.types
    };
    ($s:ident, array_type_index) => {
        $s.types
    };
    ($s:ident, array_type_index_dst) => {
        $s.types
    };
    ($s:ident, array_type_index_src) => {
        $s.types
    };
    ($s:ident, cont_type_index) => {
        $s.types
    };
    ($s:ident, argument_index) => {
        $s.types
    };
    ($s:ident, result_index) => {
        $s.types
    };
    ($s:ident, blockty) => {
        $s.types
    };
    ($s:ident, ty) => {
        $s.types
    };
    ($s:ident, tys) => {
        $s.types
    };
    ($s:ident, hty) => {
        $s.types
    };
    ($s:ident, from_ref_type) => {
        $s.types
    };
    ($s:ident, to_ref_type) => {
        $s.types
    };
    ($s:ident, function_index) => {
        $s.funcs
    };
    ($s:ident, table) => {
        $s.tables
    };
    ($s:ident, table_index) => {
        $s.tables
    };
    ($s:ident, src_table) => {
        $s.tables
    };
    ($s:ident, dst_table) => {
        $s.tables
    };
    ($s:ident, mem) => {
        $s.memories
    };
    ($s:ident, src_mem) => {
        $s.memories
    };
    ($s:ident, dst_mem) => {
        $s.memories
    };
    ($s:ident, memarg) => {
        $s.memories
    };
    ($s:ident, global_index) => {
        $s.globals
    };
    ($s:ident, tag_index) => {
        $s.tags
    };
    ($s:ident, data_index) => {
        $s.data
    };
    ($s:ident, array_data_index) => {
        $s.data
    };
    ($s:ident, elem_index) => {
        $s.elems
    };
    ($s:ident, array_elem_index) => {
        $s.elems
    };
    // A try_table's block type and its catches' tags.
    ($s:ident, try_table) => {
        $s.types || $s.tags
    };
    // Stack-switching handler tables mix tags and labels.
    ($s:ident, resume_table) => {
        $s.tags
    };
    ($s:ident, handlers) => {
        $s.tags
    };
    ($s:ident, relative_depth) => {
        false
    };
    ($s:ident, targets) => {
        false
    };
    ($s:ident, local_index) => {
        false
    };
    ($s:ident, value) => {
        false
    };
    ($s:ident, lane) => {
        false
    };
    ($s:ident, lanes) => {
        false
    };
    ($s:ident, ordering) => {
        false
    };
    ($s:ident, field_index) => {
        false
    };
    ($s:ident, array_size) => {
        false
    };
    ($s:ident, $other:ident) => {
        compile_error!(concat!(
            "classify the operator immediate `",
            stringify!($other),
            "`"
        ))
    };
}

pub(crate) use module_index;

/// Which index spaces an instruction's references matter for: those
/// holding at least one removable item. Asking only about these keeps the
/// scan from decoding every load and store of a module whose memories all
/// belong to the app.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Spaces {
    /// Types.
    pub types: bool,
    /// Functions.
    pub funcs: bool,
    /// Tables.
    pub tables: bool,
    /// Memories.
    pub memories: bool,
    /// Globals.
    pub globals: bool,
    /// Tags.
    pub tags: bool,
    /// Element segments.
    pub elems: bool,
    /// Data segments.
    pub data: bool,
}

/// Whether an immediate makes its instruction open a label.
macro_rules! label_immediate {
    (blockty) => {
        true
    };
    (try_table) => {
        true
    };
    ($other:ident) => {
        false
    };
}

pub(crate) use label_immediate;

/// Builds the remapped instruction for an operator whose only immediate is
/// a local index; refuses to build for any other use of `local_index`.
macro_rules! local_arm {
    ($map:ident, $op:ident, [local_index], [$index:ident]) => {
        Some(Instruction::$op($map(*$index)))
    };
    ($map:ident, $op:ident, [$($name:ident)*], [$($binding:ident)*]) => {{
        $(local_arm!(@not_local $name);)*
        None
    }};
    (@not_local local_index) => {
        compile_error!("an instruction names a local next to other immediates: teach the inliner to remap it")
    };
    (@not_local $other:ident) => {};
}

macro_rules! define_classifiers {
    ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
        /// Whether `op` opens a label (and is closed by an `end`).
        pub fn opens_label(op: &Operator<'_>) -> bool {
            match op {
                $(
                    Operator::$op { .. } => false $($(|| label_immediate!($arg))*)?,
                )*
                _ => false,
            }
        }

        /// The instruction `op` becomes when the local it names is
        /// renumbered by `map`; `None` when it names no local.
        pub fn remap_local(
            op: &Operator<'_>,
            map: &dyn Fn(u32) -> u32,
        ) -> Option<Instruction<'static>> {
            match op {
                $(
                    Operator::$op $({ $($arg),* })? => {
                        $($(let _ = $arg;)*)?
                        local_arm!(map, $op, [$($($arg)*)?], [$($($arg)*)?])
                    }
                )*
                _ => None,
            }
        }
    };
}

wasmparser::for_each_operator!(define_classifiers);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_immediates() {
        assert!(opens_label(&Operator::Loop {
            blockty: wasmparser::BlockType::Empty
        }));
        assert!(!opens_label(&Operator::Br { relative_depth: 0 }));
        let remapped = remap_local(&Operator::LocalTee { local_index: 2 }, &|i| i + 10);
        assert!(matches!(remapped, Some(Instruction::LocalTee(12))));
        assert!(remap_local(&Operator::I32Add, &|i| i).is_none());
    }
}
