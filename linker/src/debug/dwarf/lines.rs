//! Line tables rebuilt from the output's side.
//!
//! Rewriting an input's line program row by row cannot follow code that
//! was copied into another function (inlining) or into another input's
//! unit, so the output's rows are generated per output body instead: walk
//! the stretches of the body, and ask the input each came from what source
//! location covers it. A body that is one input function moved in one
//! piece (most of them, since emission keeps each instruction's length
//! when it records the code map) is the exception: its input sequences
//! are copied as they are, their address moved, and their rows are never
//! decoded ([`whole_bodies`]).

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use gimli::read::{self, LineProgramHeader};
use gimli::write::{Address, ConvertResult, ConvertUnit, FileId, LineProgram, LineString};
use gimli::LineEncoding;

use super::forward::{gallop, sort_and_merge};
use super::inlined::{self, Call, Named};
use super::rows::{self, Row};
use super::{entries, Context, Failure, Reader};
use crate::debug::map::{CodeMap, Source};

/// A source location as an input's line table gives it, its file an
/// index into the input's [`InputLines::files`].
pub(super) type Loc = Place<u32>;

/// A file of an input's line table: its unit's compilation directory,
/// its own directory (none for the compilation directory itself) and its
/// name, as bytes. A relative directory is
/// relative to the compilation directory, which matters when the file is
/// named in another unit's program (code inlined across inputs).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct FileKey {
    comp_dir: Vec<u8>,
    directory: Vec<u8>,
    pub(super) name: Vec<u8>,
}

impl FileKey {
    /// The directory to name in a program whose unit's compilation
    /// directory is `comp_dir`.
    pub(super) fn directory_in(&self, comp_dir: &[u8]) -> Vec<u8> {
        let absolute = |path: &[u8]| path.first() == Some(&b'/');
        if absolute(&self.name) || absolute(&self.directory) || self.comp_dir == comp_dir {
            return self.directory.clone();
        }
        let mut joined = self.comp_dir.clone();
        if !self.directory.is_empty() {
            if !joined.is_empty() && !joined.ends_with(b"/") {
                joined.push(b'/');
            }
            joined.extend_from_slice(&self.directory);
        }
        joined
    }
}

/// One input's line rows, with absolute input addresses, and its units'
/// code ranges.
#[derive(Debug, Default, PartialEq)]
pub(super) struct InputLines {
    /// Each file a row names.
    files: Vec<FileKey>,
    /// Every unit's rows, their sequences in address order.
    rows: Rows,
    /// Each unit's compilation directory, by unit index.
    pub(super) comp_dirs: Vec<Vec<u8>>,
    /// Each unit's line program offset, by unit index.
    pub(super) stmt_lists: Vec<Option<u64>>,
    /// Every unit's ranges as (start, end, unit), sorted, each with the
    /// largest end up to it, for [`InputLines::unit_of`] to search instead
    /// of scanning every unit.
    sorted: Vec<((u64, u64, usize), u64)>,
    /// The subroutines the input's compiler inlined into each function, by
    /// the function's `DW_AT_low_pc`; read only for an input whose code
    /// the link copied ([`read_input`]).
    pub(super) nested: BTreeMap<u64, Vec<Nested>>,
    /// The sequences read whole rather than as rows, for the output to
    /// copy ([`WholeBodies`]).
    pub(super) whole: Vec<Copied>,
}

/// An input sequence the output copies as it is: its bytes in the input's
/// `.debug_line`, where its address is in them, the output body it
/// describes and the address it moves to there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Copied {
    pub(super) ops: Range<usize>,
    pub(super) address_at: usize,
    pub(super) body: usize,
    pub(super) address: u32,
    /// The unit whose program it was read from.
    unit: usize,
    /// The start of the input code it describes.
    code: u64,
}

/// The output bodies whose line rows can be copied rather than rebuilt:
/// each a copy of one input function in one piece, so that every address
/// in it moves by the same amount, as its input's addresses (sorted) with
/// the body's index and output start, by input. A function any other
/// output code came from, or was inlined at, is left out: the rows of
/// what is copied are not read, and that code's rows are looked up.
pub(super) type WholeBodies = Vec<Vec<(Range<u64>, usize, u32)>>;

/// [`WholeBodies`] of `map`, for `inputs` inputs.
pub(super) fn whole_bodies(map: &CodeMap, inputs: usize) -> WholeBodies {
    let mut whole: WholeBodies = vec![Vec::new(); inputs];
    // What the other bodies name of each input.
    let mut named: Vec<Vec<Range<u64>>> = vec![Vec::new(); inputs];
    let mut name = |origin: crate::debug::map::Origin, len: u32| {
        if let Some(ranges) = named.get_mut(origin.input as usize) {
            let start = u64::from(origin.offset);
            ranges.push(start..start + u64::from(len.max(1)));
        }
    };
    for (index, body) in map.bodies.iter().enumerate() {
        let mut stretches = map.stretches(body.clone());
        if let (Some((range, mark)), None) = (stretches.next(), stretches.next()) {
            if let (Source::Copy(origin), None) = (mark.source, mark.site) {
                if range == *body {
                    if let Some(inputs) = whole.get_mut(origin.input as usize) {
                        let from = u64::from(origin.offset + (body.start - mark.out));
                        let len = u64::from(body.end - body.start);
                        inputs.push((from..from + len, index, body.start));
                        continue;
                    }
                }
            }
        }
        for (range, mark) in map.stretches(body.clone()) {
            match mark.source {
                Source::Copy(origin) => name(
                    origin.shifted(range.start - mark.out),
                    range.end - range.start,
                ),
                Source::At(origin) => name(origin, 1),
                Source::None => {}
            }
            if let Some(site) = mark.site {
                name(site, 1);
            }
        }
    }
    for (bodies, named) in whole.iter_mut().zip(&mut named) {
        sort_and_merge(named);
        bodies.sort_by_key(|(range, _, _)| range.start);
        // Named by other code, or by another whole body (code copied
        // twice): its rows are looked up, so they must be read.
        let named_elsewhere = |range: &Range<u64>| {
            let i = named.partition_point(|n| n.end <= range.start);
            named.get(i).is_some_and(|n| n.start < range.end)
        };
        let apart = |a: &Range<u64>, b: &Range<u64>| a.end <= b.start || b.end <= a.start;
        let kept: Vec<_> = (0..bodies.len())
            .filter(|&i| {
                let range = &bodies[i].0;
                let neighbours = [i.checked_sub(1), Some(i + 1)];
                !named_elsewhere(range)
                    && neighbours
                        .into_iter()
                        .flatten()
                        .filter_map(|j| bodies.get(j))
                        .all(|other| apart(range, &other.0))
            })
            .map(|i| bodies[i].clone())
            .collect();
        *bodies = kept;
    }
    whole
}

/// The body of `whole` (one input's) whose input code holds `address`.
fn whole_at(whole: &[(Range<u64>, usize, u32)], address: u64) -> Option<&(Range<u64>, usize, u32)> {
    let i = whole.partition_point(|(range, _, _)| range.start <= address);
    whole
        .get(i.checked_sub(1)?)
        .filter(|(range, _, _)| address < range.end)
}

/// A `DW_TAG_inlined_subroutine` of an input function, to be described
/// again in each copy the link makes of the function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Nested {
    /// The DIE it names as its origin, by `.debug_info` offset.
    pub(super) origin: u64,
    /// Its code in the input.
    pub(super) ranges: Vec<Range<u64>>,
    /// The call's file (in [`InputLines::files`]), line and column.
    pub(super) at: Option<(u32, u64, u64)>,
    /// The subroutine it is inlined into, by its index in the same list;
    /// `None` for one inlined into the function itself.
    pub(super) parent: Option<usize>,
}

/// Line rows as they were read, their addresses apart from their
/// locations, and their sequences in address order. A lookup searches the
/// sequences' starts and then one sequence's addresses, which stay in
/// cache where whole rows would not, and the rows need not be copied into
/// address order. `None` ends a sequence (no location from there on until
/// the next row).
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Rows {
    addresses: Vec<u64>,
    locs: Vec<Option<Loc>>,
    /// Each sequence's first address, in address order.
    starts: Vec<u64>,
    /// Each sequence's rows, in the order of `starts`. While rows are
    /// read, the sequences ended so far, in the order read: each is noted
    /// as its `None` is pushed, so that [`sort_rows`] need not read every
    /// location again to find them.
    spans: Vec<Range<usize>>,
}

impl Rows {
    /// Room for `rows` rows. Grown one push at a time, the rows of a large
    /// module are copied at every doubling, and into fresh memory each
    /// time, which costs more than reading them.
    fn reserve(&mut self, rows: usize) {
        self.addresses.reserve_exact(rows);
        self.locs.reserve_exact(rows);
    }

    /// Takes back every row from the `len`th on.
    fn truncate(&mut self, len: usize) {
        self.addresses.truncate(len);
        self.locs.truncate(len);
        while self.spans.last().is_some_and(|span| span.end > len) {
            self.spans.pop();
        }
    }

    fn push(&mut self, address: u64, loc: Option<Loc>) {
        let end = loc.is_none();
        self.addresses.push(address);
        self.locs.push(loc);
        if end {
            let start = self.spans.last().map_or(0, |span| span.end);
            self.spans.push(start..self.addresses.len());
        }
    }

    /// Where rows in address order stop being `below`: the sequence, and
    /// the row in it (its end if the whole sequence is below). The rows in
    /// address order are every sequence's rows, sequence after sequence.
    fn position(&self, below: impl Fn(u64) -> bool) -> (usize, usize) {
        let sequence = self.starts.partition_point(|&a| below(a));
        let Some(sequence) = sequence.checked_sub(1) else {
            return (0, self.spans.first().map_or(0, |span| span.start));
        };
        let span = self.spans[sequence].clone();
        let row = span.start + self.addresses[span].partition_point(|&a| below(a));
        (sequence, row)
    }

    /// [`Rows::position`], searched outward from `near`, a position an
    /// earlier search gave: the stretches of a body copied from one
    /// function ask about rising addresses of one sequence one after
    /// another, and most are a few rows on from the last.
    fn position_near(
        &self,
        near: (usize, usize),
        below: impl Fn(u64) -> bool + Copy,
    ) -> (usize, usize) {
        let (sequence, row) = near;
        let here = self.starts.get(sequence).is_some_and(|&start| below(start))
            && self
                .starts
                .get(sequence + 1)
                .is_none_or(|&start| !below(start));
        match self.spans.get(sequence) {
            Some(span) if here => {
                let span = span.clone();
                let hint = row.clamp(span.start, span.end) - span.start;
                (
                    sequence,
                    span.start + gallop(&self.addresses[span], hint, below),
                )
            }
            _ => self.position(below),
        }
    }

    /// The rows from `position` on, in address order.
    fn from(&self, (sequence, row): (usize, usize)) -> impl Iterator<Item = (u64, Option<&Loc>)> {
        let rest = self.spans.get(sequence).map(|span| row..span.end);
        let later = self.spans.get(sequence + 1..).unwrap_or_default();
        rest.into_iter()
            .chain(later.iter().cloned())
            .flat_map(|rows| {
                let locs = self.locs[rows.clone()].iter().map(Option::as_ref);
                self.addresses[rows].iter().copied().zip(locs)
            })
    }

    /// The location covering address `address`.
    fn at(&self, address: u64) -> Option<&Loc> {
        self.covering(address..address, &mut (0, 0)).0
    }

    /// The location covering `range.start`, and the rows strictly inside
    /// `range` (where the location changes): what a copied stretch of code
    /// needs, with one search, which starts from where the search `near`
    /// ended and leaves it where this one ends.
    fn covering(
        &self,
        range: Range<u64>,
        near: &mut (usize, usize),
    ) -> (Option<&Loc>, impl Iterator<Item = (u64, Option<&Loc>)>) {
        let start = range.start;
        let (sequence, row) = self.position_near(*near, |a| a <= start);
        *near = (sequence, row);
        let at = match self.spans.get(sequence) {
            Some(span) if row > span.start => self.locs[row - 1].as_ref(),
            _ => None,
        };
        let inside = self
            .from((sequence, row))
            .take_while(move |(address, _)| *address < range.end);
        (at, inside)
    }
}

impl InputLines {
    /// The location covering input address `address`.
    fn at(&self, address: u64) -> Option<&Loc> {
        self.rows.at(address)
    }

    /// [`Rows::covering`] of the rows.
    fn covering(
        &self,
        range: Range<u64>,
        near: &mut (usize, usize),
    ) -> (Option<&Loc>, impl Iterator<Item = (u64, Option<&Loc>)>) {
        self.rows.covering(range, near)
    }

    /// The unit whose code holds input address `address` (the first, if
    /// units overlap).
    fn unit_of(&self, address: u64) -> Option<usize> {
        let i = self
            .sorted
            .partition_point(|((start, _, _), _)| *start <= address);
        // Only ranges starting at or before `address` can hold it, and
        // walking back stops where no earlier range reaches it.
        self.sorted[..i]
            .iter()
            .rev()
            .take_while(|(_, reach)| *reach > address)
            .filter(|((_, end, _), _)| *end > address)
            .map(|((_, _, unit), _)| *unit)
            .min()
    }
}

/// Reads every unit's code ranges and line rows, so that the output's
/// line programs can look up any input's locations; with `copied` (the
/// link copied some of the input's code), also what its functions'
/// compiler inlined into them.
///
/// The sequences that describe a body of `whole` (this input's, when the
/// output's programs can copy them) are not read as rows but noted, to be
/// copied ([`InputLines::whole`]).
pub(super) fn read_input(
    read: &read::Dwarf<Reader<'_>>,
    copied: bool,
    whole: &[(Range<u64>, usize, u32)],
) -> Result<InputLines, Failure> {
    read_input_with(read, true, copied, whole)
}

/// The subroutines read of an input's units so far, to be checked once
/// every unit is read: an origin may be in another unit.
#[derive(Default)]
struct NestedRead {
    /// Every DIE's `.debug_info` offset.
    dies: Vec<u64>,
    /// Each function's `DW_AT_low_pc` and subroutines, and whether each of
    /// them names its origin by a reference this reads.
    functions: Vec<(u64, Vec<Nested>, bool)>,
}

impl NestedRead {
    /// Adds to `lines.nested` the subroutines of every function whose
    /// subroutines all name DIEs of the input as their origins. Those of a
    /// function where one names anything else (an offset inside a DIE,
    /// past the section, a type unit's signature) are left out: the copies
    /// must name DIEs, and a wrong origin cannot be told from a right one
    /// otherwise.
    fn settle(self, lines: &mut InputLines) {
        let NestedRead {
            mut dies,
            functions,
        } = self;
        dies.sort_unstable();
        let named = |nested: &Nested| dies.binary_search(&nested.origin).is_ok();
        for (low_pc, list, sound) in functions {
            if sound && !list.is_empty() && list.iter().all(named) {
                lines.nested.entry(low_pc).or_insert(list);
            }
        }
    }
}

/// Adds to `nested` every `DW_TAG_inlined_subroutine` under each function
/// of `unit` (a `DW_TAG_subprogram` with a `DW_AT_low_pc`), its call's
/// file interned with the rows' files, and every DIE of the unit, against
/// which [`NestedRead::settle`] checks the origins. An origin may be in
/// another unit of the input (`DW_FORM_ref_addr`): link-time optimization
/// inlines across units.
fn read_nested(
    read: &read::Dwarf<Reader<'_>>,
    unit: &read::Unit<Reader<'_>>,
    comp_dir: &[u8],
    lines: &mut InputLines,
    interned: &mut HashMap<FileKey, u32>,
    nested: &mut NestedRead,
) -> read::Result<()> {
    use gimli::constants as dw;
    let program = unit.line_program.as_ref().map(|p| p.header());
    let NestedRead { dies, functions } = nested;
    // The open function's depth, and the open subroutines' depths and
    // indices in its list.
    let mut function: Option<isize> = None;
    let mut open: Vec<(isize, usize)> = Vec::new();
    let mut cursor = unit.entries();
    while let Some(entry) = cursor.next_dfs()? {
        let depth = entry.depth();
        if let Some(offset) = entry.offset().to_debug_info_offset(&unit.header) {
            dies.push(offset.0 as u64);
        }
        if function.is_some_and(|d| depth <= d) {
            function = None;
        }
        open.retain(|(d, _)| *d < depth);
        if function.is_none() {
            open.clear();
            if entry.tag() == dw::DW_TAG_subprogram {
                if let Some(value) = entry.attr_value(dw::DW_AT_low_pc) {
                    if let Some(low_pc) = read.attr_address(unit, value)? {
                        functions.push((low_pc, Vec::new(), true));
                        function = Some(depth);
                    }
                }
            }
            continue;
        }
        if entry.tag() != dw::DW_TAG_inlined_subroutine {
            continue;
        }
        let Some((_, list, sound)) = functions.last_mut() else {
            continue;
        };
        let origin = match entry.attr_value(dw::DW_AT_abstract_origin) {
            Some(read::AttributeValue::UnitRef(offset)) => offset
                .to_debug_info_offset(&unit.header)
                .map(|offset| offset.0 as u64),
            Some(read::AttributeValue::DebugInfoRef(offset)) => Some(offset.0 as u64),
            _ => None,
        };
        let Some(origin) = origin else {
            *sound = false;
            continue;
        };
        let ranges = entries::input_ranges(unit.unit_ref(read), entry)?;
        let line = entry
            .attr_value(dw::DW_AT_call_line)
            .and_then(|value| value.udata_value());
        let file = match (entry.attr_value(dw::DW_AT_call_file), program) {
            (Some(read::AttributeValue::FileIndex(index)), Some(header)) => {
                file_key(read, header, comp_dir, index)?
                    .map(|key| intern(&mut lines.files, interned, key))
            }
            _ => None,
        };
        let column = entry
            .attr_value(dw::DW_AT_call_column)
            .and_then(|value| value.udata_value())
            .unwrap_or(0);
        list.push(Nested {
            origin,
            ranges,
            at: file.zip(line).map(|(file, line)| (file, line, column)),
            parent: open.last().map(|(_, index)| *index),
        });
        open.push((depth, list.len() - 1));
    }
    Ok(())
}

/// [`read_input`], each program read by [`rows::read_with`] where it can
/// be with `fast`, by gimli alone without; each unit's functions'
/// subroutines read too with `copied` ([`read_nested`]).
fn read_input_with(
    read: &read::Dwarf<Reader<'_>>,
    fast: bool,
    copied: bool,
    whole: &[(Range<u64>, usize, u32)],
) -> Result<InputLines, Failure> {
    let mut lines = InputLines::default();
    // Compilers spend about ten bytes of line program per row; room for a
    // little more. Pages of it never written are never memory.
    lines
        .rows
        .reserve(gimli::Section::reader(&read.debug_line).len() / 8);
    let mut interned = HashMap::new();
    let mut nested = NestedRead::default();
    // Every unit's code ranges as (start, end, unit).
    let mut ranges: Vec<(u64, u64, usize)> = Vec::new();
    let mut headers = read.units();
    while let Some(header) = headers.next().map_err(Failure::read(".debug_info"))? {
        let unit = read
            .unit(header)
            .map_err(Failure::read(failing_section(read, &header)))?;
        let mut cursor = unit.entries();
        let root = cursor
            .next_dfs()
            .map_err(Failure::read(".debug_info"))?
            .ok_or(read::Error::MissingUnitDie)
            .map_err(Failure::read(".debug_info"))?;
        let unit_index = lines.comp_dirs.len();
        let unit_ranges = entries::input_ranges(unit.unit_ref(read), root)
            .map_err(Failure::read(".debug_ranges"))?;
        ranges.extend(unit_ranges.iter().map(|r| (r.start, r.end, unit_index)));
        let comp_dir = unit
            .comp_dir
            .map(|d| d.slice().to_vec())
            .unwrap_or_default();
        lines.comp_dirs.push(comp_dir.clone());
        lines.stmt_lists.push(
            unit.line_program
                .as_ref()
                .map(|program| program.header().offset().0 as u64),
        );
        if let Some(program) = unit.line_program.clone() {
            let reading = Reading {
                comp_dir: &comp_dir,
                unit: unit_index,
                fast,
                whole,
            };
            read_rows(read, program, &reading, &mut lines, &mut interned)
                .map_err(Failure::read(".debug_line"))?;
        }
        if copied {
            read_nested(
                read,
                &unit,
                &comp_dir,
                &mut lines,
                &mut interned,
                &mut nested,
            )
            .map_err(Failure::read(".debug_info"))?;
        }
    }
    nested.settle(&mut lines);
    lines.rows = sort_rows(std::mem::take(&mut lines.rows));
    ranges.sort_unstable();
    let mut reach = 0;
    lines.sorted = ranges
        .into_iter()
        .map(|range| {
            reach = reach.max(range.1);
            (range, reach)
        })
        .collect();
    if !lines.whole.is_empty() && !copies_hold(&lines, whole) {
        return read_input_with(read, fast, copied, &[]);
    }
    Ok(lines)
}

/// Whether the sequences `lines` took whole can be copied: each body they
/// describe is described by them alone (no row read of another sequence
/// falls in its code, which would be lost), and each goes in the program
/// of the unit it was read from, whose files it names (the unit that
/// holds the body's start, as [`Owners`] has it).
fn copies_hold(lines: &InputLines, whole: &[(Range<u64>, usize, u32)]) -> bool {
    let rows = &lines.rows;
    let read_into = |range: &Range<u64>| {
        let after = rows.starts.partition_point(|&start| start < range.start);
        let starts_inside = rows.starts.get(after).is_some_and(|&s| s < range.end);
        // A sequence without its end covers everything after its last
        // row.
        let reaches_in = after
            .checked_sub(1)
            .and_then(|before| rows.spans.get(before))
            .is_some_and(|span| {
                rows.addresses[span.end - 1] > range.start || rows.locs[span.end - 1].is_some()
            });
        starts_inside || reaches_in
    };
    lines.whole.iter().all(|copy| {
        whole_at(whole, copy.code).is_some_and(|(range, _, _)| {
            !read_into(range) && lines.unit_of(range.start) == Some(copy.unit)
        })
    })
}

/// The rows with their sequences put in address order. Sorted by
/// address, sequence ends first at an address (so that a sequence
/// starting where another ends wins the lookup), and otherwise in the
/// order they were read, the rows are every sequence's rows in that order
/// when a sequence's rows rise and no two sequences overlap: that sort,
/// done without comparing or moving rows. Anything else is sorted row by
/// row, into one sequence.
///
/// A `None` only ever ends a sequence, so within one every row but the
/// last has a location: whether the rows rise is read off their addresses
/// and the locations at the sequences' edges, not every location again
/// (15 MB of them, twice, for the large module the benchmarks link).
pub(super) fn sort_rows(rows: Rows) -> Rows {
    let Rows {
        addresses,
        locs,
        mut spans,
        ..
    } = rows;
    let key = |i: usize| (addresses[i], locs[i].is_some());
    let start = spans.last().map_or(0, |span| span.end);
    if start < locs.len() {
        spans.push(start..locs.len());
    }
    spans.sort_by_key(|span| addresses[span.start]);
    let rising = |span: &Range<usize>| {
        let last = span.end - 1;
        addresses[span.start..last].windows(2).all(|w| w[0] <= w[1])
            && (last == span.start || key(last - 1) <= key(last))
    };
    let joined = |w: &[Range<usize>]| key(w[0].end - 1) <= key(w[1].start);
    if spans.iter().all(rising) && spans.windows(2).all(joined) {
        let starts = spans.iter().map(|span| addresses[span.start]).collect();
        return Rows {
            addresses,
            locs,
            starts,
            spans,
        };
    }
    let mut order: Vec<usize> = (0..locs.len()).collect();
    order.sort_by_key(|&i| key(i));
    Rows {
        addresses: order.iter().map(|&i| addresses[i]).collect(),
        locs: order.iter().map(|&i| locs[i]).collect(),
        starts: order.first().map(|&i| addresses[i]).into_iter().collect(),
        spans: (!order.is_empty())
            .then_some(0..order.len())
            .into_iter()
            .collect(),
    }
}

/// The section that made a unit unreadable: its abbreviations, its line
/// program's header, or else the unit itself.
fn failing_section(
    read: &read::Dwarf<Reader<'_>>,
    header: &read::UnitHeader<Reader<'_>>,
) -> &'static str {
    let Ok(abbreviations) = read.abbreviations(header) else {
        return ".debug_abbrev";
    };
    let mut cursor = header.entries(&abbreviations);
    let root = match cursor.next_dfs() {
        Ok(Some(root)) => root,
        Err(read::Error::InvalidAbbreviationCode(_)) => return ".debug_abbrev",
        _ => return ".debug_info",
    };
    if let Some(gimli::AttributeValue::DebugLineRef(offset)) =
        root.attr_value(gimli::constants::DW_AT_stmt_list)
    {
        if read
            .debug_line
            .program(offset, header.address_size(), None, None)
            .is_err()
        {
            return ".debug_line";
        }
    }
    ".debug_info"
}

/// What reading one unit's line program needs to know.
struct Reading<'r> {
    comp_dir: &'r [u8],
    /// The unit's index in its input.
    unit: usize,
    /// Whether [`rows::read_with`] reads it where it can.
    fast: bool,
    /// The input's bodies whose sequences are taken whole.
    whole: &'r [(Range<u64>, usize, u32)],
}

/// Appends one line program's rows to `lines`: read by
/// [`rows::read_with`] when it can, by gimli when it cannot. The
/// sequences that describe a body of `reading.whole` are noted whole
/// instead, when [`rows::read_with`] reads the program.
fn read_rows(
    read: &read::Dwarf<Reader<'_>>,
    program: read::IncompleteLineProgram<Reader<'_>>,
    reading: &Reading<'_>,
    lines: &mut InputLines,
    interned: &mut HashMap<FileKey, u32>,
) -> read::Result<()> {
    let header = program.header();
    let mark = (lines.rows.addresses.len(), lines.files.len());
    let mut take = Take::new(read, header, reading.comp_dir);
    if reading.fast {
        let base = header
            .raw_program_buf()
            .offset_from(*gimli::Section::reader(&read.debug_line));
        let whole = reading.whole;
        let mut limit = |address: u64| whole_at(whole, address).map(|(range, _, _)| range.end);
        let mut copies = Vec::new();
        let mut note = |sequence: rows::Sequence| copies.push(sequence);
        let hooks = (!whole.is_empty()).then_some(rows::Whole {
            limit: &mut limit,
            take: &mut note,
        });
        let read = rows::read_with(header, |row| take.row(lines, interned, header, row), hooks)?;
        if read.is_some() {
            lines
                .whole
                .extend(copies.into_iter().filter_map(|sequence| {
                    let (range, body, start) = whole_at(whole, sequence.addresses.start)?;
                    Some(Copied {
                        ops: base + sequence.ops.start..base + sequence.ops.end,
                        address_at: base + sequence.address_at,
                        body: *body,
                        unit: reading.unit,
                        code: sequence.addresses.start,
                        address: start
                            + u32::try_from(sequence.addresses.start - range.start).ok()?,
                    })
                }));
            return Ok(());
        }
    }
    // Read again by gimli, from where this program started: what the
    // reader took of it is taken back, files it named first included.
    lines.rows.truncate(mark.0);
    lines.files.truncate(mark.1);
    interned.retain(|_, file| (*file as usize) < mark.1);
    let mut take = Take::new(read, header, reading.comp_dir);
    let mut rows = program.rows();
    while let Some((header, row)) = rows.next_row()? {
        take.row(lines, interned, header, &Row::of(row))?;
    }
    Ok(())
}

/// Takes one line program's rows into an input's lines, its files
/// interned.
struct Take<'r, 'a> {
    read: &'r read::Dwarf<Reader<'a>>,
    comp_dir: &'r [u8],
    /// The interned file of each file index the header lists, once asked;
    /// an index it does not list names no file and is looked up each time.
    files: Vec<Option<Option<u32>>>,
    /// Runs of rows name the same file: it is looked up once per run.
    last: Option<(u64, Option<u32>)>,
}

impl<'r, 'a> Take<'r, 'a> {
    fn new(
        read: &'r read::Dwarf<Reader<'a>>,
        header: &LineProgramHeader<Reader<'_>>,
        comp_dir: &'r [u8],
    ) -> Self {
        Take {
            read,
            comp_dir,
            files: vec![None; header.file_names().len() + 1],
            last: None,
        }
    }

    fn row(
        &mut self,
        lines: &mut InputLines,
        interned: &mut HashMap<FileKey, u32>,
        header: &LineProgramHeader<Reader<'_>>,
        row: &Row,
    ) -> read::Result<()> {
        if row.end_sequence {
            lines.rows.push(row.address, None);
            return Ok(());
        }
        let cached = self.last.filter(|(index, _)| *index == row.place.file);
        let slot = usize::try_from(row.place.file)
            .ok()
            .and_then(|index| self.files.get_mut(index));
        let file = match (cached.map(|(_, file)| file), slot) {
            (Some(file), _) => file,
            (None, Some(Some(file))) => *file,
            (None, slot) => {
                let file = file_key(self.read, header, self.comp_dir, row.place.file)?
                    .map(|key| intern(&mut lines.files, interned, key));
                if let Some(slot) = slot {
                    *slot = Some(file);
                }
                file
            }
        };
        self.last = Some((row.place.file, file));
        let loc = file.map(|file| row.place.with_file(file));
        lines.rows.push(row.address, loc);
        Ok(())
    }
}

/// The directory and name of file `index` of a line program.
fn file_key(
    read: &read::Dwarf<Reader<'_>>,
    header: &LineProgramHeader<Reader<'_>>,
    comp_dir: &[u8],
    index: u64,
) -> read::Result<Option<FileKey>> {
    let Some(file) = header.file(index) else {
        return Ok(None);
    };
    let name = read.attr_line_string(file.path_name())?.slice().to_vec();
    let mut directory = match file.directory(header) {
        Some(directory) => read.attr_line_string(directory)?.slice().to_vec(),
        None => Vec::new(),
    };
    // The compilation directory (directory 0, whose value gimli gives) is
    // kept as no directory, so that a file named in another unit's program
    // is not put under the compilation directory twice when that is
    // relative.
    if directory == comp_dir {
        directory.clear();
    }
    Ok(Some(FileKey {
        comp_dir: comp_dir.to_vec(),
        directory,
        name,
    }))
}

/// The index of `key` in `files`, added if new.
fn intern(files: &mut Vec<FileKey>, interned: &mut HashMap<FileKey, u32>, key: FileKey) -> u32 {
    *interned.entry(key).or_insert_with_key(|key| {
        files.push(key.clone());
        (files.len() - 1) as u32
    })
}

/// Which output bodies each input unit's line program describes: a body
/// belongs to the unit whose code holds its home function's start.
#[derive(Debug, Default)]
pub(super) struct Owners(BTreeMap<(usize, usize), Vec<usize>>);

impl Owners {
    /// The owners of `map`'s bodies, given each input's line rows.
    pub(super) fn new(map: &CodeMap, lines: &[Option<InputLines>]) -> Owners {
        let mut owners = Owners::default();
        for (index, body) in map.bodies.iter().enumerate() {
            let (Some(home), None) = map.lookup(body.start) else {
                continue;
            };
            let input = home.input as usize;
            let Some(Some(input_lines)) = lines.get(input) else {
                continue;
            };
            if let Some(unit) = input_lines.unit_of(u64::from(home.offset)) {
                owners.0.entry((input, unit)).or_default().push(index);
            }
        }
        owners
    }
}

/// A location for an output row: which input's table it came from.
type RowLoc<'l> = Option<(usize, &'l Loc)>;

/// Where a line table row points: a file, named as whoever holds the row
/// names files (an input program's file index, an input's file table, an
/// output program's), a line and column, and the row's flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Place<F> {
    pub(super) file: F,
    pub(super) line: u64,
    pub(super) column: u64,
    pub(super) is_stmt: bool,
    pub(super) prologue_end: bool,
    pub(super) epilogue_begin: bool,
    pub(super) discriminator: u64,
}

impl<F> Place<F> {
    /// The same place with its file named as `file`.
    pub(super) fn with_file<G>(&self, file: G) -> Place<G> {
        Place {
            file,
            line: self.line,
            column: self.column,
            is_stmt: self.is_stmt,
            prologue_end: self.prologue_end,
            epilogue_begin: self.epilogue_begin,
            discriminator: self.discriminator,
        }
    }
}

/// What an output line program is written through: gimli's `LineProgram`
/// when the unit is rebuilt, or the raw writer of [`super::program`] when
/// the unit's bytes are kept.
pub(super) trait Program {
    /// How the program names a file.
    type File: Copy + PartialEq;
    /// The program's file for `key`, added if new; `None` for a path that
    /// cannot be written.
    fn file(&mut self, key: &FileKey) -> Option<Self::File>;
    /// Starts a sequence at output address `address`.
    fn begin(&mut self, address: u64);
    /// Adds a row at `offset` bytes into the sequence.
    fn row(&mut self, offset: u64, row: Place<Self::File>);
    /// Ends the sequence `length` bytes after its start.
    fn end(&mut self, length: u64);
}

/// How a program takes a sequence read whole ([`Copied`]).
pub(super) type CopyInto<'c, P> = dyn FnMut(&mut P, &Copied) + 'c;

/// Fills `program` with one sequence per output body in `bodies`, the
/// bodies unit `key` owns, and says which builtin code was inlined into
/// them, each call's place named by the program's files.
///
/// With `copy`, a body whose sequences were read whole
/// ([`InputLines::whole`]) gets them through `copy`; without, the
/// context must have read none whole (their rows are not there).
pub(super) fn emit<P: Program>(
    program: &mut P,
    key: (usize, usize),
    context: &Context<'_>,
    mut copy: Option<&mut CopyInto<'_, P>>,
) -> Vec<Call<P::File>> {
    let Some(bodies) = context.owners.0.get(&key) else {
        return Vec::new();
    };
    let mut emitter = Emitter {
        program,
        files: Vec::new(),
        last: None,
        near: vec![(0, 0); context.lines.len()],
        context,
    };
    let mut calls = Vec::new();
    for &body in bodies {
        match (context.whole.get(&body), copy.as_mut()) {
            (Some(copies), Some(copy)) => {
                for copied in copies {
                    copy(emitter.program, copied);
                }
            }
            _ => emitter.sequence(body),
        }
        if context.inlined {
            emitter.calls(body, &mut calls);
        }
    }
    calls
}

/// The encoding every output line program is written with. The rows are
/// the output's own, at byte addresses, so the program is written with an
/// encoding of ours rather than the input's: an input header claiming a
/// minimum instruction length of 8, or a line base and range gimli cannot
/// encode rows with, describes only its own rows.
pub(super) const ENCODING: LineEncoding = LineEncoding {
    minimum_instruction_length: 1,
    maximum_operations_per_instruction: 1,
    default_is_stmt: true,
    line_base: -5,
    line_range: 14,
};

/// Converts the unit's line program header (files, directories) and fills
/// it with one sequence per output body the unit owns; gives the builtin
/// code inlined into them, as [`emit`] does.
pub(super) fn convert_program(
    unit: &mut ConvertUnit<'_, Reader<'_>>,
    key: (usize, usize),
    context: &Context<'_>,
) -> ConvertResult<Vec<Call<FileId>>> {
    let Some(convert) = unit.read_line_program(None, Some(ENCODING))? else {
        return Ok(Vec::new());
    };
    let (mut program, files) = convert.program();
    let comp_dir = unit
        .read_unit
        .comp_dir
        .map(|d| d.slice().to_vec())
        .unwrap_or_default();
    let mut writer = Converted {
        comp_dir,
        program: &mut program,
        line_strings: &mut *unit.line_strings,
    };
    let calls = emit(&mut writer, key, context, None);
    unit.set_line_program(program, files);
    Ok(calls)
}

/// A line program rebuilt with gimli.
struct Converted<'p> {
    /// The compilation directory of the unit whose program this is.
    comp_dir: Vec<u8>,
    program: &'p mut LineProgram,
    line_strings: &'p mut gimli::write::LineStringTable,
}

impl Program for Converted<'_> {
    type File = FileId;

    fn file(&mut self, key: &FileKey) -> Option<FileId> {
        let (directory, name) = (&key.directory_in(&self.comp_dir), &key.name);
        let encoding = self.program.encoding();
        usable(name).then(|| {
            let directory = if usable(directory) {
                let directory = LineString::new(directory.clone(), encoding, self.line_strings);
                self.program.add_directory(directory)
            } else {
                self.program.default_directory()
            };
            let name = LineString::new(name.clone(), encoding, self.line_strings);
            self.program.add_file(name, directory, None)
        })
    }

    fn begin(&mut self, address: u64) {
        self.program
            .begin_sequence(Some(Address::Constant(address)));
    }

    fn row(&mut self, offset: u64, row: Place<FileId>) {
        let out = self.program.row();
        out.address_offset = offset;
        out.file = row.file;
        out.line = row.line;
        out.column = row.column;
        out.is_statement = row.is_stmt;
        out.prologue_end = row.prologue_end;
        out.epilogue_begin = row.epilogue_begin;
        out.discriminator = row.discriminator;
        self.program.generate_row();
    }

    fn end(&mut self, length: u64) {
        self.program.end_sequence(length);
    }
}

/// An input's file (input, file index) and the program's file for it.
type Asked<F> = ((usize, u32), Option<F>);

/// Adds output sequences to one unit's line program.
struct Emitter<'p, 'c, P: Program> {
    program: &'p mut P,
    /// Input files already added to the program, by input and file.
    files: Vec<Vec<Option<Option<P::File>>>>,
    /// The last file asked for: runs of rows share one.
    last: Option<Asked<P::File>>,
    /// Where the last search of each input's rows ended.
    near: Vec<(usize, usize)>,
    context: &'c Context<'c>,
}

impl<P: Program> Emitter<'_, '_, P> {
    /// The sequence of output body `index`, if any of it has a location.
    fn sequence(&mut self, index: usize) {
        let context = self.context;
        let body = context.map.bodies[index].clone();
        let mut last: Option<Place<P::File>> = None;
        // Lent to the walk of the rows, which calls back into `self`.
        let mut near = std::mem::take(&mut self.near);
        body_rows(context, body.clone(), &mut near, |address, loc| {
            let Some(row) = self.row(loc, last) else {
                return;
            };
            if last.is_some_and(|prev| same_place(&prev, &row)) {
                return;
            }
            if last.is_none() {
                self.program.begin(u64::from(body.start));
            }
            self.program.row(u64::from(address - body.start), row);
            last = Some(row);
        });
        self.near = near;
        if last.is_some() {
            self.program.end(u64::from(body.end - body.start));
        }
    }

    /// Appends the inlined copies in output body `index` to `calls`, each
    /// followed by what its callee's compiler inlined into it.
    fn calls(&mut self, index: usize, calls: &mut Vec<Call<P::File>>) {
        let context = self.context;
        // Where each copy went in `calls`, by its index among the copies.
        let mut positions = Vec::new();
        for found in inlined::calls_in(context, context.map.bodies[index].clone()) {
            let at = loc_at(context, found.call.input, u64::from(found.call.offset))
                .and_then(|(input, loc)| Some((self.file(input, loc.file)?, loc.line, loc.column)));
            let position = calls.len();
            positions.push(position);
            calls.push(Call {
                out: found.out.clone(),
                callee: Named::Function(found.callee),
                at,
                parent: found
                    .parent
                    .and_then(|parent| positions.get(parent).copied()),
            });
            self.nested_calls(&found, position, calls);
        }
    }

    /// Appends the subroutines the compiler of copy `found` (at `position`
    /// in `calls`) inlined into its callee, as calls nested in it: one per
    /// run of the copy's code that came from a subroutine's (its bytes, or
    /// code standing for one of its instructions), since where the link
    /// put other code between (a nested copy) the subroutine is in pieces.
    /// Each goes in the piece of the one it was inlined into that holds
    /// it, else in the copy.
    fn nested_calls(
        &mut self,
        found: &inlined::Found,
        position: usize,
        calls: &mut Vec<Call<P::File>>,
    ) {
        let context = self.context;
        let (input, low_pc) = found.callee;
        let Some(nested) = context
            .lines
            .get(input)
            .and_then(Option::as_ref)
            .and_then(|lines| lines.nested.get(&low_pc))
        else {
            return;
        };
        let (Ok(start), Ok(end)) = (u32::try_from(found.out.start), u32::try_from(found.out.end))
        else {
            return;
        };
        // The copy's stretches of its callee's input: where each starts in
        // the input, its output code, and whether it is the input's bytes
        // (else it stands for the one instruction there, a call the link
        // wrote anew, say).
        let copied: Vec<(u64, Range<u64>, bool)> = context
            .map
            .stretches(start..end)
            .filter_map(|(stretch, mark)| {
                let (origin, bytes) = match mark.source {
                    Source::Copy(origin) => (origin, true),
                    Source::At(origin) => (origin, false),
                    Source::None => return None,
                };
                // A stretch may start inside a mark's (the copy's first).
                let into = if bytes { stretch.start - mark.out } else { 0 };
                let from = u64::from(origin.offset) + u64::from(into);
                (origin.input as usize == input).then(|| {
                    (
                        from,
                        u64::from(stretch.start)..u64::from(stretch.end),
                        bytes,
                    )
                })
            })
            .collect();
        // Each subroutine's pieces and their places in `calls`.
        let mut placed: Vec<Vec<(Range<u64>, usize)>> = Vec::with_capacity(nested.len());
        for subroutine in nested {
            let mut pieces: Vec<Range<u64>> = Vec::new();
            for range in &subroutine.ranges {
                for (from, out, bytes) in &copied {
                    if !bytes {
                        if range.contains(from) {
                            pieces.push(out.clone());
                        }
                        continue;
                    }
                    let to = from + (out.end - out.start);
                    let (start, end) = (range.start.max(*from), range.end.min(to));
                    if start < end {
                        pieces.push(out.start + (start - from)..out.start + (end - from));
                    }
                }
            }
            sort_and_merge(&mut pieces);
            let at = subroutine
                .at
                .and_then(|(file, line, column)| Some((self.file(input, file)?, line, column)));
            let mut mine = Vec::with_capacity(pieces.len());
            for piece in pieces {
                let parent = subroutine
                    .parent
                    .and_then(|parent| placed.get(parent))
                    .and_then(|pieces| {
                        pieces
                            .iter()
                            .find(|(out, _)| out.start <= piece.start && piece.end <= out.end)
                    })
                    .map_or(position, |(_, at)| *at);
                mine.push((piece.clone(), calls.len()));
                calls.push(Call {
                    out: piece,
                    callee: Named::Die(input, subroutine.origin),
                    at,
                    parent: Some(parent),
                });
            }
            placed.push(mine);
        }
    }

    /// The program row for `loc`; no location continues the previous
    /// row's file at line 0.
    fn row(&mut self, loc: RowLoc<'_>, last: Option<Place<P::File>>) -> Option<Place<P::File>> {
        match loc {
            Some((input, loc)) => Some(loc.with_file(self.file(input, loc.file)?)),
            None => Some(Place {
                file: last?.file,
                line: 0,
                column: 0,
                is_stmt: false,
                prologue_end: false,
                epilogue_begin: false,
                discriminator: 0,
            }),
        }
    }

    /// The program's file for file `file` of input `input`'s rows.
    fn file(&mut self, input: usize, file: u32) -> Option<P::File> {
        match self.last {
            Some((key, id)) if key == (input, file) => return id,
            _ => {}
        }
        let known = self.context.lines.get(input)?.as_ref()?;
        if self.files.len() <= input {
            self.files.resize_with(input + 1, Vec::new);
        }
        let slots = &mut self.files[input];
        if slots.is_empty() {
            slots.resize(known.files.len(), None);
        }
        if let Some(&Some(id)) = slots.get(file as usize) {
            self.last = Some(((input, file), id));
            return id;
        }
        let key = known.files.get(file as usize)?;
        let id = self.program.file(key);
        self.files[input][file as usize] = Some(id);
        self.last = Some(((input, file), id));
        id
    }
}

/// Whether a path can be a line program entry (gimli refuses empty ones
/// and ones holding a NUL).
pub(super) fn usable(path: &[u8]) -> bool {
    !path.is_empty() && !path.contains(&0)
}

/// Rows at the same place need not be repeated.
fn same_place<F: Copy + PartialEq>(a: &Place<F>, b: &Place<F>) -> bool {
    (a.file, a.line, a.column, a.is_stmt, a.discriminator)
        == (b.file, b.line, b.column, b.is_stmt, b.discriminator)
        && !b.prologue_end
        && !b.epilogue_begin
}

/// Calls `each` with the locations of output body `body`, by output
/// offset, in order: one at each stretch's start, and for a copy one
/// wherever its input's rows change inside it. Inlined code without a
/// location of its own takes the call site's.
fn body_rows<'c>(
    context: &'c Context<'_>,
    body: Range<u32>,
    near: &mut [(usize, usize)],
    each: impl FnMut(u32, RowLoc<'c>),
) {
    let mut rows = Pending { row: None, each };
    for (Range { start, end }, mark) in context.map.stretches(body) {
        // The call site's location, looked up only when a stretch has
        // none of its own.
        let mut site_loc = None;
        let mut site = || {
            *site_loc.get_or_insert_with(|| {
                mark.site
                    .and_then(|s| loc_at(context, s.input, u64::from(s.offset)))
            })
        };
        match mark.source {
            Source::None => {}
            Source::At(origin) => {
                let loc = loc_at(context, origin.input, u64::from(origin.offset));
                rows.push(start, loc.or_else(&mut site));
            }
            Source::Copy(origin) => {
                let from = u64::from(origin.offset) + u64::from(start - mark.out);
                let input = origin.input as usize;
                let (Some(Some(lines)), Some(near)) =
                    (context.lines.get(input), near.get_mut(input))
                else {
                    rows.push(start, site());
                    continue;
                };
                let (loc, inside) = lines.covering(from..from + u64::from(end - start), near);
                let loc = loc.map(|loc| (origin.input as usize, loc));
                rows.push(start, loc.or_else(&mut site));
                for (address, loc) in inside {
                    let at = start + (address - from) as u32;
                    let loc = loc.map(|loc| (origin.input as usize, loc));
                    rows.push(at, loc.or_else(&mut site));
                }
            }
        }
    }
    rows.finish();
}

/// The location covering `address` in input `input`'s rows.
fn loc_at<'c>(context: &'c Context<'_>, input: u32, address: u64) -> RowLoc<'c> {
    let lines = context.lines.get(input as usize)?.as_ref()?;
    lines.at(address).map(|loc| (input as usize, loc))
}

/// Rows on their way out, the last held back: a later row at the same
/// offset replaces it.
struct Pending<'l, F: FnMut(u32, RowLoc<'l>)> {
    row: Option<(u32, RowLoc<'l>)>,
    each: F,
}

impl<'l, F: FnMut(u32, RowLoc<'l>)> Pending<'l, F> {
    fn push(&mut self, at: u32, loc: RowLoc<'l>) {
        match &mut self.row {
            Some(held) if held.0 == at => held.1 = loc,
            held => {
                if let Some((at, loc)) = held.replace((at, loc)) {
                    (self.each)(at, loc);
                }
            }
        }
    }

    fn finish(mut self) {
        if let Some((at, loc)) = self.row.take() {
            (self.each)(at, loc);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::{read_input, read_input_with, sort_rows, whole_bodies, InputLines, Loc, Rows};
    use crate::debug::dwarf::rows::{self, Row};
    use crate::debug::dwarf::tests;
    use crate::debug::map::{CodeMap, Mark, Origin, Source};

    /// Only a body copied in one piece from code nothing else of the
    /// output came from, or was inlined at, has its rows copied.
    #[test]
    fn only_bodies_copied_whole_from_code_named_once_are_copied() {
        let at = |input, offset| Origin { input, offset };
        let mark = |out, source, site| Mark { out, source, site };
        let copy = |offset| Source::Copy(at(1, offset));
        let map = CodeMap {
            marks: vec![
                // 0: copied whole.
                mark(0, copy(100), None),
                // 1: copied whole, but 2 holds a copy of part of it.
                mark(50, copy(200), None),
                mark(100, Source::At(at(1, 190)), None),
                mark(101, copy(210), Some(at(1, 400))),
                mark(105, copy(192), None),
                // 3: copied whole, but code was inlined at a call in it.
                mark(150, copy(300), None),
                mark(200, Source::At(at(0, 5)), Some(at(1, 320))),
                // 5: copied whole from another input; 6 inlines other
                // code of that input.
                mark(210, Source::Copy(at(0, 20)), None),
                mark(230, Source::Copy(at(0, 45)), Some(at(1, 500))),
                // 7: two bodies copied from the same code.
                mark(240, copy(600), None),
                // 9: the code of 1 stands for one instruction.
                mark(280, Source::At(at(1, 560)), None),
            ],
            end: 300,
            bodies: vec![
                0..50,
                50..100,
                100..110,
                150..200,
                200..210,
                210..230,
                230..240,
                240..260,
                260..280,
                280..300,
            ],
        };
        // Body 8 is a second copy of what body 7 copied.
        let mut map = map;
        map.marks.insert(10, mark(260, copy(600), None));
        let whole = whole_bodies(&map, 2);
        assert_eq!(whole[0], vec![(20..40, 5, 210)]);
        assert_eq!(whole[1], vec![(100..150, 0, 0)]);
    }

    /// A body's sequences are copied, and their rows not read, only where
    /// they describe its code alone: where rows read fall in its code
    /// too, the input is read again without copies, as if none had been
    /// asked for.
    #[test]
    fn sequences_are_copied_only_where_they_describe_their_body_alone() {
        let app = tests::parse(tests::APP);
        let dwarf = tests::load(&app.sections);
        let body = |i: usize| {
            let code = &app.bodies[i];
            (u64::from(code.start)..u64::from(code.end), i, code.start)
        };
        let every: Vec<_> = (0..app.bodies.len()).map(body).collect();
        let none = read_input(&dwarf, false, &[]).unwrap();
        let copied = read_input(&dwarf, false, &every).unwrap();
        let rows_in = |lines: &InputLines, code: &std::ops::Range<u64>| {
            lines
                .rows
                .addresses
                .iter()
                .filter(|a| code.contains(a))
                .count()
        };
        let bodies: BTreeSet<usize> = copied.whole.iter().map(|copy| copy.body).collect();
        assert!(bodies.len() >= 3, "{bodies:?}");
        for copy in &copied.whole {
            let (code, _, start) = &every[copy.body];
            assert_eq!(rows_in(&copied, code), 0, "{copy:?}");
            assert!(rows_in(&none, code) > 0, "{copy:?}");
            // Where they were: the address is the input's.
            let at = copy.address_at;
            let address = &tests::section(&app.sections, ".debug_line")[at..at + 4];
            assert_eq!(
                u32::from_le_bytes(address.try_into().unwrap()),
                copy.address
            );
            assert!(copy.address >= *start);
        }
        assert!(copied.rows.addresses.len() < none.rows.addresses.len());
        // Two bodies in a row whose sequences are copied: one claimed from
        // its second byte to the end of the next is described by rows
        // read (the first body's) as well as by a copy (the second's).
        let k = (0..app.bodies.len() - 1)
            .find(|k| bodies.contains(k) && bodies.contains(&(k + 1)))
            .unwrap();
        let next = read_input(&dwarf, false, &[body(k + 1)]).unwrap();
        assert!(!next.whole.is_empty());
        let (first, second) = (body(k), body(k + 1));
        let both = (first.0.start + 1..second.0.end, k, first.2 + 1);
        assert_eq!(read_input(&dwarf, false, &[both]).unwrap(), none);
    }

    fn loc(line: u64) -> Option<Loc> {
        Some(Loc {
            file: 0,
            line,
            column: 0,
            is_stmt: true,
            prologue_end: false,
            epilogue_begin: false,
            discriminator: 0,
        })
    }

    /// Sequences put in order must give what sorting every row gives,
    /// whether they lie apart, touch, overlap or repeat an address, and
    /// when the last one has no end: the same rows in the same order, and
    /// the same answer to every lookup.
    #[test]
    fn sorting_sequences_is_sorting_rows() {
        let mut next = crate::debug::dwarf::below(7);
        let mut apart = 0;
        for case in 0..2000 {
            let mut rows = Vec::new();
            let sequences = 1 + next(6);
            let mut starts: Vec<u64> = (0..sequences).map(|i| i * 40).collect();
            // Shuffle the sequences; every fourth case lets them overlap.
            for i in (1..starts.len()).rev() {
                starts.swap(i, next(i as u64 + 1) as usize);
            }
            for start in starts {
                let mut address = start + if case % 4 == 0 { next(50) } else { 0 };
                for _ in 0..next(6) {
                    rows.push((address, loc(next(100))));
                    address += next(3);
                }
                rows.push((address + next(2), None));
            }
            // Every fifth case, the last sequence read lacks its end.
            if case % 5 == 0 {
                rows.pop();
            }
            let mut expected = rows.clone();
            expected.sort_by_key(|(address, loc)| (*address, loc.is_some()));
            let mut read = Rows::default();
            for &(address, loc) in &rows {
                read.push(address, loc);
            }
            let sorted = sort_rows(read);
            let owned = |(address, loc): (u64, Option<&Loc>)| (address, loc.copied());
            let all: Vec<_> = sorted.from(sorted.position(|_| false)).map(owned).collect();
            assert_eq!(all, expected, "case {case}: {rows:?}");
            // Asked in address order, and then in no order, each search
            // starting where the one before ended.
            let mut addresses: Vec<u64> = (0..300).collect();
            let mut near = (0, 0);
            for order in 0..2 {
                if order == 1 {
                    for i in (1..addresses.len()).rev() {
                        addresses.swap(i, next(i as u64 + 1) as usize);
                    }
                }
                for &address in &addresses {
                    let i = expected.partition_point(|r| r.0 <= address);
                    let at = i.checked_sub(1).and_then(|i| expected[i].1);
                    assert_eq!(
                        sorted.at(address).copied(),
                        at,
                        "case {case} at {address}: {rows:?}"
                    );
                    for end in address..address + 9 {
                        let last = expected.partition_point(|r| r.0 < end);
                        let (covering, inside) = sorted.covering(address..end, &mut near);
                        assert_eq!(covering.copied(), at, "case {case} at {address}: {rows:?}");
                        let inside: Vec<_> = inside.map(owned).collect();
                        assert_eq!(inside, expected[i..last.max(i)], "case {case}: {rows:?}");
                    }
                }
            }
            apart += usize::from(case % 4 != 0);
        }
        assert!(apart > 1000);
    }

    /// A program the fast reader gives up on part way is read again by
    /// gimli from its start, and what the fast reader took of it (rows,
    /// files named first) is taken back: every input reads as gimli alone
    /// reads it. The damage must make the reader give up after rows, or
    /// nothing was taken back.
    #[test]
    fn a_program_given_up_part_way_reads_as_gimli_reads_it() {
        let rust = tests::parse(tests::RUST);
        let sections: Vec<(String, Vec<u8>)> = rust
            .sections
            .iter()
            .map(|(name, data)| (name.to_string(), data.to_vec()))
            .collect();
        let line = sections
            .iter()
            .position(|(n, _)| n == ".debug_line")
            .unwrap();
        let mut next = crate::debug::dwarf::below(23);
        let (mut given_up, mut compared) = (0, 0);
        for case in 0..400 {
            let mut damaged = sections.clone();
            let section = &mut damaged[line].1;
            let at = 60 + next(section.len() as u64 - 60) as usize;
            section[at] = [0x00, 0x0d, 0xff, next(256) as u8][case % 4];
            let dwarf = tests::load(&tests::owned(&damaged));
            for offset in tests::program_offsets(&damaged[line].1) {
                let offset = gimli::DebugLineOffset(offset);
                let Ok(program) = dwarf.debug_line.program(offset, 4, None, None) else {
                    break;
                };
                let mut taken: Vec<Row> = Vec::new();
                if rows::read(program.header(), &mut taken).is_none() && !taken.is_empty() {
                    given_up += 1;
                }
            }
            let ours = read_input(&dwarf, false, &[]).ok();
            let theirs = read_input_with(&dwarf, false, false, &[]).ok();
            assert_eq!(ours, theirs, "case {case}: byte {at}");
            compared += usize::from(theirs.is_some());
        }
        assert!(
            given_up > 20 && compared > 100,
            "{given_up} given up, {compared} read"
        );
    }
}
