//! What the inliner needs to know about each instruction, derived from
//! `wasmparser::for_each_operator!`.
//!
//! Three questions are asked of every instruction the inliner reads, and
//! each is answered from the *names of its immediates* in wasmparser's
//! operator table rather than from a hand-kept list of opcodes:
//!
//! - Does it carry an index into a module-level space? Then its references
//!   are collected for dead-code removal.
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

/// Whether an immediate, by its name in `for_each_operator!`, is an index
/// into a module-level space (types included, through value, heap and
/// block types).
macro_rules! module_index {
    (type_index) => {
        true
    };
    (struct_type_index) => {
        true
    };
    (array_type_index) => {
        true
    };
    (array_type_index_dst) => {
        true
    };
    (array_type_index_src) => {
        true
    };
    (cont_type_index) => {
        true
    };
    (argument_index) => {
        true
    };
    (result_index) => {
        true
    };
    (blockty) => {
        true
    };
    (ty) => {
        true
    };
    (tys) => {
        true
    };
    (hty) => {
        true
    };
    (from_ref_type) => {
        true
    };
    (to_ref_type) => {
        true
    };
    (function_index) => {
        true
    };
    (table) => {
        true
    };
    (table_index) => {
        true
    };
    (src_table) => {
        true
    };
    (dst_table) => {
        true
    };
    (mem) => {
        true
    };
    (src_mem) => {
        true
    };
    (dst_mem) => {
        true
    };
    (memarg) => {
        true
    };
    (global_index) => {
        true
    };
    (tag_index) => {
        true
    };
    (try_table) => {
        true
    };
    (data_index) => {
        true
    };
    (array_data_index) => {
        true
    };
    (elem_index) => {
        true
    };
    (array_elem_index) => {
        true
    };
    (resume_table) => {
        true
    };
    (handlers) => {
        true
    };
    (relative_depth) => {
        false
    };
    (targets) => {
        false
    };
    (local_index) => {
        false
    };
    (value) => {
        false
    };
    (lane) => {
        false
    };
    (lanes) => {
        false
    };
    (ordering) => {
        false
    };
    (field_index) => {
        false
    };
    (array_size) => {
        false
    };
    ($other:ident) => {
        compile_error!(concat!(
            "classify the operator immediate `",
            stringify!($other),
            "`"
        ))
    };
}

/// Whether an immediate makes its instruction open a label.
macro_rules! opens_label {
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
        /// Whether `op` carries an index into a module-level space.
        pub fn carries_index(op: &Operator<'_>) -> bool {
            match op {
                $(
                    Operator::$op { .. } => false $($(|| module_index!($arg))*)?,
                )*
                // Every operator is listed above; wasmparser's enum is
                // merely marked non-exhaustive.
                _ => true,
            }
        }

        /// Whether `op` opens a label (and is closed by an `end`).
        pub fn opens_label(op: &Operator<'_>) -> bool {
            match op {
                $(
                    Operator::$op { .. } => false $($(|| opens_label!($arg))*)?,
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
        assert!(carries_index(&Operator::Call { function_index: 3 }));
        assert!(!carries_index(&Operator::I32Add));
        assert!(!carries_index(&Operator::LocalGet { local_index: 1 }));
        assert!(opens_label(&Operator::Loop {
            blockty: wasmparser::BlockType::Empty
        }));
        assert!(!opens_label(&Operator::Br { relative_depth: 0 }));
        let remapped = remap_local(&Operator::LocalTee { local_index: 2 }, &|i| i + 10);
        assert!(matches!(remapped, Some(Instruction::LocalTee(12))));
        assert!(remap_local(&Operator::I32Add, &|i| i).is_none());
    }
}
