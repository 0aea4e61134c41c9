//! Rewriting function bodies and constant expressions into the merged
//! numbering.
//!
//! Most instructions carry no index (arithmetic, locals, loads through an
//! unchanged memory), and re-encoding them would only burn time. Each body is
//! therefore scanned once: an instruction whose immediates include an index
//! of a space that moved is decoded and re-encoded through
//! `wasm_encoder::reencode` with this module's maps; every other instruction
//! is copied byte for byte, in runs. Whether an instruction carries an index
//! is decided from its immediates' names in `wasmparser::for_each_operator!`,
//! so a new instruction is classified at compile time or fails to build —
//! there is no list of opcodes to keep up to date.

use crate::index::{Idx, ModuleMaps};
use std::convert::Infallible;
use wasm_encoder::reencode::{Error as ReencodeError, Reencode};
use wasm_encoder::Encode;
use wasmparser::{
    BinaryReader, ConstExpr, FunctionBody, Operator, OperatorsReader, VisitOperator,
    VisitSimdOperator,
};

/// Why a body could not be rewritten. Inputs are validated first, so any
/// such failure is a linker bug; the message is for the bug report.
pub type RewriteError = String;

/// Maps one input module's indices into the merged module while re-encoding.
pub struct Rewriter<'a> {
    maps: &'a ModuleMaps,
}

impl<'a> Rewriter<'a> {
    /// A rewriter for the module whose maps are `maps`.
    pub fn new(maps: &'a ModuleMaps) -> Self {
        Rewriter { maps }
    }
}

/// The boundary of the typed index spaces: wasm-encoder's reencoder hands
/// each immediate over as a raw index of the input and takes the merged one
/// back raw.
impl Reencode for Rewriter<'_> {
    type Error = Infallible;

    fn type_index(&mut self, ty: u32) -> Result<u32, ReencodeError<Infallible>> {
        Ok(self.maps.types.get(Idx::new(ty)).raw())
    }
    fn function_index(&mut self, func: u32) -> Result<u32, ReencodeError<Infallible>> {
        Ok(self.maps.funcs.get(Idx::new(func)).raw())
    }
    fn table_index(&mut self, table: u32) -> Result<u32, ReencodeError<Infallible>> {
        Ok(self.maps.tables.get(Idx::new(table)).raw())
    }
    fn memory_index(&mut self, memory: u32) -> Result<u32, ReencodeError<Infallible>> {
        Ok(self.maps.memories.get(Idx::new(memory)).raw())
    }
    fn global_index(&mut self, global: u32) -> Result<u32, ReencodeError<Infallible>> {
        Ok(self.maps.globals.get(Idx::new(global)).raw())
    }
    fn tag_index(&mut self, tag: u32) -> Result<u32, ReencodeError<Infallible>> {
        Ok(self.maps.tags.get(Idx::new(tag)).raw())
    }
    fn data_index(&mut self, data: u32) -> Result<u32, ReencodeError<Infallible>> {
        Ok(self.maps.data.get(Idx::new(data)).raw())
    }
    fn element_index(&mut self, element: u32) -> Result<u32, ReencodeError<Infallible>> {
        Ok(self.maps.elems.get(Idx::new(element)).raw())
    }
}

/// Which index spaces of a module kept their numbering.
#[derive(Debug, Clone, Copy)]
pub struct Unchanged {
    types: bool,
    funcs: bool,
    tables: bool,
    memories: bool,
    globals: bool,
    tags: bool,
    elems: bool,
    data: bool,
}

impl Unchanged {
    /// Reads identity flags off a module's maps.
    pub fn of(maps: &ModuleMaps) -> Self {
        Unchanged {
            types: maps.types.is_identity(),
            funcs: maps.funcs.is_identity(),
            tables: maps.tables.is_identity(),
            memories: maps.memories.is_identity(),
            globals: maps.globals.is_identity(),
            tags: maps.tags.is_identity(),
            elems: maps.elems.is_identity(),
            data: maps.data.is_identity(),
        }
    }

    /// Whether no index a body can contain has moved.
    pub fn everything(&self) -> bool {
        self.types
            && self.funcs
            && self.tables
            && self.memories
            && self.globals
            && self.tags
            && self.elems
            && self.data
    }
}

/// Whether one immediate, identified by its name in
/// `wasmparser::for_each_operator!`, refers to a space that moved.
macro_rules! immediate_moved {
    ($u:ident, type_index) => {
        !$u.types
    };
    ($u:ident, struct_type_index) => {
        !$u.types
    };
    ($u:ident, array_type_index) => {
        !$u.types
    };
    ($u:ident, array_type_index_dst) => {
        !$u.types
    };
    ($u:ident, array_type_index_src) => {
        !$u.types
    };
    ($u:ident, cont_type_index) => {
        !$u.types
    };
    ($u:ident, blockty) => {
        !$u.types
    };
    ($u:ident, ty) => {
        !$u.types
    };
    ($u:ident, tys) => {
        !$u.types
    };
    ($u:ident, hty) => {
        !$u.types
    };
    ($u:ident, from_ref_type) => {
        !$u.types
    };
    ($u:ident, to_ref_type) => {
        !$u.types
    };
    ($u:ident, function_index) => {
        !$u.funcs
    };
    ($u:ident, table) => {
        !$u.tables
    };
    ($u:ident, table_index) => {
        !$u.tables
    };
    ($u:ident, src_table) => {
        !$u.tables
    };
    ($u:ident, dst_table) => {
        !$u.tables
    };
    ($u:ident, mem) => {
        !$u.memories
    };
    ($u:ident, src_mem) => {
        !$u.memories
    };
    ($u:ident, dst_mem) => {
        !$u.memories
    };
    ($u:ident, memarg) => {
        !$u.memories
    };
    ($u:ident, global_index) => {
        !$u.globals
    };
    ($u:ident, tag_index) => {
        !$u.tags
    };
    ($u:ident, try_table) => {
        !$u.tags || !$u.types
    };
    ($u:ident, data_index) => {
        !$u.data
    };
    ($u:ident, array_data_index) => {
        !$u.data
    };
    ($u:ident, elem_index) => {
        !$u.elems
    };
    ($u:ident, array_elem_index) => {
        !$u.elems
    };
    // Stack-switching handler tables mix tags and labels; always re-encode.
    ($u:ident, resume_table) => {
        true
    };
    ($u:ident, handlers) => {
        true
    };
    // Immediates that are not indices into module-level spaces.
    ($u:ident, relative_depth) => {
        false
    };
    ($u:ident, targets) => {
        false
    };
    ($u:ident, local_index) => {
        false
    };
    ($u:ident, value) => {
        false
    };
    ($u:ident, lane) => {
        false
    };
    ($u:ident, lanes) => {
        false
    };
    ($u:ident, ordering) => {
        false
    };
    ($u:ident, field_index) => {
        false
    };
    ($u:ident, array_size) => {
        false
    };
    ($u:ident, argument_index) => {
        false
    };
    ($u:ident, result_index) => {
        false
    };
    ($u:ident, $other:ident) => {
        compile_error!(concat!(
            "classify the operator immediate `",
            stringify!($other),
            "`"
        ))
    };
}

/// Decodes instructions without building an [`Operator`]: each visit method
/// only checks whether one of its immediates names a space that moved. A
/// `bool` is cheap to return; the few instructions that moved are decoded a
/// second time, into an `Operator`, to be re-encoded.
struct Classifier {
    unchanged: Unchanged,
}

macro_rules! define_classifier {
    ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
        $(
            fn $visit(&mut self $($(, $arg: $argty)*)?) -> Self::Output {
                let unchanged = &self.unchanged;
                let _ = unchanged;
                $($(let _ = &$arg;)*)?
                false $($(|| immediate_moved!(unchanged, $arg))*)?
            }
        )*
    };
}

impl<'a> VisitOperator<'a> for Classifier {
    type Output = bool;

    fn simd_visitor(&mut self) -> Option<&mut dyn VisitSimdOperator<'a, Output = Self::Output>> {
        Some(self)
    }

    wasmparser::for_each_visit_operator!(define_classifier);
}

impl<'a> VisitSimdOperator<'a> for Classifier {
    wasmparser::for_each_visit_simd_operator!(define_classifier);
}

/// Appends the body (locals and instructions, without the size prefix) of
/// `body`, rewritten into the merged numbering, to `out`.
///
/// With `drifts`, also records where the copy drifts from the original:
/// each place, as (offset in the copy, offset in the original) from the
/// body's start, where the distance between the two changes because the
/// locals or an instruction came out longer or shorter. That is the whole
/// map from the copy back to the original, got while writing it, so that
/// debug information need not decode the body again.
pub fn rewrite_body(
    body: &FunctionBody<'_>,
    maps: &ModuleMaps,
    unchanged: &Unchanged,
    out: &mut Vec<u8>,
    mut drifts: Option<&mut Vec<(u32, u32)>>,
) -> Result<(), RewriteError> {
    let bytes = body.as_bytes();
    let base = body.range().start as usize;
    let out_base = out.len();
    if unchanged.everything() {
        out.extend_from_slice(bytes);
        return Ok(());
    }
    // The copy's offset less the original's, from the body's start.
    let mut shift = 0i64;
    let mut drift = |to: usize, from: usize| {
        let Some(drifts) = drifts.as_deref_mut() else {
            return;
        };
        let now = to as i64 - from as i64;
        if now != shift {
            drifts.push((to as u32, from as u32));
            shift = now;
        }
    };
    let mut rewriter = Rewriter::new(maps);
    let mut ops = body.get_operators_reader().map_err(|e| e.to_string())?;
    let ops_start = ops.original_position() as usize;
    if unchanged.types {
        out.extend_from_slice(&bytes[..ops_start - base]);
    } else {
        let mut locals = body.get_locals_reader().map_err(|e| e.to_string())?;
        let count = locals.get_count();
        count.encode(out);
        for _ in 0..count {
            let (n, ty) = locals.read().map_err(|e| e.to_string())?;
            n.encode(out);
            rewriter.val_type(ty).map_err(internal)?.encode(out);
        }
    }
    drift(out.len() - out_base, ops_start - base);
    let mut run_start = ops_start;
    let mut classifier = Classifier {
        unchanged: *unchanged,
    };
    while !ops.eof() {
        let position = ops.original_position() as usize;
        let moved = ops
            .visit_operator(&mut classifier)
            .map_err(|e| e.to_string())?;
        if moved {
            let op = OperatorsReader::new(BinaryReader::new(
                &bytes[position - base..],
                position as u64,
            ))
            .read()
            .map_err(|e| e.to_string())?;
            out.extend_from_slice(&bytes[run_start - base..position - base]);
            rewriter.instruction(op).map_err(internal)?.encode(out);
            run_start = ops.original_position() as usize;
            drift(out.len() - out_base, run_start - base);
        }
    }
    out.extend_from_slice(&bytes[run_start - base..]);
    Ok(())
}

/// Appends the instructions of `expr`, without its final `end`, rewritten
/// into the merged numbering: a constant expression evaluated as ordinary
/// code, as the synthesized start function does with segment offsets.
pub fn inline_const_expr(
    expr: &ConstExpr<'_>,
    maps: &ModuleMaps,
    out: &mut Vec<u8>,
) -> Result<(), RewriteError> {
    let mut rewriter = Rewriter::new(maps);
    let mut ops = expr.get_operators_reader();
    loop {
        let op = ops.read().map_err(|e| e.to_string())?;
        if matches!(op, Operator::End) && ops.eof() {
            return Ok(());
        }
        rewriter.instruction(op).map_err(internal)?.encode(out);
    }
}

/// Converts a re-encoding failure into a rewrite error.
pub fn internal(error: ReencodeError<Infallible>) -> RewriteError {
    error.to_string()
}
