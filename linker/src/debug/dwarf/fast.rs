//! DWARF 2–4 rewritten by patching its bytes instead of rebuilding it.
//!
//! Rebuilding every DIE through gimli's writer costs far more than the
//! link itself on a module with tens of megabytes of DWARF, yet moving code
//! changes few bytes of `.debug_info`: the code addresses (4-byte
//! `DW_FORM_addr` values and `DW_AT_high_pc` lengths of a fixed width) and
//! the offsets into the sections that are written anew. So each unit is
//! copied as it is and only those bytes are patched: range and location
//! lists are written again with their ranges mapped (absolute addresses,
//! after a base address selection where the unit's base is not 0), each
//! line program keeps its header's file table (so `DW_AT_decl_file` still
//! names the right file) and gets rows built from the output's side like
//! the converted path's, string and abbreviation offsets move by where
//! their input's section starts in the output.
//!
//! Code that is gone keeps its DIE, with the tombstone address `0xffffffff`
//! and an empty range, as `wasm-ld` leaves the DIEs of functions it drops.
//! Builtin code the link inlined is described by DIEs added afterwards
//! ([`insert`]), which is the one step that moves DIEs.
//!
//! Anything outside that shape (DWARF 5's sections and forms, 64-bit
//! DWARF, a DIE whose code now lies in several places but has room for one
//! range, a reference to a section this does not write, bytes that do not
//! parse, a DIE offset in an expression where DIEs are added) makes
//! [`walk`], [`Walk::finish`], [`Lines::finish`] or [`finish`] answer
//! `None`, and the link is converted through gimli instead, which also
//! decides what to drop from malformed inputs and warns. What is only
//! copied (a DIE reference, a string offset into a section that stays where
//! it was) is not checked: an input that gets one wrong passes it on
//! unchanged.
//!
//! The work is shared between threads in fixed pieces (parts of about
//! [`PART`] bytes of units, one line program each, copies of [`COPY`]
//! bytes), so the bytes written never depend on how many threads there
//! are or which took what.

use std::collections::hash_map::{Entry, HashMap};
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use gimli::constants as dw;

use super::bytes::{block_width, Bytes};
use super::entries::{map_ranges, map_ranges_into};
use super::forward::Forward;
use super::inlined::{Call, Callee};
use super::insert;
use super::lines;
use super::program::RawProgram;
use super::Context;
use crate::debug::map::CodeMap;
use crate::debug::DebugInput;

/// The address DIEs of code that is gone are given.
const TOMBSTONE: u32 = u32::MAX;

/// Sections whose presence means the input is not DWARF 2–4 as this path
/// reads it.
const UNSUPPORTED: &[&str] = &[
    ".debug_types",
    ".debug_line_str",
    ".debug_str_offsets",
    ".debug_addr",
    ".debug_rnglists",
    ".debug_loclists",
];

/// Units are walked in parts of about this much `.debug_info`, whichever
/// thread is free taking the next: fixed parts, so the output is the same
/// however many threads there are. The unit tests' inputs are small, so
/// they use small parts, which puts lists of several parts together.
const PART: usize = if cfg!(test) { 256 } else { 1 << 20 };

/// The DIEs of the inputs `indices` (into `inputs`), to be patched for
/// `map` by [`Walk::work`], in a new output `buf`: the module `module`
/// followed by the output's `.debug_info`, `.debug_abbrev` and
/// `.debug_str` as custom sections, the DIEs where they were in the inputs
/// (one after another), and room for what [`finish`] appends after
/// [`Lines::work`] has written the line programs (it needs every input's
/// line rows, which can be read meanwhile).
///
/// `buf` starts as zeros that are not yet memory: the kernel supplies a
/// fresh allocation's pages as they are first written, and writing tens
/// of megabytes there costs far more than writing memory in use. So
/// nothing is copied here: the module, the tables and each part's units
/// are copied by [`Walk::work`], on whichever thread takes them, each
/// part's just before it is patched, while it is in cache. `None` when
/// some input's DWARF is not of the shape this path handles.
pub(super) fn walk<'o, 'a: 'o>(
    inputs: &[DebugInput<'a>],
    indices: &[usize],
    map: &CodeMap,
    module: &'o [u8],
    buf: &'o mut Vec<u8>,
    watch: bool,
) -> Option<Walk<'o, 'a>> {
    let sections = indices
        .iter()
        .map(|&index| Some((index, InputSections::of(&inputs[index])?)))
        .collect::<Option<Vec<_>>>()?;
    let total = |of: Section| -> usize { sections.iter().map(|(_, s)| of(s).len()).sum() };
    let info_header = section_header(".debug_info", total(|s| s.info))?;
    // The abbreviation and string tables, each input's after another.
    let mut tables: Vec<(Vec<u8>, Vec<&'a [u8]>)> = Vec::new();
    let of_abbrev: fn(&InputSections<'a>) -> &'a [u8] = |s| s.abbrev;
    let of_str: fn(&InputSections<'a>) -> &'a [u8] = |s| s.str;
    for (name, of) in [(".debug_abbrev", of_abbrev), (".debug_str", of_str)] {
        let pieces: Vec<&'a [u8]> = sections.iter().map(|(_, s)| of(s)).collect();
        let size = pieces.iter().map(|piece| piece.len()).sum();
        if size > 0 {
            tables.push((section_header(name, size)?, pieces));
        }
    }
    let fixed = module.len()
        + info_header.len()
        + total(|s| s.info)
        + tables
            .iter()
            .map(|(header, pieces)| header.len() + pieces.iter().map(|p| p.len()).sum::<usize>())
            .sum::<usize>();
    // What `finish` appends comes out about as large as the inputs'
    // sections; room for that, and it grows if it has to. The unit tests
    // leave too little, so that growing is tested too.
    let rest = total(|s| s.line) + total(|s| s.ranges) + total(|s| s.loc);
    let room = if cfg!(test) {
        rest / 2
    } else {
        rest + rest / 8 + 3 * 32
    };
    *buf = vec![0; fixed + room];
    let (module_out, rest) = buf.split_at_mut(module.len());
    let mut copies = chunks(module_out, module);
    let (header, rest) = rest.split_at_mut(info_header.len());
    header.copy_from_slice(&info_header);
    let info_start = module.len() + info_header.len();
    let (mut info_out, mut rest) = rest.split_at_mut(total(|s| s.info));
    for (table_header, pieces) in &tables {
        let (header, after) = rest.split_at_mut(table_header.len());
        header.copy_from_slice(table_header);
        rest = after;
        for piece in pieces {
            let (table, after) = rest.split_at_mut(piece.len());
            copies.extend(chunks(table, piece));
            rest = after;
        }
    }
    let mut parts = Vec::new();
    let (mut abbrev, mut info, mut str) = (0usize, 0usize, 0usize);
    let mut walk = Walk {
        copies: Default::default(),
        parts: Default::default(),
        done: Default::default(),
        count: 0,
        info_start,
        end: fixed,
        info_bases: BTreeMap::new(),
        watch,
    };
    for (index, input) in &sections {
        let bases = Bases {
            abbrev: u32::try_from(abbrev).ok()?,
            info: u32::try_from(info).ok()?,
            str: u32::try_from(str).ok()?,
        };
        walk.info_bases.insert(*index, bases.info);
        abbrev += input.abbrev.len();
        info += input.info.len();
        str += input.str.len();
        let forward = Forward::new(map, *index as u32, &inputs[*index].bodies);
        // Whole units, at least `PART` bytes of them per part.
        let mut units = Bytes::at(input.info, 0)?;
        let (mut start, mut first_unit, mut unit) = (0, 0, 0);
        while !units.is_empty() {
            let length = units.u32()?;
            if length >= 0xffff_fff0 {
                return None;
            }
            units.skip(length as usize)?;
            unit += 1;
            let end = units.position();
            if end - start >= PART || units.is_empty() {
                let (bytes, after) = info_out.split_at_mut(end - start);
                info_out = after;
                parts.push(Part {
                    input: *index,
                    sections: input.clone(),
                    bases: bases.clone(),
                    units: start..end,
                    first_unit,
                    forward: forward.beside(),
                    info: bytes,
                });
                (start, first_unit) = (end, unit);
            }
        }
    }
    walk.count = parts.len();
    // Both are taken from the back: the first ones first.
    parts.reverse();
    copies.reverse();
    walk.parts = Mutex::new(parts);
    walk.copies = Mutex::new(copies);
    Some(walk)
}

/// How much of a copy one thread takes at a time.
const COPY: usize = if cfg!(test) { 64 } else { 1 << 20 };

/// `from` to be copied to `to` (as long), in pieces any thread may take.
fn chunks<'o>(to: &'o mut [u8], from: &'o [u8]) -> Vec<(&'o mut [u8], &'o [u8])> {
    to.chunks_mut(COPY).zip(from.chunks(COPY)).collect()
}

/// The walk of every input's DIEs, in parts any thread may take.
pub(super) struct Walk<'o, 'a> {
    /// Bytes not yet copied, the next last.
    copies: Mutex<Vec<(&'o mut [u8], &'o [u8])>>,
    /// The parts not yet taken, the next last.
    parts: Mutex<Vec<Part<'o, 'a>>>,
    /// What each part taken gave, by its place among the parts.
    done: Mutex<Vec<(usize, Option<PartOut>)>>,
    count: usize,
    info_start: usize,
    /// Where the sections [`finish`] appends start.
    end: usize,
    /// Where each input's units start in the output's `.debug_info`.
    info_bases: BTreeMap<usize, u32>,
    /// Whether the parts note what [`insert`] needs.
    watch: bool,
}

/// Some whole units of one input, and their copy in the output.
struct Part<'o, 'a> {
    input: usize,
    sections: InputSections<'a>,
    bases: Bases,
    /// Their bytes in the input's `.debug_info`.
    units: Range<usize>,
    /// The index of the first among the input's units.
    first_unit: usize,
    forward: Forward,
    info: &'o mut [u8],
}

impl<'a> Walk<'_, 'a> {
    /// Walks parts until none is left; any number of threads may call it
    /// at once.
    pub(super) fn work(&self) {
        // The guard goes with the closure: no copy is made under the lock.
        while let Some((to, from)) = self.copies.lock().ok().and_then(|mut c| c.pop()) {
            to.copy_from_slice(from);
        }
        loop {
            let next = self.parts.lock().ok().and_then(|mut parts| {
                let part = parts.pop()?;
                Some((self.count - 1 - parts.len(), part))
            });
            let Some((place, part)) = next else {
                return;
            };
            let out = part.walk(self.watch);
            let failed = out.is_none();
            if let Ok(mut done) = self.done.lock() {
                done.push((place, out));
            }
            if failed {
                // The whole walk is given up: leave the rest.
                if let Ok(mut parts) = self.parts.lock() {
                    parts.clear();
                }
            }
        }
    }

    /// What the parts wrote, put together in order; `None` if one of them
    /// gave up.
    pub(super) fn finish(self) -> Option<Walked> {
        let mut done = self.done.into_inner().ok()?;
        if done.len() != self.count {
            return None;
        }
        done.sort_by_key(|(place, _)| *place);
        let mut walked = Walked {
            info_start: self.info_start,
            end: self.end,
            info_bases: self.info_bases,
            ..Walked::default()
        };
        let (mut ranges_size, mut loc_size) = (0usize, 0usize);
        let mut watched = Watched::default();
        // Room for every part's references at once: grown a part at a
        // time, they would be copied into fresh memory again and again.
        let refs = done
            .iter()
            .flat_map(|(_, out)| out.as_ref())
            .map(|out| out.watched.refs.len());
        watched.refs.reserve_exact(refs.sum());
        for (_, out) in done {
            let out = out?;
            watched.refs.extend(out.watched.refs);
            watched.naming |= out.watched.naming;
            let ranges = u32::try_from(ranges_size).ok()?;
            let loc = u32::try_from(loc_size).ok()?;
            for (at, list) in out.lists {
                let base = match list {
                    List::Ranges => ranges,
                    List::Loc => loc,
                };
                if base != 0 {
                    walked.rebase.push((at, base));
                }
            }
            ranges_size += out.ranges.len();
            loc_size += out.loc.len();
            walked.ranges.push(out.ranges);
            walked.loc.push(out.loc);
            walked.stmt_lists.extend(out.stmt_lists);
        }
        walked.watched = self.watch.then_some(watched);
        Some(walked)
    }
}

impl Part<'_, '_> {
    /// Copies the part's units to the output and patches them there,
    /// noting what [`insert`] needs with `watch`.
    fn walk(self, watch: bool) -> Option<PartOut> {
        self.info
            .copy_from_slice(self.sections.info.get(self.units.clone())?);
        // The part's lists come out about its share of the input's:
        // room for that, so they are not copied as they grow.
        let share = |section: &[u8]| {
            let info = self.sections.info.len().max(1) as u128;
            let part = self.units.len() as u128;
            (section.len() as u128 * part / info) as usize * 9 / 8
        };
        let mut walker = Walker {
            watch,
            info: self.info,
            origin: self.bases.info as usize + self.units.start,
            out: PartOut {
                ranges: Vec::with_capacity(share(self.sections.ranges)),
                loc: Vec::with_capacity(share(self.sections.loc)),
                ..PartOut::default()
            },
        };
        walker.units(
            self.input,
            &self.sections,
            &self.bases,
            self.units,
            self.first_unit,
            &self.forward,
        )?;
        Some(walker.out)
    }
}

/// Each unit's output line program, by input and unit index: the input
/// program's offset (which the unit names), the output program, and the
/// builtin code inlined into the unit's bodies.
pub(super) type Programs = BTreeMap<(usize, usize), (u32, [Vec<u8>; 2], Vec<Call<u64>>)>;

/// The line programs of every unit of the inputs `indices` that has one,
/// its header's tables kept and its rows built from the output's side, to
/// be written by [`Lines::work`] on any number of threads.
pub(super) fn lines<'c>(
    inputs: &[DebugInput<'c>],
    indices: &[usize],
    context: &'c Context<'c>,
) -> Option<Lines<'c>> {
    let mut units = Vec::new();
    for &index in indices {
        let lines = context.lines.get(index)?.as_ref()?;
        let debug_line = InputSections::of(&inputs[index])?.line;
        for (unit, offset) in lines.stmt_lists.iter().enumerate() {
            if let Some(offset) = *offset {
                let comp_dir = lines.comp_dirs.get(unit)?;
                units.push(LineUnit {
                    key: (index, unit),
                    offset: u32::try_from(offset).ok()?,
                    comp_dir,
                    debug_line,
                });
            }
        }
    }
    Some(Lines {
        units,
        next: AtomicUsize::new(0),
        written: Mutex::new(Some(Programs::new())),
        context,
    })
}

/// The line programs to write, taken one unit at a time by whichever
/// thread is free.
pub(super) struct Lines<'c> {
    units: Vec<LineUnit<'c>>,
    /// The next unit no thread has taken.
    next: AtomicUsize,
    /// The programs written, or `None` once one could not be.
    written: Mutex<Option<Programs>>,
    context: &'c Context<'c>,
}

/// One unit whose line program is to be written.
struct LineUnit<'c> {
    key: (usize, usize),
    /// Its input program's offset in the input's `.debug_line`.
    offset: u32,
    comp_dir: &'c [u8],
    debug_line: &'c [u8],
}

impl Lines<'_> {
    /// Writes programs until none is left; any number of threads may call
    /// it at once.
    pub(super) fn work(&self) {
        loop {
            let Some(unit) = self.units.get(self.next.fetch_add(1, Ordering::Relaxed)) else {
                return;
            };
            let program = write_program(unit, self.context);
            let Ok(mut written) = self.written.lock() else {
                return;
            };
            match (program, written.as_mut()) {
                (Some((program, calls)), Some(programs)) => {
                    programs.insert(unit.key, (unit.offset, program, calls));
                }
                // One program that cannot be written gives the whole
                // patching path up: leave the rest.
                _ => {
                    *written = None;
                    self.next.store(self.units.len(), Ordering::Relaxed);
                    return;
                }
            }
        }
    }

    /// Every unit's program, by input and unit index; `None` when one
    /// could not be written.
    pub(super) fn finish(self) -> Option<Programs> {
        let programs = self.written.into_inner().ok()??;
        (programs.len() == self.units.len()).then_some(programs)
    }
}

/// A unit's output line program, and the inlined calls in its bodies.
type Written = ([Vec<u8>; 2], Vec<Call<u64>>);

/// One unit's output line program, and the inlined calls in its bodies.
fn write_program(unit: &LineUnit<'_>, context: &Context<'_>) -> Option<Written> {
    let mut program = RawProgram::new(unit.debug_line, u64::from(unit.offset), unit.comp_dir)?;
    let mut copy = |program: &mut RawProgram, copied: &lines::Copied| {
        program.copy(unit.debug_line, copied);
    };
    let calls = lines::emit(&mut program, unit.key, context, Some(&mut copy));
    Some((program.finish()?, calls))
}

/// The output's other `.debug_*` sections written to `buf` after what
/// [`walk`] put there, with the line programs put where the units it
/// copied point, and `buf` cut to its end. With `threads`, two threads
/// copy them. `None` as for [`walk`]; otherwise what the walk found, for
/// [`describe_inlined`].
pub(super) fn finish(
    walked: Walked,
    programs: &Programs,
    buf: &mut Vec<u8>,
    threads: bool,
) -> Option<Walked> {
    let info = buf.get_mut(walked.info_start..)?;
    for &(at, base) in &walked.rebase {
        let offset = u32::from_le_bytes(info.get(at..at + 4)?.try_into().ok()?);
        patch(info, at, offset.checked_add(base)?);
    }
    let mut line = Vec::with_capacity(walked.stmt_lists.len());
    let mut line_size = 0;
    for &(at, input, unit, named) in &walked.stmt_lists {
        let (read, program, _) = programs.get(&(input, unit))?;
        if *read != named {
            return None;
        }
        patch(info, at, u32::try_from(line_size).ok()?);
        line.extend(program.iter().map(Vec::as_slice));
        line_size += program.iter().map(Vec::len).sum::<usize>();
    }
    let sections = [
        (".debug_line", line),
        (
            ".debug_ranges",
            walked.ranges.iter().map(Vec::as_slice).collect(),
        ),
        (".debug_loc", walked.loc.iter().map(Vec::as_slice).collect()),
    ];
    let mut headers = Vec::new();
    for (name, parts) in &sections {
        let size = parts.iter().map(|part| part.len()).sum();
        if size > 0 {
            headers.push((section_header(name, size)?, parts));
        }
    }
    let pieces: Vec<&[u8]> = headers
        .iter()
        .flat_map(|(header, parts)| std::iter::once(header.as_slice()).chain(parts.iter().copied()))
        .collect();
    let end = walked.end + pieces.iter().map(|piece| piece.len()).sum::<usize>();
    if buf.len() < end {
        buf.resize(end, 0);
    }
    buf.truncate(end);
    let tail = &mut buf[walked.end..];
    // Two halves of about the same size, the second on a thread of its own.
    let half = tail.len() / 2;
    let mut size = 0;
    let split = pieces
        .iter()
        .position(|piece| {
            size += piece.len();
            size > half
        })
        .unwrap_or(pieces.len());
    let (first, second) = pieces.split_at(if threads { split } else { pieces.len() });
    let (to_first, to_second) = tail.split_at_mut(first.iter().map(|piece| piece.len()).sum());
    std::thread::scope(|scope| {
        if !second.is_empty() {
            scope.spawn(|| copy_pieces(to_second, second));
        }
        copy_pieces(to_first, first);
    });
    Some(walked)
}

/// Once [`finish`] has written the DWARF after `module_end` in `buf`,
/// adds the inlined calls of the line programs' units to it, naming the
/// callees' DIEs `targets` gives ([`insert`]), on two threads with
/// `threads`; `None` when that cannot be done.
pub(super) fn describe_inlined(
    walked: &Walked,
    programs: &Programs,
    targets: &BTreeMap<Callee, u64>,
    module_end: usize,
    buf: &mut Vec<u8>,
) -> Option<()> {
    let mut calls: Vec<insert::UnitCalls> = Vec::new();
    for &(at, input, unit, _) in &walked.stmt_lists {
        let (_, _, unit_calls) = programs.get(&(input, unit))?;
        if unit_calls.is_empty() {
            continue;
        }
        let origins = unit_calls
            .iter()
            .map(|call| {
                let offset = call.callee.offset(targets)?;
                let base = walked.info_bases.get(&call.callee.input())?;
                u32::try_from(u64::from(*base) + offset).ok()
            })
            .collect();
        calls.push((at, unit_calls.clone(), origins));
    }
    if calls.is_empty() {
        return Some(());
    }
    calls.sort_by_key(|(at, _, _)| *at);
    let sections = custom_sections(buf, module_end)?;
    let find = |name: &str| {
        sections
            .iter()
            .find(|(n, _, _)| *n == name)
            .map_or(&[][..], |(_, _, contents)| &buf[contents.clone()])
    };
    let read = insert::Sections {
        info: find(".debug_info"),
        abbrev: find(".debug_abbrev"),
        ranges: find(".debug_ranges"),
    };
    // Only a walk that watched noted what the insertion needs.
    let watched = walked.watched.as_ref()?;
    let Some(written) = insert::insert(&read, calls, watched)? else {
        return Some(());
    };
    // Where each section goes: only `.debug_info` and `.debug_abbrev`
    // grow, so each starts where it was or later.
    let info_size = written.size;
    let mut layout = Vec::with_capacity(sections.len());
    let mut at = module_end;
    for (name, whole, contents) in &sections {
        let size = match *name {
            ".debug_info" => info_size,
            ".debug_abbrev" => contents.len() + written.abbrev.len(),
            _ => contents.len(),
        };
        let header = section_header(name, size)?;
        if at < whole.start {
            return None;
        }
        layout.push((name.to_string(), contents.clone(), header, at));
        at += layout.last()?.2.len() + size;
    }
    // Moved in place, the last section first: each moves to where it was
    // or later, over sections already moved, never over one not yet read.
    buf.resize(at, 0);
    for (name, contents, header, start) in layout.iter().rev() {
        let to = start + header.len();
        match name.as_str() {
            ".debug_info" => written.write_info(buf, contents.start, to, &watched.refs)?,
            ".debug_abbrev" => {
                buf.copy_within(contents.clone(), to);
                let end = to + contents.len();
                buf[end..end + written.abbrev.len()].copy_from_slice(&written.abbrev);
            }
            _ => buf.copy_within(contents.clone(), to),
        }
        buf[*start..to].copy_from_slice(header);
    }
    Some(())
}

/// A custom section's name, its whole extent and its contents' extent.
type Custom<'b> = (&'b str, Range<usize>, Range<usize>);

/// The custom sections of `buf` from `from` on.
fn custom_sections(buf: &[u8], from: usize) -> Option<Vec<Custom<'_>>> {
    let mut sections = Vec::new();
    let mut at = from;
    while at < buf.len() {
        let mut reader = wasmparser::BinaryReader::new(buf.get(at..)?, 0);
        if reader.read_u8().ok()? != 0 {
            return None;
        }
        let size = reader.read_var_u32().ok()? as usize;
        let start = at + reader.current_position();
        let name = reader.read_string().ok()?;
        let contents = at + reader.current_position();
        let end = start
            .checked_add(size)
            .filter(|end| *end <= buf.len() && contents <= *end)?;
        sections.push((name, at..end, contents..end));
        at = end;
    }
    Some(sections)
}

/// Copies `pieces` one after another to `to`, which is as long as they
/// are together.
fn copy_pieces(mut to: &mut [u8], pieces: &[&[u8]]) {
    for piece in pieces {
        let (here, rest) = to.split_at_mut(piece.len());
        here.copy_from_slice(piece);
        to = rest;
    }
}

/// The start of a custom section called `name` with `size` bytes of
/// contents, which the caller writes after it.
fn section_header(name: &str, size: usize) -> Option<Vec<u8>> {
    use wasm_encoder::Encode;
    let mut encoded = Vec::new();
    name.encode(&mut encoded);
    let mut header = vec![0];
    u32::try_from(encoded.len() + size)
        .ok()?
        .encode(&mut header);
    header.extend_from_slice(&encoded);
    Some(header)
}

/// One of an input's sections, picked out.
type Section = for<'s> fn(&'s InputSections<'_>) -> &'s [u8];

/// One input's DWARF sections.
#[derive(Clone)]
struct InputSections<'a> {
    info: &'a [u8],
    abbrev: &'a [u8],
    str: &'a [u8],
    line: &'a [u8],
    ranges: &'a [u8],
    loc: &'a [u8],
}

impl<'a> InputSections<'a> {
    /// The sections of `input`, or `None` if it has one of DWARF 5's (or
    /// type units), which this path does not read.
    fn of(input: &DebugInput<'a>) -> Option<InputSections<'a>> {
        let section = |name: &str| {
            input
                .sections
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(&[][..], |(_, data)| *data)
        };
        if UNSUPPORTED.iter().any(|name| !section(name).is_empty()) {
            return None;
        }
        Some(InputSections {
            info: section(".debug_info"),
            abbrev: section(".debug_abbrev"),
            str: section(".debug_str"),
            line: section(".debug_line"),
            ranges: section(".debug_ranges"),
            loc: section(".debug_loc"),
        })
    }
}

/// What [`walk`] wrote, and what [`finish`] is to append.
#[derive(Default)]
pub(super) struct Walked {
    /// Where the output's `.debug_info` contents start.
    info_start: usize,
    /// Where the sections [`finish`] appends start.
    end: usize,
    /// Where each input's units start in the output's `.debug_info`.
    info_bases: BTreeMap<usize, u32>,
    /// Each part's range and location lists, in order: appended from
    /// where the parts wrote them rather than gathered first.
    ranges: Vec<Vec<u8>>,
    loc: Vec<Vec<u8>>,
    /// Where each unit's `DW_AT_stmt_list` is in `.debug_info`, the unit's
    /// input and index, and the input offset it names.
    stmt_lists: Vec<(usize, usize, usize, u32)>,
    /// List offsets in `.debug_info` written by a part whose lists do not
    /// come first, and how far its lists moved.
    rebase: Vec<(usize, u32)>,
    /// What the walk noted for [`insert`], if it watched.
    watched: Option<Watched>,
}

/// Which list section an offset is into.
#[derive(Clone, Copy)]
enum List {
    Ranges,
    Loc,
}

/// What one part of the walk wrote besides its DIEs.
#[derive(Default)]
struct PartOut {
    ranges: Vec<u8>,
    loc: Vec<u8>,
    /// Where the one empty range list is, once written.
    empty_ranges: Option<u32>,
    /// Where the one empty location list is, once written.
    empty_loc: Option<u32>,
    /// Scratch space for one entry's output ranges.
    pieces: Vec<Range<u64>>,
    /// Scratch space for one range list, as read and as mapped.
    list_in: Vec<Range<u64>>,
    list_out: Vec<Range<u64>>,
    /// Where each unit's `DW_AT_stmt_list` is in `.debug_info`, the unit's
    /// input and index, and the input offset it names.
    stmt_lists: Vec<(usize, usize, usize, u32)>,
    /// Where it wrote an offset into its own lists, in `.debug_info`.
    lists: Vec<(usize, List)>,
    /// What it noted for [`insert`], when watching.
    watched: Watched,
}

/// What [`insert`] needs to know of the whole `.debug_info` besides the
/// units it adds DIEs to, noted by the walk when the link inlined code
/// whose input has DWARF (a DIE may then be added): so that the other
/// units are moved whole, not read again.
#[derive(Default)]
pub(super) struct Watched {
    /// Where each `DW_FORM_ref_addr` value is in `.debug_info`, in order:
    /// those that name a DIE after an added one must move with it.
    pub(super) refs: Vec<usize>,
    /// Whether some location expression may name a DIE by offset, which
    /// added DIEs would leave pointing at the wrong one.
    pub(super) naming: bool,
}

/// One part's walk in progress: its units' output bytes, the inputs'
/// copied, to be patched.
struct Walker<'o> {
    /// Whether to note what [`insert`] needs.
    watch: bool,
    info: &'o mut [u8],
    /// Where `info` starts in the output's `.debug_info`, which is what
    /// positions are counted from.
    origin: usize,
    out: PartOut,
}

/// What reading an attribute takes, decided once per abbreviation.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Step {
    /// Bytes of no interest.
    Skip(u32),
    /// A LEB128 of no interest.
    Leb,
    /// A NUL-terminated string.
    Str,
    /// A block whose length is a value of this many bytes (0 for a
    /// LEB128).
    Block(u8),
    /// `DW_AT_low_pc`.
    LowPc,
    /// `DW_AT_high_pc` as an address.
    HighAddr,
    /// `DW_AT_high_pc` as a length of this many bytes.
    HighData(u8),
    /// `DW_AT_high_pc` as a ULEB128 length.
    HighUleb,
    /// `DW_AT_ranges`: the DIE's code.
    Ranges,
    /// Another range list (`DW_AT_start_scope`).
    RangeList,
    /// A location list.
    LocList,
    /// `DW_AT_stmt_list`.
    StmtList,
    /// An offset into `.debug_str`.
    Strp,
    /// An offset into `.debug_info`.
    RefAddr,
    /// Any other code address.
    Addr,
    /// A location expression to check for DIE offsets, when watching: a
    /// block, as [`Step::Block`].
    Expression(u8),
}

/// How to read one abbreviation's DIEs: skip `lead` bytes, then take
/// each step, skipping the bytes that follow it. No step is a
/// [`Step::Skip`]: the fixed-size attributes around the others are
/// skipped with them, which makes most DIEs that cannot be skipped whole
/// one or two steps (a type's name and reference, then its alignment as a
/// LEB128; a function's name, code range and type), where a step for each
/// attribute costs a jump the processor mispredicts.
#[derive(Debug)]
struct Plan {
    lead: u32,
    steps: Vec<(Step, u32)>,
    /// Whether the DIE says where its code is.
    code: bool,
}

/// One abbreviation table's plans, by code.
#[derive(Debug, Default)]
struct Plans {
    /// Each code's DIE size when nothing in it is read, else [`READ`]:
    /// most DIEs (types, names, declarations) are skipped whole, found in
    /// this table of 4-byte entries, which stays in the nearest cache where
    /// the plans themselves would not.
    sizes: Vec<u32>,
    plans: Vec<Option<Plan>>,
}

/// In [`Plans::sizes`]: the DIE is read by its plan, or has none.
const READ: u32 = u32::MAX;

/// A `DW_AT_high_pc` as found: where it is in the output and what it says.
#[derive(Clone, Copy)]
enum High {
    Addr(usize, u32),
    /// A length of the given width.
    Data(usize, u8, u64),
    /// A ULEB128 length of the given width.
    Uleb(usize, usize, u64),
}

impl High {
    /// The input range from `low`, if not empty.
    fn range(self, low: u32) -> Option<Range<u64>> {
        let low = u64::from(low);
        let end = match self {
            High::Addr(_, high) => u64::from(high),
            High::Data(_, _, length) | High::Uleb(_, _, length) => low.checked_add(length)?,
        };
        (end > low).then_some(low..end)
    }
}

/// The code attributes of one DIE: output positions and input values.
#[derive(Default)]
struct CodeAttrs {
    low: Option<(usize, u32)>,
    high: Option<High>,
    ranges: Option<(usize, u32)>,
}

/// Where an input's sections start in the output's.
#[derive(Clone)]
struct Bases {
    abbrev: u32,
    info: u32,
    str: u32,
}

/// What the DIEs of one unit are read against.
struct UnitScope<'a, 'f> {
    sections: &'a InputSections<'a>,
    forward: &'f Forward,
    bases: &'a Bases,
    /// The base address of the input's lists: its root's `DW_AT_low_pc`.
    base_in: u64,
    /// The base address the output's lists are read against.
    base_out: u64,
    /// How the unit's expressions are encoded.
    encoding: gimli::Encoding,
}

impl Walker<'_> {
    /// Patches the units at `units` of input `index`'s `.debug_info`, the
    /// first of which is its unit `first_unit`.
    fn units(
        &mut self,
        index: usize,
        sections: &InputSections<'_>,
        bases: &Bases,
        units: Range<usize>,
        first_unit: usize,
        forward: &Forward,
    ) -> Option<()> {
        let mut plans: HashMap<(u32, u16), Plans> = HashMap::new();
        let mut info = Bytes::at(sections.info.get(..units.end)?, units.start)?;
        let mut unit_index = first_unit;
        while !info.is_empty() {
            let start = info.position();
            let length = info.u32()?;
            if length >= 0xffff_fff0 {
                return None;
            }
            let mut unit = info.sub(length as usize)?;
            let version = unit.u16()?;
            if !(2..=4).contains(&version) {
                return None;
            }
            let abbrev_offset = unit.u32()?;
            if unit.u8()? != 4 {
                return None;
            }
            let out_start = bases.info as usize + start;
            self.patch(out_start + 6, abbrev_offset.checked_add(bases.abbrev)?);
            let table = match plans.entry((abbrev_offset, version)) {
                Entry::Occupied(entry) => entry.into_mut(),
                Entry::Vacant(entry) => {
                    let plans =
                        read_plans(sections.abbrev, abbrev_offset, version, bases, self.watch);
                    entry.insert(plans?)
                }
            };
            let scope = UnitScope {
                sections,
                forward,
                bases,
                base_in: 0,
                base_out: 0,
                encoding: gimli::Encoding {
                    format: gimli::Format::Dwarf32,
                    version,
                    address_size: 4,
                },
            };
            // The unit's own bytes start 4 bytes in (after the length).
            let shift = out_start + 4;
            self.unit(unit, shift, scope, table, (index, unit_index))?;
            unit_index += 1;
        }
        Some(())
    }

    /// Patches the DIEs of one unit, whose bytes (after the length) are at
    /// `shift` in the output's `.debug_info`.
    fn unit(
        &mut self,
        mut unit: Bytes<'_>,
        shift: usize,
        mut scope: UnitScope<'_, '_>,
        plans: &Plans,
        key: (usize, usize),
    ) -> Option<()> {
        let mut root = true;
        while !unit.is_empty() {
            let code = unit.uleb()?;
            if code == 0 {
                continue;
            }
            let code = usize::try_from(code).ok()?;
            let size = *plans.sizes.get(code)?;
            if size != READ && !root {
                unit.skip(size as usize)?;
                continue;
            }
            let plan = plans.plans.get(code)?.as_ref()?;
            let mut code_attrs = CodeAttrs::default();
            let mut stmt_list = None;
            unit.skip(plan.lead as usize)?;
            for &(step, after) in &plan.steps {
                let at = shift + unit.position();
                match step {
                    // Never in a plan ([`Plan`]), but what it would mean.
                    Step::Skip(n) => unit.skip(n as usize)?,
                    Step::Leb => unit.skip_leb()?,
                    Step::Str => unit.cstr().map(|_| ())?,
                    Step::Block(width) => unit.block(width).map(|_| ())?,
                    Step::LowPc => code_attrs.low = Some((at, unit.u32()?)),
                    Step::HighAddr => code_attrs.high = Some(High::Addr(at, unit.u32()?)),
                    Step::HighData(width) => {
                        let value = unit.le(usize::from(width))?;
                        code_attrs.high = Some(High::Data(at, width, value));
                    }
                    Step::HighUleb => {
                        let value = unit.uleb()?;
                        let width = shift + unit.position() - at;
                        code_attrs.high = Some(High::Uleb(at, width, value));
                    }
                    Step::Ranges => code_attrs.ranges = Some((at, unit.u32()?)),
                    Step::RangeList | Step::LocList if root => return None,
                    Step::RangeList => {
                        let offset = self.map_range_list(unit.u32()?, &scope, scope.base_out)?;
                        self.list(at, offset, List::Ranges);
                    }
                    Step::LocList => {
                        let offset = self.location_list(unit.u32()?, &scope)?;
                        self.list(at, offset, List::Loc);
                    }
                    Step::StmtList => stmt_list = Some((at, unit.u32()?)),
                    Step::Strp => {
                        let offset = unit.u32()?;
                        if offset as usize >= scope.sections.str.len() {
                            return None;
                        }
                        if scope.bases.str != 0 {
                            self.patch(at, offset.checked_add(scope.bases.str)?);
                        }
                    }
                    Step::RefAddr => {
                        let offset = unit.u32()?;
                        if scope.bases.info != 0 {
                            self.patch(at, offset.checked_add(scope.bases.info)?);
                        }
                        if self.watch {
                            self.out.watched.refs.push(at);
                        }
                    }
                    Step::Expression(width) => {
                        let expression = unit.block(width)?;
                        if !insert::expression_ok(expression, scope.encoding) {
                            self.out.watched.naming = true;
                        }
                    }
                    Step::Addr => {
                        let address = unit.u32()?;
                        let out = point(scope.forward, address)?;
                        self.patch(at, out);
                    }
                }
                unit.skip(after as usize)?;
            }
            if root {
                if plan.code {
                    self.root_code(&code_attrs, &mut scope)?;
                }
                if let Some((at, offset)) = stmt_list {
                    self.out.stmt_lists.push((at, key.0, key.1, offset));
                }
                root = false;
            } else if stmt_list.is_some() {
                return None;
            } else if plan.code {
                self.die_code(&code_attrs, &scope)?;
            }
        }
        Some(())
    }

    /// The root's code attributes patched, and the unit's list bases set:
    /// a unit whose code is one range keeps `DW_AT_low_pc` and a length,
    /// any other has a `DW_AT_low_pc` of 0 (its lists are then absolute).
    fn root_code(&mut self, attrs: &CodeAttrs, scope: &mut UnitScope<'_, '_>) -> Option<()> {
        match (attrs.low, attrs.high, attrs.ranges) {
            (low, None, Some((at, offset))) => {
                scope.base_in = low.map_or(0, |(_, value)| u64::from(value));
                let offset = self.map_range_list(offset, scope, 0)?;
                self.list(at, offset, List::Ranges);
                if let Some((at, _)) = low {
                    self.patch(at, 0);
                }
            }
            (Some((at, low)), high, None) => {
                scope.base_in = u64::from(low);
                let input = high.and_then(|high| high.range(low));
                let ranges = map_ranges(scope.forward, input.into_iter().collect());
                match (ranges.as_slice(), high) {
                    ([], _) | (_, None) => {
                        self.patch(at, 0);
                        if let Some(high) = high {
                            self.set_high(high, 0, 0)?;
                        }
                    }
                    ([range], Some(high)) => {
                        let start = u32::try_from(range.start).ok()?;
                        self.patch(at, start);
                        self.set_high(high, range.start, range.end)?;
                        scope.base_out = range.start;
                    }
                    _ => return None,
                }
            }
            _ => return None,
        }
        Some(())
    }

    /// A DIE's code attributes patched for where its code now is.
    fn die_code(&mut self, attrs: &CodeAttrs, scope: &UnitScope<'_, '_>) -> Option<()> {
        match (attrs.low, attrs.high, attrs.ranges) {
            (Some((at, low)), Some(high), None) => {
                let mut pieces = std::mem::take(&mut self.out.pieces);
                pieces.clear();
                if let Some(input) = high.range(low) {
                    scope.forward.range_into(input, &mut pieces);
                }
                let (start, end) = match pieces.as_slice() {
                    [] => (u64::from(TOMBSTONE), u64::from(TOMBSTONE)),
                    [range] => (range.start, range.end),
                    _ => return None,
                };
                self.out.pieces = pieces;
                self.patch(at, u32::try_from(start).ok()?);
                self.set_high(high, start, end)?;
            }
            (None, None, Some((at, offset))) => {
                let offset = self.map_range_list(offset, scope, scope.base_out)?;
                self.list(at, offset, List::Ranges);
            }
            (Some((at, low)), None, None) => {
                let out = point(scope.forward, low)?;
                self.patch(at, out);
            }
            _ => return None,
        }
        Some(())
    }

    /// Overwrites the 4 bytes at `at` of the output's `.debug_info`.
    fn patch(&mut self, at: usize, value: u32) {
        patch(self.info, at - self.origin, value);
    }

    /// Writes the offset of one of this part's lists at `at`.
    fn list(&mut self, at: usize, offset: u32, list: List) {
        self.patch(at, offset);
        self.out.lists.push((at, list));
    }

    /// Writes `DW_AT_high_pc` for output code `start..end`.
    fn set_high(&mut self, high: High, start: u64, end: u64) -> Option<()> {
        let length = end - start;
        match high {
            High::Addr(at, _) => self.patch(at, u32::try_from(end).ok()?),
            High::Data(at, width, _) => {
                let width = usize::from(width);
                if width < 8 && length >> (8 * width) != 0 {
                    return None;
                }
                let at = at - self.origin;
                self.info[at..at + width].copy_from_slice(&length.to_le_bytes()[..width]);
            }
            High::Uleb(at, width, _) => {
                if width < 10 && length >> (7 * width) != 0 {
                    return None;
                }
                // Padded to the width it had, so nothing after it moves.
                let at = at - self.origin;
                for (i, byte) in self.info[at..at + width].iter_mut().enumerate() {
                    let part = (length >> (7 * i)) as u8 & 0x7f;
                    *byte = if i + 1 < width { part | 0x80 } else { part };
                }
            }
        }
        Some(())
    }

    /// Appends the range list at `offset` of the input's `.debug_ranges`
    /// mapped to the output (sorted and merged), read against base address
    /// `base`.
    fn map_range_list(&mut self, offset: u32, scope: &UnitScope<'_, '_>, base: u64) -> Option<u32> {
        let mut input = std::mem::take(&mut self.out.list_in);
        let mut mapped = std::mem::take(&mut self.out.list_out);
        input.clear();
        mapped.clear();
        read_list(
            scope.sections.ranges,
            offset,
            scope.base_in,
            false,
            |range, _| {
                if !range.is_empty() {
                    input.push(range);
                }
                Some(())
            },
        )?;
        map_ranges_into(scope.forward, &input, &mut mapped);
        let offset = self.range_list(&mapped, base);
        self.out.list_in = input;
        self.out.list_out = mapped;
        offset
    }

    /// Appends a range list of output ranges `ranges`, read against base
    /// address `base`; all empty lists share one.
    fn range_list(&mut self, ranges: &[Range<u64>], base: u64) -> Option<u32> {
        if ranges.is_empty() {
            return empty(&mut self.out.ranges, &mut self.out.empty_ranges);
        }
        let offset = u32::try_from(self.out.ranges.len()).ok()?;
        if base != 0 {
            pair(&mut self.out.ranges, TOMBSTONE, 0);
        }
        for range in ranges {
            let start = u32::try_from(range.start).ok()?;
            let end = u32::try_from(range.end).ok()?;
            pair(&mut self.out.ranges, start, end);
        }
        pair(&mut self.out.ranges, 0, 0);
        Some(offset)
    }

    /// Appends the location list at `offset` of the input's `.debug_loc`
    /// with each entry's range mapped to the output (an entry may become
    /// several, or none) and its expression as it was.
    fn location_list(&mut self, offset: u32, scope: &UnitScope<'_, '_>) -> Option<u32> {
        let start = u32::try_from(self.out.loc.len()).ok()?;
        let mut written = false;
        let mut pieces = std::mem::take(&mut self.out.pieces);
        read_list(
            scope.sections.loc,
            offset,
            scope.base_in,
            true,
            |range, expression| {
                pieces.clear();
                scope.forward.range_into(range, &mut pieces);
                // Only the expressions written are checked.
                if self.watch
                    && !pieces.is_empty()
                    && !insert::expression_ok(expression, scope.encoding)
                {
                    self.out.watched.naming = true;
                }
                for piece in &pieces {
                    if !written && scope.base_out != 0 {
                        pair(&mut self.out.loc, TOMBSTONE, 0);
                    }
                    written = true;
                    pair(
                        &mut self.out.loc,
                        u32::try_from(piece.start).ok()?,
                        u32::try_from(piece.end).ok()?,
                    );
                    self.out
                        .loc
                        .extend_from_slice(&(expression.len() as u16).to_le_bytes());
                    self.out.loc.extend_from_slice(expression);
                }
                Some(())
            },
        )?;
        self.out.pieces = pieces;
        if !written {
            return empty(&mut self.out.loc, &mut self.out.empty_loc);
        }
        pair(&mut self.out.loc, 0, 0);
        Some(start)
    }
}

/// Calls `each` with the range (and, for a location list, the expression)
/// of every entry of the DWARF 4 list at `offset` of `section`, read
/// against base address `base` and the base address selections in it.
fn read_list<'a>(
    section: &'a [u8],
    offset: u32,
    mut base: u64,
    expressions: bool,
    mut each: impl FnMut(Range<u64>, &'a [u8]) -> Option<()>,
) -> Option<()> {
    let mut list = Bytes::at(section, offset as usize)?;
    loop {
        let begin = list.u32()?;
        let end = list.u32()?;
        if begin == 0 && end == 0 {
            return Some(());
        }
        if begin == TOMBSTONE {
            base = u64::from(end);
            continue;
        }
        let expression = match expressions {
            true => {
                let length = list.u16()?;
                list.take(usize::from(length))?
            }
            false => &[],
        };
        each(base + u64::from(begin)..base + u64::from(end), expression)?;
    }
}

/// The output address of input code address `address`, or the tombstone
/// when its code is gone.
fn point(forward: &Forward, address: u32) -> Option<u32> {
    match forward.point(u64::from(address)) {
        Some(out) => u32::try_from(out).ok(),
        None => Some(TOMBSTONE),
    }
}

/// The offset of the one empty list of a list section, written the first
/// time it is needed.
fn empty(section: &mut Vec<u8>, at: &mut Option<u32>) -> Option<u32> {
    if let Some(offset) = *at {
        return Some(offset);
    }
    let offset = u32::try_from(section.len()).ok()?;
    pair(section, 0, 0);
    *at = Some(offset);
    Some(offset)
}

/// Appends two 4-byte values.
fn pair(section: &mut Vec<u8>, a: u32, b: u32) {
    section.extend_from_slice(&a.to_le_bytes());
    section.extend_from_slice(&b.to_le_bytes());
}

/// Overwrites the 4 bytes at `at`.
fn patch(section: &mut [u8], at: usize, value: u32) {
    section[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

/// The reading plans of the abbreviation table at `offset`, by code.
fn read_plans(
    abbrev: &[u8],
    offset: u32,
    version: u16,
    bases: &Bases,
    watch: bool,
) -> Option<Plans> {
    let mut table = Bytes::at(abbrev, offset as usize)?;
    let mut plans = Plans::default();
    let mut count = 0usize;
    loop {
        let code = table.uleb()?;
        if code == 0 {
            return Some(plans);
        }
        // Plans are found by code in a table, so codes must be about as
        // dense as compilers number them (from 1, one after another); a
        // sparse one is left to the converting path rather than given a
        // table larger than the abbreviations.
        count += 1;
        let code = usize::try_from(code)
            .ok()
            .filter(|c| *c <= 4 * count + 256)?;
        table.uleb()?;
        table.u8()?;
        let mut lead = 0u32;
        let mut steps: Vec<(Step, u32)> = Vec::new();
        let mut code_attrs = false;
        loop {
            let name = table.uleb()?;
            let form = table.uleb()?;
            if name == 0 && form == 0 {
                break;
            }
            let name = dw::DwAt(u16::try_from(name).ok()?);
            let form = dw::DwForm(u16::try_from(form).ok()?);
            let expression = form == dw::DW_FORM_exprloc || insert::is_location(u64::from(name.0));
            let step = match step(name, form, version)? {
                // Offsets into sections copied at the start of the
                // output's stay as they are, unless watched.
                Step::Strp if bases.str == 0 => Step::Skip(4),
                Step::RefAddr if bases.info == 0 && !watch => Step::Skip(4),
                Step::Block(width) if watch && expression => Step::Expression(width),
                step => step,
            };
            code_attrs |= matches!(
                step,
                Step::LowPc | Step::HighAddr | Step::HighData(_) | Step::HighUleb | Step::Ranges
            );
            match (step, steps.last_mut()) {
                (Step::Skip(n), Some((_, after))) => *after = after.checked_add(n)?,
                (Step::Skip(n), None) => lead = lead.checked_add(n)?,
                (step, _) => steps.push((step, 0)),
            }
        }
        if plans.plans.len() <= code {
            plans.plans.resize_with(code + 1, || None);
            plans.sizes.resize(code + 1, READ);
        }
        // A skip as long as `READ` could not be taken anyway.
        plans.sizes[code] = if steps.is_empty() { lead } else { READ };
        plans.plans[code] = Some(Plan {
            lead,
            steps,
            code: code_attrs,
        });
    }
}

/// How to read attribute `name` in form `form`; `None` for what this path
/// does not handle.
fn step(name: dw::DwAt, form: dw::DwForm, version: u16) -> Option<Step> {
    // DWARF 2 and 3 give section offsets as `DW_FORM_data4`.
    let offset = form == dw::DW_FORM_sec_offset || (version <= 3 && form == dw::DW_FORM_data4);
    let step = match name {
        dw::DW_AT_low_pc => (form == dw::DW_FORM_addr).then_some(Step::LowPc)?,
        dw::DW_AT_high_pc => match form {
            dw::DW_FORM_addr => Step::HighAddr,
            dw::DW_FORM_data1 => Step::HighData(1),
            dw::DW_FORM_data2 => Step::HighData(2),
            dw::DW_FORM_data4 => Step::HighData(4),
            dw::DW_FORM_data8 => Step::HighData(8),
            dw::DW_FORM_udata => Step::HighUleb,
            _ => return None,
        },
        dw::DW_AT_ranges => offset.then_some(Step::Ranges)?,
        dw::DW_AT_stmt_list => offset.then_some(Step::StmtList)?,
        dw::DW_AT_start_scope if offset => Step::RangeList,
        dw::DW_AT_location
        | dw::DW_AT_string_length
        | dw::DW_AT_return_addr
        | dw::DW_AT_data_member_location
        | dw::DW_AT_frame_base
        | dw::DW_AT_segment
        | dw::DW_AT_static_link
        | dw::DW_AT_use_location
        | dw::DW_AT_vtable_elem_location
            if offset =>
        {
            Step::LocList
        }
        // Offsets into sections this path does not write (macros,
        // location views).
        _ if form == dw::DW_FORM_sec_offset => return None,
        _ => match form {
            dw::DW_FORM_addr => Step::Addr,
            dw::DW_FORM_flag_present => Step::Skip(0),
            dw::DW_FORM_data1 | dw::DW_FORM_ref1 | dw::DW_FORM_flag => Step::Skip(1),
            dw::DW_FORM_data2 | dw::DW_FORM_ref2 => Step::Skip(2),
            dw::DW_FORM_data4 | dw::DW_FORM_ref4 => Step::Skip(4),
            dw::DW_FORM_data8 | dw::DW_FORM_ref8 | dw::DW_FORM_ref_sig8 => Step::Skip(8),
            dw::DW_FORM_sdata | dw::DW_FORM_udata | dw::DW_FORM_ref_udata => Step::Leb,
            dw::DW_FORM_string => Step::Str,
            dw::DW_FORM_strp => Step::Strp,
            dw::DW_FORM_ref_addr => Step::RefAddr,
            _ => Step::Block(block_width(form)?),
        },
    };
    Some(step)
}
