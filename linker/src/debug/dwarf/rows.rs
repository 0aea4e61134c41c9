//! Line program rows decoded directly, for the programs wasm32 compilers
//! write.
//!
//! Reading every input row is a large part of rewriting a big module's
//! line tables, and gimli's general reader pays for cases these programs
//! never use. This reader handles the common subset: 4-byte addresses, one
//! operation per instruction, the standard and the three usual extended
//! opcodes, and tombstones as gimli treats them (an address that falls, or
//! one of the last two, hides the rows up to the next address: Rust marks
//! the code of removed functions so). Anything else
//! (`DW_LNE_define_file`, unknown opcodes, overflowing addresses, LEB128
//! values at the edge of 64 bits, truncation) makes it give up on the whole
//! program, and the caller reads that program with gimli instead, so every
//! row it does give is the row gimli gives.

use gimli::read::{ColumnType, LineProgramHeader, LineRow};

use super::bytes::Bytes;
use std::ops::Range;

use super::lines::{Place, ENCODING};
use super::program::{
    DW_LNE_END_SEQUENCE, DW_LNE_SET_ADDRESS, DW_LNE_SET_DISCRIMINATOR, DW_LNS_ADVANCE_LINE,
    DW_LNS_ADVANCE_PC, DW_LNS_CONST_ADD_PC, DW_LNS_COPY, DW_LNS_FIXED_ADVANCE_PC,
    DW_LNS_NEGATE_STMT, DW_LNS_SET_BASIC_BLOCK, DW_LNS_SET_COLUMN, DW_LNS_SET_EPILOGUE_BEGIN,
    DW_LNS_SET_FILE, DW_LNS_SET_ISA, DW_LNS_SET_PROLOGUE_END, OPCODE_BASE, STANDARD_OPCODE_LENGTHS,
};
use super::Reader;

/// One row of an input line program: what the line tables take of gimli's
/// `LineRow`. Its place's line is 0 for "no line" (gimli's `line()` gives
/// `None`), its column 0 for the left edge, its file the program's index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Row {
    pub(super) address: u64,
    pub(super) end_sequence: bool,
    pub(super) place: Place<u64>,
}

/// The registers of the line state machine.
#[derive(Clone, Copy)]
struct State {
    address: u64,
    place: Place<u64>,
    /// Rows are hidden, and addresses stay, until the next address that
    /// is not a tombstone.
    tombstone: bool,
}

/// The header fields decoding needs.
#[derive(Clone, Copy)]
struct Encoding {
    minimum_instruction_length: u64,
    line_base: i64,
    line_range: u8,
    opcode_base: u8,
    default_is_stmt: bool,
}

/// The lowest address gimli takes for a tombstone when addresses are 4
/// bytes: `-2` in 32 bits.
const TOMBSTONE: u64 = 0xffff_fffe;

/// Appends the rows of the program `header` heads to `rows`; `None`, with
/// `rows` holding part of them, when the program is outside the subset
/// this reader handles.
#[cfg(test)]
pub(super) fn read(header: &LineProgramHeader<Reader<'_>>, rows: &mut Vec<Row>) -> Option<()> {
    read_with(
        header,
        |row| {
            rows.push(*row);
            Ok::<(), ()>(())
        },
        None,
    )
    .ok()?
}

/// A sequence of an input program to be copied into the output as it is,
/// its one address moved: what [`read_with`] gives instead of its rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Sequence {
    /// Its bytes in the program, from the opcode after the previous
    /// sequence's end to its own `DW_LNE_end_sequence`, inclusive.
    pub(super) ops: Range<usize>,
    /// Where in the program its `DW_LNE_set_address` operand is.
    pub(super) address_at: usize,
    /// Its first and end addresses.
    pub(super) addresses: Range<u64>,
}

/// Which sequences [`read_with`] hands over whole rather than as rows:
/// `limit` gives, for a sequence's start address, the address it must
/// end by to be taken (`None` to read it as rows), and `take` is handed
/// each one taken.
pub(super) struct Whole<'w> {
    pub(super) limit: &'w mut dyn FnMut(u64) -> Option<u64>,
    pub(super) take: &'w mut dyn FnMut(Sequence),
}

/// Hands each row of the program `header` heads to `sink` as it is
/// decoded, rather than gathering them first: the caller keeps only what
/// it needs of each, in its own layout. `Ok(None)` when the program is
/// outside the subset this reader handles (`sink` has had part of the
/// rows), and `sink`'s own error when it fails, which ends the reading.
///
/// With `whole`, a sequence it accepts is not decoded into rows but handed
/// over as bytes, when the output's programs can hold it as it is: the
/// header encodes rows as they do ([`copyable`]), and the sequence sets
/// its address once, before its first row, and keeps to the opcodes
/// every consumer reads alike.
pub(super) fn read_with<E>(
    header: &LineProgramHeader<Reader<'_>>,
    mut sink: impl FnMut(&Row) -> Result<(), E>,
    whole: Option<Whole<'_>>,
) -> Result<Option<()>, E> {
    let Some(encoding) = encoding(header) else {
        return Ok(None);
    };
    let whole = whole
        .filter(|_| copyable(header))
        .map(|hooks| (hooks, files(header)));
    let mut failed = None;
    let read = decode(
        encoding,
        header.raw_program_buf().slice(),
        &mut |row| sink(row).map_err(|error| failed = Some(error)).is_ok(),
        whole,
    );
    match failed {
        Some(error) => Err(error),
        None => Ok(read),
    }
}

impl Row {
    /// What gimli's reader gives.
    pub(super) fn of(row: &LineRow) -> Row {
        Row {
            address: row.address(),
            end_sequence: row.end_sequence(),
            place: Place {
                file: row.file_index(),
                line: row.line().map_or(0, |line| line.get()),
                column: match row.column() {
                    ColumnType::LeftEdge => 0,
                    ColumnType::Column(column) => column.get(),
                },
                is_stmt: row.is_stmt(),
                prologue_end: row.prologue_end(),
                epilogue_begin: row.epilogue_begin(),
                discriminator: row.discriminator(),
            },
        }
    }
}

/// Whether the rows of the program `header` heads mean the same under the
/// header the output's programs are written with
/// ([`super::program::RawProgram`]): the same encoding, opcodes and
/// address size.
pub(super) fn copyable(header: &LineProgramHeader<Reader<'_>>) -> bool {
    let encoding = header.line_encoding();
    (2..=4).contains(&header.version())
        && header.address_size() == 4
        && header.opcode_base() == OPCODE_BASE
        && header.standard_opcode_lengths().slice() == STANDARD_OPCODE_LENGTHS
        && encoding.minimum_instruction_length == ENCODING.minimum_instruction_length
        && encoding.maximum_operations_per_instruction
            == ENCODING.maximum_operations_per_instruction
        && encoding.default_is_stmt == ENCODING.default_is_stmt
        && encoding.line_base == ENCODING.line_base
        && encoding.line_range == ENCODING.line_range
}

/// What decoding the program `header` heads needs of it; `None` for an
/// encoding this reader leaves to gimli.
fn encoding(header: &LineProgramHeader<Reader<'_>>) -> Option<Encoding> {
    let line_encoding = header.line_encoding();
    if header.address_size() != 4
        || line_encoding.maximum_operations_per_instruction != 1
        || line_encoding.line_range == 0
    {
        return None;
    }
    Some(Encoding {
        minimum_instruction_length: u64::from(line_encoding.minimum_instruction_length),
        line_base: i64::from(line_encoding.line_base),
        line_range: line_encoding.line_range,
        opcode_base: header.opcode_base(),
        default_is_stmt: line_encoding.default_is_stmt,
    })
}

/// How many files the header of a program lists: a sequence naming
/// another is not copied.
fn files(header: &LineProgramHeader<Reader<'_>>) -> u64 {
    header.file_names().len() as u64
}

/// Decodes `program`, handing each row to `sink`, which answers whether
/// to go on, and each sequence `whole` takes to it instead (with how many
/// files the program's header lists).
fn decode(
    encoding: Encoding,
    program: &[u8],
    sink: &mut impl FnMut(&Row) -> bool,
    mut whole: Option<(Whole<'_>, u64)>,
) -> Option<()> {
    let initial = State {
        address: 0,
        place: Place {
            file: 1,
            line: 1,
            column: 0,
            is_stmt: encoding.default_is_stmt,
            prologue_end: false,
            epilogue_begin: false,
            discriminator: 0,
        },
        tombstone: false,
    };
    let mut state = initial;
    let mut special = [(0i64, 0u64); 256];
    for (opcode, advances) in special
        .iter_mut()
        .enumerate()
        .skip(encoding.opcode_base.into())
    {
        let adjusted = opcode as u8 - encoding.opcode_base;
        let line_advance = i64::from(adjusted % encoding.line_range);
        *advances = (
            encoding.line_base + line_advance,
            u64::from(adjusted / encoding.line_range),
        );
    }
    let opcodes = (&special, encoding.opcode_base);
    let mut ops = Bytes::at(program, 0)?;
    // Where the sequence being read started, while it has neither a row
    // nor an address yet: until then, it may be taken whole.
    let mut fresh = Some(0);
    while !ops.is_empty() {
        let opcode = ops.u8()?;
        if opcode == 0 {
            let length = usize::try_from(ops.uleb()?).ok()?;
            let mut operands = ops.sub(length)?;
            match operands.u8()? {
                DW_LNE_END_SEQUENCE => {
                    if !state.tombstone && !sink(&row(&state, true)) {
                        return None;
                    }
                    state = initial;
                    fresh = Some(ops.position());
                }
                DW_LNE_SET_ADDRESS => {
                    let address = u64::from(operands.u32()?);
                    let taken = match (fresh.take(), whole.as_mut()) {
                        // A sequence that sets a tombstone and no other
                        // address has no row to give: skipped as a whole.
                        (Some(start), _) if address >= TOMBSTONE => {
                            scan(opcodes, program, start, u64::MAX, u64::MAX)
                                .map(|sequence| sequence.ops.end)
                        }
                        (Some(start), Some((whole, files))) => (whole.limit)(address)
                            .and_then(|limit| scan(opcodes, program, start, limit, *files))
                            .map(|sequence| {
                                let end = sequence.ops.end;
                                (whole.take)(sequence);
                                end
                            }),
                        _ => None,
                    };
                    if let Some(end) = taken {
                        ops = Bytes::at(program, end)?;
                        state = initial;
                        fresh = Some(end);
                        continue;
                    }
                    state.tombstone = address < state.address || address >= TOMBSTONE;
                    if !state.tombstone {
                        state.address = address;
                    }
                }
                DW_LNE_SET_DISCRIMINATOR => state.place.discriminator = operands.uleb()?,
                _ => return None,
            }
        } else if opcode >= encoding.opcode_base {
            fresh = None;
            // Dividing by the line range is most of a special opcode's
            // cost: each opcode's line and operation advance, once.
            let (line_advance, operations) = special[usize::from(opcode)];
            state.place.line = advance_line(state.place.line, line_advance);
            advance_operations(&encoding, &mut state, operations)?;
            emit(&mut state, sink)?;
        } else {
            if matches!(
                opcode,
                DW_LNS_COPY | DW_LNS_ADVANCE_PC | DW_LNS_CONST_ADD_PC | DW_LNS_FIXED_ADVANCE_PC
            ) {
                fresh = None;
            }
            match opcode {
                DW_LNS_COPY => emit(&mut state, sink)?,
                DW_LNS_ADVANCE_PC => {
                    let operations = ops.uleb()?;
                    advance_operations(&encoding, &mut state, operations)?;
                }
                DW_LNS_ADVANCE_LINE => {
                    state.place.line = advance_line(state.place.line, sleb(&mut ops)?);
                }
                DW_LNS_SET_FILE => state.place.file = ops.uleb()?,
                DW_LNS_SET_COLUMN => state.place.column = ops.uleb()?,
                DW_LNS_NEGATE_STMT => state.place.is_stmt = !state.place.is_stmt,
                DW_LNS_SET_BASIC_BLOCK => {}
                DW_LNS_CONST_ADD_PC => {
                    let operations = u64::from((255 - encoding.opcode_base) / encoding.line_range);
                    advance_operations(&encoding, &mut state, operations)?;
                }
                DW_LNS_FIXED_ADVANCE_PC => {
                    let by = u64::from(ops.u16()?);
                    if !state.tombstone {
                        state.address = advance(state.address, by)?;
                    }
                }
                DW_LNS_SET_PROLOGUE_END => state.place.prologue_end = true,
                DW_LNS_SET_EPILOGUE_BEGIN => state.place.epilogue_begin = true,
                DW_LNS_SET_ISA => {
                    ops.uleb()?;
                }
                _ => return None,
            }
        }
    }
    Some(())
}

/// The sequence of `program` starting at `start` (just after the previous
/// one's end), when it can be copied as it is and ends by `limit`: one
/// `DW_LNE_set_address`, before any row or advance, then the opcodes
/// [`decode`] reads, up to its `DW_LNE_end_sequence`. Its addresses are
/// followed, and nothing else of its rows is decoded, but that each file
/// it names is one of the header's `files` (the output's program lists the
/// same, at the same indices). `opcodes` are each special opcode's
/// advance, as [`decode`] has them, and the program's opcode base: the
/// first special opcode, any standard one from 13 up unknown here as it
/// is to [`decode`]. (An address advance is counted in operations, which
/// are bytes in the programs that are copied.)
fn scan(
    (special, opcode_base): (&[(i64, u64); 256], u8),
    program: &[u8],
    start: usize,
    limit: u64,
    files: u64,
) -> Option<Sequence> {
    // The file register starts at 1.
    if files == 0 {
        return None;
    }
    // Special opcodes are most of a program's bytes: they are read off the
    // slice in a loop of their own, and the address is checked against
    // `limit` once, at the end (it only rises, and saturates).
    let mut i = start;
    // The address set, and where its operand is; the address reached.
    let mut set: Option<(u64, usize)> = None;
    let mut address = 0u64;
    loop {
        let opcode = *program.get(i)?;
        i += 1;
        if opcode >= opcode_base && opcode != 0 {
            set?;
            address = address.saturating_add(special[usize::from(opcode)].1);
            continue;
        }
        // A line or column change is most of the rest, and its operand is
        // mostly one byte, which is always a whole LEB128: stepped over
        // here, where reading a LEB128 would be a call.
        if matches!(opcode, DW_LNS_ADVANCE_LINE | DW_LNS_SET_COLUMN)
            && program.get(i).is_some_and(|&byte| byte & 0x80 == 0)
        {
            i += 1;
            continue;
        }
        let mut ops = Bytes::at(program, i)?;
        match opcode {
            0 => {
                let length = usize::try_from(ops.uleb()?).ok()?;
                // Where the operands start, after the extended opcode.
                let operands_at = ops.position() + 1;
                let mut operands = ops.sub(length)?;
                match operands.u8()? {
                    DW_LNE_END_SEQUENCE => {
                        let (first, address_at) = set?;
                        return (address <= limit).then_some(Sequence {
                            ops: start..ops.position(),
                            address_at,
                            addresses: first..address,
                        });
                    }
                    DW_LNE_SET_ADDRESS if set.is_none() && length == 5 => {
                        address = u64::from(operands.u32()?);
                        set = Some((address, operands_at));
                    }
                    DW_LNE_SET_DISCRIMINATOR => {
                        operands.uleb()?;
                    }
                    _ => return None,
                }
            }
            DW_LNS_COPY => {
                set?;
            }
            DW_LNS_ADVANCE_PC => {
                let by = ops.uleb()?;
                set?;
                address = address.saturating_add(by);
            }
            DW_LNS_ADVANCE_LINE => {
                sleb(&mut ops)?;
            }
            DW_LNS_SET_FILE => {
                let file = ops.uleb()?;
                if file == 0 || file > files {
                    return None;
                }
            }
            DW_LNS_SET_COLUMN | DW_LNS_SET_ISA => {
                ops.uleb()?;
            }
            DW_LNS_NEGATE_STMT
            | DW_LNS_SET_BASIC_BLOCK
            | DW_LNS_SET_PROLOGUE_END
            | DW_LNS_SET_EPILOGUE_BEGIN => {}
            DW_LNS_CONST_ADD_PC => {
                set?;
                address = address.saturating_add(special[255].1);
            }
            DW_LNS_FIXED_ADVANCE_PC => {
                let by = u64::from(ops.u16()?);
                set?;
                address = address.saturating_add(by);
            }
            _ => return None,
        }
        i = ops.position();
    }
}

fn row(state: &State, end_sequence: bool) -> Row {
    Row {
        address: state.address,
        end_sequence,
        place: state.place,
    }
}

/// Hands on a row unless tombstoned, and clears what holds for one row
/// only; `None` when `sink` says to stop.
fn emit(state: &mut State, sink: &mut impl FnMut(&Row) -> bool) -> Option<()> {
    if !state.tombstone && !sink(&row(state, false)) {
        return None;
    }
    state.place.discriminator = 0;
    state.place.prologue_end = false;
    state.place.epilogue_begin = false;
    Some(())
}

/// A line moved by `by`: down to 0 at the least, and wrapping upwards, as
/// gimli moves it.
fn advance_line(line: u64, by: i64) -> u64 {
    if by < 0 {
        line.saturating_sub(by.unsigned_abs())
    } else {
        line.wrapping_add(by as u64)
    }
}

/// Moves the address `operations` instructions on, unless tombstoned.
fn advance_operations(encoding: &Encoding, state: &mut State, operations: u64) -> Option<()> {
    if !state.tombstone {
        let by = encoding
            .minimum_instruction_length
            .checked_mul(operations)?;
        state.address = advance(state.address, by)?;
    }
    Some(())
}

/// The address `by` bytes on; `None` past 4 bytes, where gimli fails.
fn advance(address: u64, by: u64) -> Option<u64> {
    address
        .checked_add(by)
        .filter(|address| *address <= u64::from(u32::MAX))
}

/// A signed LEB128 of at most 9 bytes, which gimli decodes to the same
/// value; longer ones are left to gimli.
fn sleb(ops: &mut Bytes<'_>) -> Option<i64> {
    let mut value = 0i64;
    let mut shift = 0;
    loop {
        let byte = ops.u8()?;
        value |= i64::from(byte & 0x7f) << shift;
        shift += 7;
        if byte & 0x80 == 0 {
            if byte & 0x40 != 0 {
                value |= !0 << shift;
            }
            return Some(value);
        }
        if shift >= 63 {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use gimli::{EndianSlice, LittleEndian};

    use std::cell::RefCell;

    use super::{
        decode, encoding, read, read_with, sleb, Row, Sequence, Whole, STANDARD_OPCODE_LENGTHS,
    };
    use crate::debug::dwarf::bytes::Bytes;
    use crate::debug::dwarf::tests::{self, program_offsets as offsets, APP, BUILTIN, RUST};
    use crate::debug::dwarf::Reader;

    /// The module's `.debug_line`.
    fn debug_line(module: &[u8]) -> Vec<u8> {
        tests::section(&tests::parse(module).sections, ".debug_line").to_vec()
    }

    /// The rows one side read, or `None` where it could not.
    type Read = Option<Vec<Row>>;

    /// This reader's rows and gimli's for the program at `offset` (with no
    /// header, neither).
    fn both(section: &[u8], offset: usize) -> Option<(Read, Read)> {
        let section = gimli::read::DebugLine::new(section, LittleEndian);
        let program = section
            .program(gimli::DebugLineOffset(offset), 4, None, None)
            .ok()?;
        let mut ours = Vec::new();
        let ours = read(program.header(), &mut ours).map(|()| ours);
        assert_eq!(
            whole(program.header()).0,
            ours,
            "sequences taken whole at {offset}"
        );
        let mut rows = program.rows();
        let mut theirs = Vec::new();
        let theirs = loop {
            match rows.next_row() {
                Ok(Some((_, row))) => theirs.push(Row::of(row)),
                Ok(None) => break Some(theirs),
                Err(_) => break None,
            }
        };
        Some((ours, theirs))
    }

    /// The program's rows read with every sequence that can be taken whole
    /// taken, and each of those decoded alone, its rows where it was, and
    /// how many were taken; `None` where the program could not be read.
    /// What a sequence taken whole says of its addresses is checked
    /// against its rows.
    fn whole(header: &gimli::read::LineProgramHeader<Reader<'_>>) -> (Option<Vec<Row>>, usize) {
        let program = header.raw_program_buf().slice();
        let rows = RefCell::new(Vec::new());
        let mut taken = 0;
        let mut limit = |_| Some(u64::from(u32::MAX));
        let mut take = |sequence: Sequence| {
            taken += 1;
            let mut alone = Vec::new();
            let read = decode(
                encoding(header).unwrap(),
                &program[sequence.ops.clone()],
                &mut |row| {
                    alone.push(*row);
                    true
                },
                None,
            );
            assert_eq!(read, Some(()), "{sequence:?}");
            let (first, last) = (alone.first().unwrap(), alone.last().unwrap());
            assert!(first.address >= sequence.addresses.start, "{sequence:?}");
            assert!(last.end_sequence && last.address == sequence.addresses.end);
            assert_eq!(
                &program[sequence.address_at..sequence.address_at + 4],
                &(sequence.addresses.start as u32).to_le_bytes()
            );
            rows.borrow_mut().extend(alone);
        };
        let hooks = Whole {
            limit: &mut limit,
            take: &mut take,
        };
        let read = read_with(
            header,
            |row| {
                rows.borrow_mut().push(*row);
                Ok::<(), ()>(())
            },
            Some(hooks),
        );
        (read.unwrap().map(|()| rows.into_inner()), taken)
    }

    /// Every program of the C and Rust test modules is read here, row for
    /// row as gimli reads it, and reads the same with its sequences taken
    /// whole, which most of them are.
    #[test]
    fn compilers_programs_read_as_gimli_reads_them() {
        let (mut programs, mut taken) = (0, 0);
        for module in [APP, BUILTIN, RUST] {
            let section = debug_line(module);
            for offset in offsets(&section) {
                let (ours, theirs) = both(&section, offset).unwrap();
                let theirs = theirs.unwrap();
                assert!(!theirs.is_empty());
                assert_eq!(ours, Some(theirs), "program at {offset}");
                let program = gimli::read::DebugLine::new(&section, LittleEndian)
                    .program(gimli::DebugLineOffset(offset), 4, None, None)
                    .unwrap();
                taken += whole(program.header()).1;
                programs += 1;
            }
        }
        assert!(programs >= 3);
        assert!(taken >= programs, "{taken} sequences taken whole");
    }

    /// Damaged programs: whatever this reader gives, gimli gives too. It
    /// must give up on some and read others, or the damage tested nothing.
    #[test]
    fn damaged_programs_read_as_gimli_reads_them_or_not_at_all() {
        let mut below = crate::debug::dwarf::below(17);
        let mut next = |n: usize| below(n as u64) as usize;
        let (mut read, mut refused) = (0, 0);
        for module in [APP, BUILTIN, RUST] {
            let clean = debug_line(module);
            let offsets = offsets(&clean);
            for case in 0..1500 {
                let mut section = clean.clone();
                let offset = offsets[case % offsets.len()];
                // Damage the opcodes, past the header's first 40 bytes.
                for _ in 0..1 + next(3) {
                    let at = (offset + 40 + next(400)).min(section.len() - 1);
                    section[at] = match next(4) {
                        0 => 0,
                        1 => 0xff,
                        _ => next(256) as u8,
                    };
                }
                let Some((ours, theirs)) = both(&section, offset) else {
                    continue;
                };
                match ours {
                    Some(ours) => {
                        assert_eq!(Some(ours), theirs, "case {case} at {offset}");
                        read += 1;
                    }
                    None => refused += 1,
                }
            }
        }
        assert!(
            read > 500 && refused > 100,
            "{read} read, {refused} refused"
        );
    }

    /// A version 4 line program of one file, with opcode base
    /// `opcode_base`, LLVM's line base and range, and opcodes `ops`.
    fn program(opcode_base: u8, ops: &[u8]) -> Vec<u8> {
        let lengths = STANDARD_OPCODE_LENGTHS;
        let mut header = vec![1, 1, 1, (-5i8) as u8, 14, opcode_base];
        header.extend(
            (1..opcode_base).map(|op| lengths.get(usize::from(op) - 1).copied().unwrap_or(0)),
        );
        header.extend_from_slice(b"\0a.c\0\0\0\0\0");
        let mut program = 4u16.to_le_bytes().to_vec();
        program.extend_from_slice(&(header.len() as u32).to_le_bytes());
        program.extend_from_slice(&header);
        program.extend_from_slice(ops);
        let mut section = (program.len() as u32).to_le_bytes().to_vec();
        section.extend_from_slice(&program);
        section
    }

    /// A sequence that sets only a tombstone is skipped whole, with the
    /// program's own opcode base: with base 10, opcodes 10 to 12 are
    /// special (read as `DW_LNS_set_isa`, 12 would take the next byte as
    /// its operand).
    #[test]
    fn tombstoned_sequences_are_skipped_under_any_opcode_base() {
        let tombstoned = [
            &[0, 5, 2, 0xff, 0xff, 0xff, 0xff][..],
            &[10, 12, 2, 3, 11, 12, 2, 1],
            &[0, 1, 1],
        ]
        .concat();
        let kept = [
            &[0, 5, 2, 0x00, 0x01, 0x00, 0x00][..],
            &[20, 1, 2, 4, 12, 30],
            &[0, 1, 1],
        ]
        .concat();
        // Read with opcode base 13, 12 would take the end's 0 as part of
        // its operand, and the rows of the next sequence, which sets no
        // address, would go with it.
        let swallowing = [&[0, 5, 2, 0xff, 0xff, 0xff, 0xff][..], &[12, 0x81, 0, 1, 1]].concat();
        let addressless = [20, 1, 0, 1, 1];
        for opcode_base in [10, 13] {
            for ops in [
                [tombstoned.clone(), kept.clone()].concat(),
                [kept.clone(), tombstoned.clone(), kept.clone()].concat(),
                [kept.clone(), swallowing.clone(), addressless.to_vec()].concat(),
            ] {
                let section = program(opcode_base, &ops);
                let (ours, theirs) = both(&section, 0).unwrap();
                let theirs = theirs.unwrap();
                assert!(theirs.len() >= 3, "{theirs:?}");
                assert!(theirs.iter().all(|row| row.address < 0x200));
                assert_eq!(ours, Some(theirs), "opcode base {opcode_base}");
            }
        }
    }

    /// Only a program whose header encodes rows as the output's does is
    /// copied: an odd length declared for a standard opcode, an odd line
    /// base or opcode base, and it is read as rows.
    #[test]
    fn only_programs_encoded_as_the_outputs_are_copied() {
        let ops = [
            &[0, 5, 2, 0x00, 0x01, 0x00, 0x00][..],
            &[20, 1, 2, 4],
            &[0, 1, 1],
        ]
        .concat();
        let taken = |section: &[u8]| {
            let program = gimli::read::DebugLine::new(section, LittleEndian)
                .program(gimli::DebugLineOffset(0), 4, None, None)
                .unwrap();
            whole(program.header()).1
        };
        let section = program(13, &ops);
        assert_eq!(taken(&section), 1);
        // The header's fields from the minimum instruction length on.
        let fields = 10;
        for (at, value) in [
            (fields + 6, 1), // DW_LNS_copy said to take an operand
            (fields + 3, (-4i8) as u8),
            (fields + 4, 15),
            (fields + 2, 0), // default_is_stmt
        ] {
            let mut odd = section.clone();
            odd[at] = value;
            assert_eq!(taken(&odd), 0, "byte {at} = {value}");
        }
        assert_eq!(taken(&program(10, &ops)), 0);
    }

    #[test]
    fn short_signed_leb128_is_gimli_s() {
        let mut next = crate::debug::dwarf::below(5);
        let (mut short, mut long) = (0, 0);
        for _ in 0..20_000 {
            let bits = next(1 << 31) << 33 | next(1 << 31) << 2 | next(4);
            let value = (bits as i64) >> next(64);
            let mut encoded = Vec::new();
            gimli::leb128::write::signed(&mut encoded, value).unwrap();
            let ours = sleb(&mut Bytes::at(&encoded, 0).unwrap());
            let theirs =
                gimli::leb128::read::signed(&mut EndianSlice::new(&encoded, LittleEndian)).unwrap();
            match ours {
                Some(ours) => assert_eq!(ours, theirs, "{encoded:?}"),
                None => assert!(encoded.len() > 9, "{encoded:?}"),
            }
            short += usize::from(encoded.len() <= 9);
            long += usize::from(encoded.len() > 9);
        }
        assert!(short > 10_000 && long > 100, "{short} short, {long} long");
    }
}
