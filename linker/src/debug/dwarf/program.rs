//! A DWARF 2–4 line program written from bytes: the input header's
//! directory and file tables kept as they are, the rows generated anew.
//!
//! When a unit's `.debug_info` bytes are kept ([`super::fast`]), its DIEs
//! still name files by their index in the unit's line program header
//! (`DW_AT_decl_file`, `DW_AT_call_file`), so the output program must keep
//! every file at its index. gimli's writer merges equal entries, which
//! would move them; copying the tables and appending what inlined code
//! needs keeps every index. (LEB128 is written by [`crate::leb128`].)

use std::collections::HashMap;

use gimli::constants;

use super::bytes::Bytes;
use super::lines::{usable, Copied, FileKey, Place, Program, ENCODING};
use crate::leb128;

/// Line program opcodes as bytes, for this writer and for the reader of
/// [`super::rows`] to match on.
pub(super) const DW_LNS_COPY: u8 = constants::DW_LNS_copy.0;
pub(super) const DW_LNS_ADVANCE_PC: u8 = constants::DW_LNS_advance_pc.0;
pub(super) const DW_LNS_ADVANCE_LINE: u8 = constants::DW_LNS_advance_line.0;
pub(super) const DW_LNS_SET_FILE: u8 = constants::DW_LNS_set_file.0;
pub(super) const DW_LNS_SET_COLUMN: u8 = constants::DW_LNS_set_column.0;
pub(super) const DW_LNS_NEGATE_STMT: u8 = constants::DW_LNS_negate_stmt.0;
pub(super) const DW_LNS_SET_BASIC_BLOCK: u8 = constants::DW_LNS_set_basic_block.0;
pub(super) const DW_LNS_CONST_ADD_PC: u8 = constants::DW_LNS_const_add_pc.0;
pub(super) const DW_LNS_FIXED_ADVANCE_PC: u8 = constants::DW_LNS_fixed_advance_pc.0;
pub(super) const DW_LNS_SET_PROLOGUE_END: u8 = constants::DW_LNS_set_prologue_end.0;
pub(super) const DW_LNS_SET_EPILOGUE_BEGIN: u8 = constants::DW_LNS_set_epilogue_begin.0;
pub(super) const DW_LNS_SET_ISA: u8 = constants::DW_LNS_set_isa.0;
pub(super) const DW_LNE_END_SEQUENCE: u8 = constants::DW_LNE_end_sequence.0;
pub(super) const DW_LNE_SET_ADDRESS: u8 = constants::DW_LNE_set_address.0;
pub(super) const DW_LNE_SET_DISCRIMINATOR: u8 = constants::DW_LNE_set_discriminator.0;
/// The first special opcode: the twelve standard opcodes of DWARF 3 and 4
/// come before it.
pub(super) const OPCODE_BASE: u8 = 13;
/// How many operands each standard opcode takes.
pub(super) const STANDARD_OPCODE_LENGTHS: [u8; 12] = [0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1];

/// The state a program's rows are encoded against.
#[derive(Clone, Copy)]
struct State {
    /// Bytes from the sequence's start.
    offset: u64,
    file: u64,
    line: u64,
    column: u64,
    is_stmt: bool,
}

impl State {
    const START: State = State {
        offset: 0,
        file: 1,
        line: 1,
        column: 0,
        is_stmt: ENCODING.default_is_stmt,
    };
}

/// One unit's output line program, being written.
pub(super) struct RawProgram {
    version: u16,
    /// The unit's compilation directory: directory 0.
    comp_dir: Vec<u8>,
    /// The include directories, as the header lists them (no terminator).
    directories: Vec<u8>,
    /// Index of each directory by its path; directory 0 is the
    /// compilation directory.
    directory_index: HashMap<Vec<u8>, u64>,
    directory_count: u64,
    /// The file entries, as the header lists them (no terminator).
    files: Vec<u8>,
    /// Index of each file by directory path and name, the first entry of
    /// each kept.
    file_index: HashMap<(Vec<u8>, Vec<u8>), u64>,
    file_count: u64,
    /// Whether the two indices are built: only once a file is looked up
    /// ([`RawProgram::index`]), which the program of a unit whose every
    /// sequence is copied never does.
    indexed: bool,
    /// The row program being written.
    ops: Vec<u8>,
    state: State,
    /// The output address of the open sequence.
    sequence: u64,
}

impl RawProgram {
    /// The header of the program at `offset` in `debug_line`, for a unit
    /// whose compilation directory is `comp_dir`; `None` for a header this
    /// writer does not keep (DWARF 5, 64-bit DWARF, or one that does not
    /// parse).
    pub(super) fn new(debug_line: &[u8], offset: u64, comp_dir: &[u8]) -> Option<RawProgram> {
        let mut header = Bytes::at(debug_line, usize::try_from(offset).ok()?)?;
        let length = header.u32()?;
        if length >= 0xffff_fff0 {
            return None;
        }
        let version = header.u16()?;
        if !(2..=4).contains(&version) {
            return None;
        }
        let header_length = header.u32()? as usize;
        // The output's rows take about the input's opcodes' bytes: room
        // for those and a little more, so that the buffer is not copied at
        // every doubling. Bounded by the section, whatever the length says.
        let opcodes = (length as usize)
            .saturating_sub(6 + header_length)
            .min(debug_line.len());
        let mut tables = header.sub(header_length)?;
        tables.skip(if version >= 4 { 5 } else { 4 })?;
        let opcode_base = tables.u8()?;
        tables.skip(usize::from(opcode_base.saturating_sub(1)))?;
        let mut program = RawProgram {
            version,
            comp_dir: comp_dir.to_vec(),
            directories: Vec::new(),
            directory_index: HashMap::new(),
            directory_count: 0,
            files: Vec::new(),
            file_index: HashMap::new(),
            file_count: 0,
            indexed: false,
            ops: Vec::with_capacity(opcodes + opcodes / 8),
            state: State::START,
            sequence: 0,
        };
        let start = tables.position();
        while !tables.cstr()?.is_empty() {
            program.directory_count += 1;
        }
        program.directories = tables.slice(start, tables.position() - 1)?.to_vec();
        let start = tables.position();
        while !tables.cstr()?.is_empty() {
            tables.uleb()?;
            tables.uleb()?;
            tables.uleb()?;
            program.file_count += 1;
        }
        program.files = tables.slice(start, tables.position() - 1)?.to_vec();
        Some(program)
    }

    /// Builds the indices [`Program::file`] looks entries up in, from the
    /// tables [`RawProgram::new`] kept (and checked), on the first look.
    fn index(&mut self) {
        if self.indexed {
            return;
        }
        self.indexed = true;
        let mut paths = vec![self.comp_dir.clone()];
        let (Some(mut directories), Some(mut files)) =
            (Bytes::at(&self.directories, 0), Bytes::at(&self.files, 0))
        else {
            return;
        };
        while let Some(path) = directories.cstr() {
            paths.push(path.to_vec());
            self.directory_index
                .entry(path.to_vec())
                .or_insert(paths.len() as u64 - 1);
        }
        let mut index = 0;
        while let Some(name) = files.cstr() {
            let (Some(directory), Some(_), Some(_)) = (files.uleb(), files.uleb(), files.uleb())
            else {
                break;
            };
            index += 1;
            let path = usize::try_from(directory)
                .ok()
                .and_then(|d| paths.get(d))
                .cloned()
                .unwrap_or_default();
            self.file_index
                .entry((path, name.to_vec()))
                .or_insert(index);
        }
    }

    /// The program's bytes in two pieces, its header and then its
    /// opcodes, so that they are copied once, into the output, rather than
    /// first joined.
    pub(super) fn finish(mut self) -> Option<[Vec<u8>; 2]> {
        // The room `new` gave the opcodes follows the input program, which
        // any number of units may name: finished programs wait for the
        // rest, so what they keep must be what they hold.
        if self.ops.capacity() > 2 * self.ops.len() {
            self.ops.shrink_to_fit();
        }
        let mut header = Vec::with_capacity(32 + self.directories.len() + self.files.len());
        header.extend_from_slice(&[0; 4]);
        header.extend_from_slice(&self.version.to_le_bytes());
        header.extend_from_slice(&[0; 4]);
        let header_start = header.len();
        header.push(ENCODING.minimum_instruction_length);
        if self.version >= 4 {
            header.push(ENCODING.maximum_operations_per_instruction);
        }
        header.push(u8::from(ENCODING.default_is_stmt));
        header.push(ENCODING.line_base as u8);
        header.push(ENCODING.line_range);
        header.push(OPCODE_BASE);
        header.extend_from_slice(&STANDARD_OPCODE_LENGTHS);
        header.extend_from_slice(&self.directories);
        header.push(0);
        header.extend_from_slice(&self.files);
        header.push(0);
        let header_length = u32::try_from(header.len() - header_start).ok()?;
        header[6..10].copy_from_slice(&header_length.to_le_bytes());
        let length = u32::try_from(header.len() - 4 + self.ops.len()).ok()?;
        if length >= 0xffff_fff0 {
            return None;
        }
        header[..4].copy_from_slice(&length.to_le_bytes());
        Some([header, self.ops])
    }

    /// Advances the address by `delta` bytes with `DW_LNS_advance_pc`.
    fn advance(&mut self, delta: u64) {
        if delta > 0 {
            self.ops.push(DW_LNS_ADVANCE_PC);
            leb128::unsigned(&mut self.ops, delta);
        }
    }

    /// Appends an input sequence read whole ([`super::lines::Copied`]),
    /// its address moved: the input header encodes rows as this one does
    /// ([`super::rows::copyable`]) and names the same files at the same
    /// indices. A sequence that cannot be found in `debug_line` (which
    /// the reader took it from) is left out.
    pub(super) fn copy(&mut self, debug_line: &[u8], copied: &Copied) {
        let Some(sequence) = debug_line.get(copied.ops.clone()) else {
            return;
        };
        let Some(at) = copied.address_at.checked_sub(copied.ops.start) else {
            return;
        };
        let start = self.ops.len();
        self.ops.extend_from_slice(sequence);
        if let Some(address) = self.ops.get_mut(start + at..start + at + 4) {
            address.copy_from_slice(&copied.address.to_le_bytes());
        }
        self.state = State::START;
    }

    /// An extended opcode with `operands`.
    fn extended(&mut self, opcode: u8, operands: &[u8]) {
        self.ops.push(0);
        leb128::unsigned(&mut self.ops, 1 + operands.len() as u64);
        self.ops.push(opcode);
        self.ops.extend_from_slice(operands);
    }
}

impl Program for RawProgram {
    type File = u64;

    fn file(&mut self, key: &FileKey) -> Option<u64> {
        self.index();
        let directory = key.directory_in(&self.comp_dir);
        let name = &key.name;
        if !usable(name) {
            return None;
        }
        if let Some(&index) = self.file_index.get(&(directory.clone(), name.clone())) {
            return Some(index);
        }
        let directory_index = if !usable(&directory) || directory == self.comp_dir {
            0
        } else if let Some(&index) = self.directory_index.get(&directory) {
            index
        } else {
            self.directory_count += 1;
            self.directories.extend_from_slice(&directory);
            self.directories.push(0);
            self.directory_index
                .insert(directory.clone(), self.directory_count);
            self.directory_count
        };
        self.file_count += 1;
        self.files.extend_from_slice(name);
        self.files.push(0);
        leb128::unsigned(&mut self.files, directory_index);
        self.files.extend_from_slice(&[0, 0]);
        self.file_index
            .insert((directory, name.clone()), self.file_count);
        Some(self.file_count)
    }

    fn begin(&mut self, address: u64) {
        self.state = State::START;
        self.sequence = address;
        // Addresses are 4 bytes: wasm32 code offsets.
        self.extended(DW_LNE_SET_ADDRESS, &(address as u32).to_le_bytes());
    }

    fn row(&mut self, offset: u64, row: Place<u64>) {
        if row.file != self.state.file {
            self.ops.push(DW_LNS_SET_FILE);
            leb128::unsigned(&mut self.ops, row.file);
        }
        if row.column != self.state.column {
            self.ops.push(DW_LNS_SET_COLUMN);
            leb128::unsigned(&mut self.ops, row.column);
        }
        if row.is_stmt != self.state.is_stmt {
            self.ops.push(DW_LNS_NEGATE_STMT);
        }
        if row.discriminator != 0 {
            let mut operand = Vec::new();
            leb128::unsigned(&mut operand, row.discriminator);
            self.extended(DW_LNE_SET_DISCRIMINATOR, &operand);
        }
        if row.prologue_end {
            self.ops.push(DW_LNS_SET_PROLOGUE_END);
        }
        if row.epilogue_begin {
            self.ops.push(DW_LNS_SET_EPILOGUE_BEGIN);
        }
        if offset < self.state.offset {
            // Rows come in address order; should one not, restate the
            // address rather than encode a negative advance.
            let address = (self.sequence + offset) as u32;
            self.extended(DW_LNE_SET_ADDRESS, &address.to_le_bytes());
            self.state.offset = offset;
        }
        let address_delta = offset - self.state.offset;
        let line_delta = row.line.wrapping_sub(self.state.line) as i64;
        if !special(&mut self.ops, address_delta, line_delta) {
            self.advance(address_delta);
            if line_delta != 0 {
                self.ops.push(DW_LNS_ADVANCE_LINE);
                leb128::signed(&mut self.ops, line_delta);
            }
            self.ops.push(DW_LNS_COPY);
        }
        self.state = State {
            offset,
            file: row.file,
            line: row.line,
            column: row.column,
            is_stmt: row.is_stmt,
        };
    }

    fn end(&mut self, length: u64) {
        let delta = length.saturating_sub(self.state.offset);
        self.advance(delta);
        self.extended(DW_LNE_END_SEQUENCE, &[]);
        self.state = State::START;
    }
}

/// Emits one special opcode (after a `DW_LNS_const_add_pc` if that is what
/// it takes) for a row `address_delta` bytes and `line_delta` lines on;
/// `false` when none can say it.
fn special(ops: &mut Vec<u8>, address_delta: u64, line_delta: i64) -> bool {
    let base = i64::from(ENCODING.line_base);
    let range = u64::from(ENCODING.line_range);
    if line_delta < base || line_delta >= base + range as i64 {
        return false;
    }
    let line_part = (line_delta - base) as u64 + u64::from(OPCODE_BASE);
    let opcode = |delta: u64| {
        delta
            .checked_mul(range)
            .and_then(|a| a.checked_add(line_part))
            .filter(|op| *op <= 255)
    };
    if let Some(op) = opcode(address_delta) {
        ops.push(op as u8);
        return true;
    }
    let const_add = (255 - u64::from(OPCODE_BASE)) / range;
    if let Some(op) = address_delta.checked_sub(const_add).and_then(opcode) {
        ops.push(DW_LNS_CONST_ADD_PC);
        ops.push(op as u8);
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::{RawProgram, OPCODE_BASE, STANDARD_OPCODE_LENGTHS};
    use crate::debug::dwarf::lines::{Place, Program};

    /// A program's opcode buffer starts with room for its input's
    /// opcodes, but a finished one keeps only what it holds: a hostile
    /// module may have many units name one large program.
    #[test]
    fn a_finished_program_keeps_no_room_it_did_not_use() {
        let opcodes = vec![1u8; 1 << 16];
        let mut tables = vec![1, 1, 1, (-5i8) as u8, 14, OPCODE_BASE];
        tables.extend_from_slice(&STANDARD_OPCODE_LENGTHS);
        tables.extend_from_slice(b"\0a.c\0\0\0\0\0");
        let mut section = Vec::new();
        let length = 2 + 4 + tables.len() + opcodes.len();
        section.extend_from_slice(&(length as u32).to_le_bytes());
        section.extend_from_slice(&4u16.to_le_bytes());
        section.extend_from_slice(&(tables.len() as u32).to_le_bytes());
        section.extend_from_slice(&tables);
        section.extend_from_slice(&opcodes);
        let mut program = RawProgram::new(&section, 0, b"/src").expect("header read");
        assert!(program.ops.capacity() >= opcodes.len());
        program.begin(0x40);
        let place = Place {
            file: 1,
            line: 7,
            column: 3,
            is_stmt: true,
            prologue_end: false,
            epilogue_begin: false,
            discriminator: 0,
        };
        program.row(2, place);
        program.end(9);
        let [_, ops] = program.finish().expect("finished");
        assert!(!ops.is_empty());
        assert!(ops.capacity() < 1024, "{} bytes kept", ops.capacity());
    }
}
