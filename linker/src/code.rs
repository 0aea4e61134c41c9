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
    let keep_widths = drifts.is_some();
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
            let at = out.len();
            rewriter.instruction(op).map_err(internal)?.encode(out);
            run_start = ops.original_position() as usize;
            if keep_widths {
                keep_width(&bytes[position - base..run_start - base], out, at);
            }
            drift(out.len() - out_base, run_start - base);
        }
    }
    out.extend_from_slice(&bytes[run_start - base..]);
    Ok(())
}

/// Writes the instruction at `out[at..]` again, as long as `original`,
/// the one it was re-encoded from, when its index immediates fit the
/// widths the original's took: LLVM writes every call's function index as
/// a padded 5-byte LEB128 (a relocation), and a body whose instructions
/// all keep their lengths moves as one piece, so that its line rows move
/// by one shift rather than being decoded and written anew. Only the
/// instructions whose immediates are all indices are widened; any other
/// stays as written.
fn keep_width(original: &[u8], out: &mut Vec<u8>, at: usize) {
    let written = &out[at..];
    if written.len() >= original.len() || written.first() != original.first() {
        return;
    }
    let immediates = match original[0] {
        // call, return_call, global.get, global.set, ref.func
        0x10 | 0x12 | 0x23 | 0x24 | 0xd2 => 1,
        // call_indirect, return_call_indirect: type and table
        0x11 | 0x13 => 2,
        _ => return,
    };
    let mut from = BinaryReader::new(&original[1..], 0);
    let mut to = BinaryReader::new(&written[1..], 0);
    let mut widened = [0u8; 10];
    let mut len = 0;
    for _ in 0..immediates {
        let start = from.current_position();
        let (Ok(value), Ok(_)) = (to.read_var_u32(), from.read_var_u32()) else {
            return;
        };
        let width = from.current_position() - start;
        if crate::leb128::unsigned_len(u64::from(value)) > width {
            return;
        }
        crate::leb128::padded(&mut widened[len..len + width], value);
        len += width;
    }
    if !to.eof() || !from.eof() {
        return;
    }
    out.truncate(at + 1);
    out.extend_from_slice(&widened[..len]);
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

#[cfg(test)]
mod tests {
    use super::keep_width;

    /// `written` (an instruction as the encoder wrote it) after
    /// [`keep_width`] with `original`.
    fn kept(original: &[u8], written: &[u8]) -> Vec<u8> {
        let mut out = vec![0xaa, 0xbb];
        out.extend_from_slice(written);
        keep_width(original, &mut out, 2);
        assert_eq!(out[..2], [0xaa, 0xbb], "what came before is kept");
        out.split_off(2)
    }

    #[test]
    fn moved_indices_keep_the_width_they_had() {
        // call 5 as LLVM writes a relocated index, moved to 3.
        assert_eq!(
            kept(&[0x10, 0x85, 0x80, 0x80, 0x80, 0x00], &[0x10, 0x03]),
            [0x10, 0x83, 0x80, 0x80, 0x80, 0x00]
        );
        // global.get 200 in two of five bytes, moved to 1.
        assert_eq!(
            kept(&[0x23, 0xc8, 0x81, 0x80, 0x80, 0x00], &[0x23, 0x01]),
            [0x23, 0x81, 0x80, 0x80, 0x80, 0x00]
        );
        // ref.func and return_call, padded to three bytes.
        assert_eq!(
            kept(&[0xd2, 0x80, 0x80, 0x00], &[0xd2, 0x7f]),
            [0xd2, 0xff, 0x80, 0x00]
        );
        assert_eq!(
            kept(&[0x12, 0x90, 0x80, 0x00], &[0x12, 0x10]),
            [0x12, 0x90, 0x80, 0x00]
        );
        // call_indirect: the type index and the table index each keep
        // their own width.
        assert_eq!(
            kept(
                &[0x11, 0x81, 0x80, 0x80, 0x80, 0x00, 0x00],
                &[0x11, 0x02, 0x00]
            ),
            [0x11, 0x82, 0x80, 0x80, 0x80, 0x00, 0x00]
        );
        assert_eq!(
            kept(&[0x13, 0x01, 0x81, 0x00], &[0x13, 0x02, 0x00]),
            [0x13, 0x02, 0x80, 0x00]
        );
    }

    #[test]
    fn an_index_that_does_not_fit_or_another_instruction_is_left_as_written() {
        // Grown past the original's width: as written.
        assert_eq!(kept(&[0x10, 0x05], &[0x10, 0xc8, 0x01]), [0x10, 0xc8, 0x01]);
        // One immediate would fit, the other would not.
        assert_eq!(
            kept(&[0x11, 0x81, 0x80, 0x00, 0x00], &[0x11, 0x01, 0x81, 0x01]),
            [0x11, 0x01, 0x81, 0x01]
        );
        // Already as long.
        assert_eq!(kept(&[0x10, 0x05], &[0x10, 0x03]), [0x10, 0x03]);
        // Not an instruction of index immediates alone (a memory index
        // beside an offset, say), or another opcode than the original's.
        let load = [0x28, 0x42, 0x81, 0x80, 0x00, 0x00];
        assert_eq!(
            kept(&load, &[0x28, 0x42, 0x01, 0x00]),
            [0x28, 0x42, 0x01, 0x00]
        );
        assert_eq!(kept(&[0x10, 0x85, 0x80, 0x00], &[0x12, 0x03]), [0x12, 0x03]);
    }
}
