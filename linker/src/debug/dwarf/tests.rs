//! Tests of the DWARF rewrite against real clang output (clang 14,
//! `--target=wasm32-wasi -O2 -g`, from `examples/c-host-buf`).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use gimli::{constants, EndianSlice, LittleEndian};

use super::{patched, rewrite, rewrite_as, Path};
use crate::debug::map::{CodeMap, Mark, Origin, Source};
use crate::debug::DebugInput;

pub(super) const APP: &[u8] = include_bytes!("../../../tests/data/debug/app.wasm");
pub(super) const BUILTIN: &[u8] = include_bytes!("../../../tests/data/debug/builtin.wasm");
/// A builtin built with link-time optimization from two units; see
/// `linker/tests/data/debug/README.md`.
const BUILTIN_LTO: &[u8] = include_bytes!("../../../tests/data/debug/builtin-lto.wasm");
/// A Rust program built with `-C debuginfo=2` (the command line's tests
/// build it into a link with a builtin).
pub(super) const RUST: &[u8] = include_bytes!("../../../../cli/tests/data/rust-host-buf.wasm");

/// What the tests need of a module: its bodies (Code-relative), where each
/// body's instructions start, and its `.debug_*` sections.
pub(super) struct Module<'a> {
    pub(super) bodies: Vec<Range<u32>>,
    code_starts: Vec<u32>,
    pub(super) sections: Vec<(&'a str, &'a [u8])>,
}

pub(super) fn parse(bytes: &[u8]) -> Module<'_> {
    let mut module = Module {
        bodies: Vec::new(),
        code_starts: Vec::new(),
        sections: Vec::new(),
    };
    let mut code_start = 0;
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        match payload.unwrap() {
            wasmparser::Payload::CodeSectionStart {
                unchecked_range, ..
            } => code_start = unchecked_range.start,
            wasmparser::Payload::CodeSectionEntry(body) => {
                let range = body.range();
                let ops = body.get_binary_reader_for_operators().unwrap();
                let relative = |at: u64| (at - code_start) as u32;
                module
                    .bodies
                    .push(relative(range.start)..relative(range.end));
                module.code_starts.push(relative(ops.original_position()));
            }
            wasmparser::Payload::CustomSection(section)
                if section.name().starts_with(".debug_") =>
            {
                module.sections.push((section.name(), section.data()));
            }
            _ => {}
        }
    }
    module
}

fn input<'a>(name: &str, module: &Module<'a>) -> DebugInput<'a> {
    DebugInput {
        name: name.to_string(),
        sections: module.sections.clone(),
        bodies: module.bodies.clone(),
    }
}

fn mark(out: u32, source: Source, site: Option<Origin>) -> Mark {
    Mark { out, source, site }
}

fn at(input: u32, offset: u32) -> Origin {
    Origin { input, offset }
}

/// The map of an unchanged module: each body copied where it was.
fn identity(module: &Module<'_>, input: u32, end: u32) -> CodeMap {
    let mut marks = vec![mark(0, Source::None, None)];
    for body in &module.bodies {
        marks.push(mark(body.start, Source::Copy(at(input, body.start)), None));
        marks.push(mark(body.end, Source::None, None));
    }
    marks.dedup_by_key(|m| m.out);
    CodeMap {
        marks,
        end,
        bodies: module.bodies.clone(),
    }
}

/// Line rows of some DWARF sections, for symbolizing addresses.
struct Lines {
    /// (address, end of sequence, file name, line, column), sorted.
    rows: Vec<(u64, bool, String, u64, u64)>,
}

pub(super) fn load<'a>(
    sections: &[(&str, &'a [u8])],
) -> gimli::read::Dwarf<EndianSlice<'a, LittleEndian>> {
    gimli::read::Dwarf::load(|id| -> Result<_, gimli::read::Error> {
        let data = sections
            .iter()
            .find(|(n, _)| *n == id.name())
            .map_or(&[][..], |(_, d)| *d);
        Ok(EndianSlice::new(data, LittleEndian))
    })
    .unwrap()
}

/// The offsets of the programs in a `.debug_line`, by their lengths.
pub(super) fn program_offsets(section: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut at = 0;
    while at + 4 <= section.len() {
        offsets.push(at);
        let length = u32::from_le_bytes(section[at..at + 4].try_into().unwrap());
        at += 4 + length as usize;
    }
    offsets
}

/// The section called `name`, which must be there.
pub(super) fn section<'a>(sections: &[(&str, &'a [u8])], name: &str) -> &'a [u8] {
    sections.iter().find(|(n, _)| *n == name).unwrap().1
}

pub(super) fn owned(sections: &[(String, Vec<u8>)]) -> Vec<(&str, &[u8])> {
    sections
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect()
}

impl Lines {
    fn read(sections: &[(&str, &[u8])]) -> Lines {
        let dwarf = load(sections);
        let mut rows = Vec::new();
        let mut units = dwarf.units();
        while let Some(header) = units.next().unwrap() {
            let unit = dwarf.unit(header).unwrap();
            let Some(program) = unit.line_program.clone() else {
                continue;
            };
            let mut program_rows = program.rows();
            while let Some((header, row)) = program_rows.next_row().unwrap() {
                let file = row
                    .file(header)
                    .map(|f| dwarf.attr_string(&unit, f.path_name()).unwrap())
                    .map(|s| String::from_utf8_lossy(s.slice()).into_owned())
                    .unwrap_or_default();
                let line = row.line().map_or(0, |l| l.get());
                let column = match row.column() {
                    gimli::ColumnType::LeftEdge => 0,
                    gimli::ColumnType::Column(column) => column.get(),
                };
                rows.push((row.address(), row.end_sequence(), file, line, column));
            }
        }
        rows.sort_by_key(|r| (r.0, !r.1));
        Lines { rows }
    }

    /// file:line of `address`, like addr2line.
    fn symbolize(&self, address: u64) -> Option<String> {
        let i = self.rows.partition_point(|r| r.0 <= address);
        let (_, end, file, line, _) = &self.rows[i.checked_sub(1)?];
        (!end && *line != 0).then(|| format!("{file}:{line}"))
    }

    /// The column of `address`, where it has a line and a column.
    fn column(&self, address: u64) -> Option<u64> {
        let i = self.rows.partition_point(|r| r.0 <= address);
        let (_, end, _, line, column) = &self.rows[i.checked_sub(1)?];
        (!end && *line != 0 && *column != 0).then_some(*column)
    }

    /// Addresses where a row with a location starts.
    fn addresses(&self) -> Vec<u64> {
        let mut addresses: Vec<u64> = self
            .rows
            .iter()
            .filter(|r| !r.1 && r.3 != 0)
            .map(|r| r.0)
            .collect();
        addresses.dedup();
        addresses
    }
}

type Dwarf<'a> = gimli::read::Dwarf<EndianSlice<'a, LittleEndian>>;
type Unit<'a> = gimli::read::Unit<EndianSlice<'a, LittleEndian>>;
type Die<'a> = gimli::read::DebuggingInformationEntry<EndianSlice<'a, LittleEndian>>;

/// The `.debug_info` offset of the DIE an inlined subroutine names as its
/// `DW_AT_abstract_origin`.
fn origin_of(unit: &Unit<'_>, entry: &Die<'_>) -> u64 {
    match entry.attr_value(constants::DW_AT_abstract_origin) {
        Some(gimli::AttributeValue::DebugInfoRef(o)) => o.0 as u64,
        Some(gimli::AttributeValue::UnitRef(o)) => {
            o.to_debug_info_offset(&unit.header).unwrap().0 as u64
        }
        other => panic!("abstract origin {other:?}"),
    }
}

/// An inlined subroutine's call as `file:line`, the file named as its
/// unit's line program names it; `None` without a call file or line.
fn call_of(dwarf: &Dwarf<'_>, unit: &Unit<'_>, entry: &Die<'_>) -> Option<String> {
    let file = match entry.attr_value(constants::DW_AT_call_file) {
        Some(gimli::AttributeValue::FileIndex(index)) => {
            let program = unit.line_program.as_ref().expect("a line program");
            let file = program.header().file(index).expect("the call's file");
            let name = dwarf.attr_string(unit, file.path_name()).unwrap();
            String::from_utf8_lossy(name.slice()).into_owned()
        }
        None => return None,
        other => panic!("call file {other:?}"),
    };
    let line = entry
        .attr_value(constants::DW_AT_call_line)
        .and_then(|v| v.udata_value())?;
    Some(format!("{file}:{line}"))
}

/// Calls `each` with every subprogram of some DWARF sections, and its
/// `DW_AT_low_pc` if it has one.
fn each_subprogram(
    sections: &[(&str, &[u8])],
    mut each: impl FnMut(&Dwarf<'_>, &Unit<'_>, &Die<'_>, Option<u64>),
) {
    let dwarf = load(sections);
    each_die(&dwarf, |unit, entry| {
        if entry.tag() == constants::DW_TAG_subprogram {
            let low = entry
                .attr_value(constants::DW_AT_low_pc)
                .and_then(|v| dwarf.attr_address(unit, v).unwrap());
            each(&dwarf, unit, entry, low);
        }
    });
}

/// Calls `each` with every DIE of `dwarf`, unit by unit, depth first.
fn each_die<'a>(dwarf: &Dwarf<'a>, mut each: impl FnMut(&Unit<'a>, &Die<'a>)) {
    let mut units = dwarf.units();
    while let Some(header) = units.next().unwrap() {
        let unit = dwarf.unit(header).unwrap();
        let mut cursor = unit.entries();
        while let Some(entry) = cursor.next_dfs().unwrap() {
            each(&unit, entry);
        }
    }
}

/// Each subprogram's name and its low_pc/high_pc (as a length) if any,
/// and whether it has DW_AT_ranges.
fn subprograms(sections: &[(&str, &[u8])]) -> BTreeMap<String, (Option<u64>, Option<u64>, bool)> {
    let mut out = BTreeMap::new();
    each_subprogram(sections, |dwarf, unit, entry, low| {
        let Some(name) = entry.attr_value(constants::DW_AT_name) else {
            return;
        };
        let name = dwarf.attr_string(unit, name).unwrap();
        let high = match entry.attr_value(constants::DW_AT_high_pc) {
            Some(gimli::AttributeValue::Udata(n)) => Some(n),
            Some(v) => dwarf
                .attr_address(unit, v)
                .unwrap()
                .zip(low)
                .map(|(h, l)| h - l),
            None => None,
        };
        let ranges = entry.attr_value(constants::DW_AT_ranges).is_some();
        out.insert(
            String::from_utf8_lossy(name.slice()).into_owned(),
            (low, high, ranges),
        );
    });
    out
}

fn code_end(module: &Module<'_>) -> u32 {
    module.bodies.last().unwrap().end
}

#[test]
fn identity_map_keeps_every_location_and_subprogram() {
    let app = parse(APP);
    let map = identity(&app, 0, code_end(&app));
    let mut warnings = Vec::new();
    let out = rewrite(&[input("app", &app)], &map, &mut warnings);
    assert_eq!(warnings, Vec::<String>::new());
    let names: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&".debug_info"), "{names:?}");
    let before = Lines::read(&app.sections);
    let after = Lines::read(&owned(&out));
    assert!(!before.addresses().is_empty());
    for address in before.addresses() {
        assert_eq!(
            after.symbolize(address),
            before.symbolize(address),
            "at {address:#x}"
        );
    }
    let subprograms_before = subprograms(&app.sections);
    assert!(subprograms_before.len() > 3);
    assert_eq!(subprograms(&owned(&out)), subprograms_before);
}

/// A link of builtin (input 0) and app (input 1) plus an input without
/// DWARF (input 2): the app's bodies in reverse order, each with a
/// re-encoded header, then inlined copies of builtin code and of the
/// DWARF-less input, then the rest of its code.
struct Shuffled {
    map: CodeMap,
    /// (output start, input start, length) of each app body's code copy.
    copies: Vec<(u32, u32, u32)>,
    /// (output offset, builtin origin, app call site) of inlined builtin
    /// bytes.
    inlined: Vec<(u32, u32, u32)>,
    /// (output offset, app call site) of inlined code without DWARF.
    foreign: Vec<(u32, u32)>,
}

fn shuffled(app: &Module<'_>, builtin: &Module<'_>, skip: Option<usize>) -> Shuffled {
    let mut s = Shuffled {
        map: CodeMap::default(),
        copies: Vec::new(),
        inlined: Vec::new(),
        foreign: Vec::new(),
    };
    let (b_start, b_end) = (builtin.code_starts[0], builtin.bodies[0].end);
    let inline_len = (b_end - b_start).min(12);
    let mut out = 1;
    s.map.marks.push(mark(0, Source::None, None));
    for (i, body) in app.bodies.iter().enumerate().rev() {
        if Some(i) == skip {
            continue;
        }
        out += 2; // the body's size
        let start = out;
        let code = app.code_starts[i];
        let call = Some(at(1, code));
        s.map
            .marks
            .push(mark(start, Source::At(at(1, body.start)), None));
        out += 5;
        s.map
            .marks
            .push(mark(out, Source::Copy(at(0, b_start)), call));
        for k in 0..inline_len {
            s.inlined.push((out + k, b_start + k, code));
        }
        out += inline_len;
        s.map.marks.push(mark(out, Source::Copy(at(2, 7)), call));
        s.foreign.push((out, code));
        out += 4;
        s.map.marks.push(mark(out, Source::Copy(at(1, code)), None));
        s.copies.push((out, code, body.end - code));
        out += body.end - code;
        s.map.bodies.push(start..out);
        s.map.marks.push(mark(out, Source::None, None));
    }
    s.map.end = out;
    s
}

#[test]
fn moved_and_inlined_code_keeps_its_locations() {
    let (app, builtin) = (parse(APP), parse(BUILTIN));
    let s = shuffled(&app, &builtin, None);
    let none = Module {
        bodies: std::iter::once(1..40).collect(),
        code_starts: vec![3],
        sections: Vec::new(),
    };
    let inputs = [
        input("builtin", &builtin),
        input("app", &app),
        input("virt", &none),
    ];
    let mut warnings = Vec::new();
    let out = rewrite(&inputs, &s.map, &mut warnings);
    assert_eq!(warnings, Vec::<String>::new());
    let (app_lines, builtin_lines) = (Lines::read(&app.sections), Lines::read(&builtin.sections));
    let after = Lines::read(&owned(&out));
    let mut checked = 0;
    for address in app_lines.addresses() {
        let Some(&(out, from, _)) = s
            .copies
            .iter()
            .find(|(_, from, len)| (*from..from + len).contains(&(address as u32)))
        else {
            continue;
        };
        let moved = u64::from(out + (address as u32 - from));
        assert_eq!(
            after.symbolize(moved),
            app_lines.symbolize(address),
            "{address:#x} at {moved:#x}"
        );
        checked += 1;
    }
    assert!(checked > 50, "{checked}");
    // Only bodies whose home function has a unit get line rows.
    let homed = |site: u32| app_lines.symbolize(u64::from(site)).is_some();
    assert!(s.inlined.iter().any(|&(_, _, site)| homed(site)));
    for &(out, origin, site) in &s.inlined {
        if !homed(site) {
            assert_eq!(after.symbolize(u64::from(out)), None);
            continue;
        }
        let expected = builtin_lines.symbolize(u64::from(origin));
        assert!(expected.is_some());
        assert_eq!(after.symbolize(u64::from(out)), expected, "{out:#x}");
    }
    for &(out, site) in &s.foreign {
        let expected = app_lines.symbolize(u64::from(site));
        if expected.is_some() {
            assert_eq!(after.symbolize(u64::from(out)), expected, "{out:#x}");
        }
    }
    assert!(s
        .foreign
        .iter()
        .any(|&(_, site)| app_lines.symbolize(u64::from(site)).is_some()));
    // Subprograms moved with their bodies (the header At + the rest).
    let before = subprograms(&app.sections);
    let moved = subprograms(&owned(&out));
    let (name, (low, high, _)) = before
        .iter()
        .find(|(_, (low, _, _))| low.is_some_and(|l| l > 0x10))
        .unwrap();
    let index = app
        .bodies
        .iter()
        .position(|b| u64::from(b.start) == low.unwrap())
        .unwrap();
    let body = &s.map.bodies[app.bodies.len() - 1 - index];
    assert_eq!(high.unwrap(), u64::from(app.bodies[index].len() as u32));
    assert_eq!(
        moved[name].0.zip(moved[name].1),
        Some((u64::from(body.start), u64::from(body.end - body.start))),
        "{name}"
    );
}

#[test]
fn removed_function_loses_its_addresses_and_rows() {
    let (app, builtin) = (parse(APP), parse(BUILTIN));
    let before = subprograms(&app.sections);
    let (name, (low, _, _)) = before
        .iter()
        .find(|(_, (low, _, _))| low.is_some_and(|l| l > 0x10))
        .unwrap();
    let index = app
        .bodies
        .iter()
        .position(|b| u64::from(b.start) == low.unwrap())
        .unwrap();
    let s = shuffled(&app, &builtin, Some(index));
    let inputs = [input("builtin", &builtin), input("app", &app)];
    let mut warnings = Vec::new();
    let out = rewrite(&inputs, &s.map, &mut warnings);
    assert_eq!(warnings, Vec::<String>::new());
    let after = subprograms(&owned(&out));
    // No code: no addresses, or the tombstone and an empty range, as
    // wasm-ld leaves the DIEs of the functions it drops.
    assert!(
        matches!(
            after[name],
            (None, None, false) | (Some(0xffff_ffff), Some(0), false)
        ),
        "{name}: {:?}",
        after[name]
    );
    let lines = Lines::read(&owned(&out));
    for (address, end, _, _, _) in &lines.rows {
        let inside = s
            .map
            .bodies
            .iter()
            .any(|b| (u64::from(b.start)..=u64::from(b.end)).contains(address));
        assert!(inside || *end, "row at {address:#x} outside every body");
    }
}

fn hostile(builtin_sections: Vec<(&str, &[u8])>) -> (Vec<String>, Vec<(String, Vec<u8>)>) {
    let (app, builtin) = (parse(APP), parse(BUILTIN));
    let mut bad = input("builtin", &builtin);
    bad.sections = builtin_sections;
    let app_input = input("app", &app);
    let mut map = identity(&app, 1, code_end(&app));
    // The builtin's only body, inlined nowhere: its code is gone.
    map.marks.iter_mut().for_each(|m| {
        if let Source::Copy(o) = &mut m.source {
            o.input = 1;
        }
    });
    let mut warnings = Vec::new();
    let out = rewrite(&[bad, app_input], &map, &mut warnings);
    let after = Lines::read(&owned(&out));
    let before = Lines::read(&app.sections);
    for address in before.addresses() {
        assert_eq!(after.symbolize(address), before.symbolize(address));
    }
    (warnings, out)
}

fn builtin_sections_with(
    edit: impl Fn(&str, &'static [u8]) -> Option<&'static [u8]>,
) -> Vec<(&'static str, &'static [u8])> {
    parse(BUILTIN)
        .sections
        .into_iter()
        .filter_map(|(name, data)| edit(name, data).map(|data| (name, data)))
        .collect()
}

#[test]
fn hostile_inputs_lose_only_their_own_debug_information() {
    const GARBAGE: &[u8] = &[0xff; 64];
    let cases = [
        (
            ".debug_info",
            builtin_sections_with(|name, data| {
                Some(if name == ".debug_info" {
                    &data[..data.len() / 2]
                } else {
                    data
                })
            }),
        ),
        (
            ".debug_line",
            builtin_sections_with(|name, data| {
                Some(if name == ".debug_line" { GARBAGE } else { data })
            }),
        ),
        (
            ".debug_abbrev",
            builtin_sections_with(|name, data| (name != ".debug_abbrev").then_some(data)),
        ),
    ];
    for (section, sections) in cases {
        let (warnings, out) = hostile(sections);
        assert_eq!(warnings.len(), 1, "{section}: {warnings:?}");
        assert!(
            warnings[0].starts_with("dropped the debug information of builtin: "),
            "{}",
            warnings[0]
        );
        assert!(warnings[0].contains(section), "{}", warnings[0]);
        let names = subprograms(&owned(&out));
        assert!(!names.contains_key("buffer_ptr"), "{names:?}");
        assert!(names.contains_key("rle_encode"), "{names:?}");
    }
}

#[test]
fn odd_line_encodings_of_an_input_do_not_reach_the_output() {
    // The builtin's line program header claims 8-byte instructions, two
    // operations per instruction and a line base and range gimli refuses
    // to encode rows with (`line_base + line_range <= 0`). Its rows mean
    // little, but the link must go on, the app's rows must survive, and
    // every program in the output must use byte addresses.
    let edited = builtin_sections_with(|name, data| {
        if name != ".debug_line" {
            return Some(data);
        }
        let mut line = data.to_vec();
        let version = u16::from_le_bytes([line[4], line[5]]);
        // unit_length, version, [address and selector sizes,] header_length.
        let at = if version >= 5 { 12 } else { 10 };
        line[at] = 8; // minimum_instruction_length
        line[at + 1] = 2; // maximum_operations_per_instruction
        line[at + 3] = (-20i8) as u8; // line_base
        line[at + 4] = 5; // line_range
        Some(Box::leak(line.into_boxed_slice()))
    });
    let (warnings, out) = hostile(edited);
    assert!(
        warnings
            .iter()
            .all(|w| w.starts_with("dropped the debug information of builtin: ")),
        "{warnings:?}"
    );
    let sections = owned(&out);
    let dwarf = load(&sections);
    let mut units = dwarf.units();
    let mut programs = 0;
    while let Some(header) = units.next().unwrap() {
        let unit = dwarf.unit(header).unwrap();
        if let Some(program) = &unit.line_program {
            let header = program.header();
            assert_eq!(header.minimum_instruction_length(), 1);
            assert_eq!(header.maximum_operations_per_instruction(), 1);
            assert!(header.line_base() + header.line_range() as i8 > 0);
            programs += 1;
        }
    }
    assert!(programs > 0);
}

#[test]
fn rewriting_is_deterministic() {
    let (app, builtin) = (parse(APP), parse(BUILTIN));
    let s = shuffled(&app, &builtin, Some(3));
    let inputs = [input("builtin", &builtin), input("app", &app)];
    let (mut w1, mut w2) = (Vec::new(), Vec::new());
    let first = rewrite(&inputs, &s.map, &mut w1);
    let second = rewrite(&inputs, &s.map, &mut w2);
    assert!(!first.is_empty());
    assert_eq!(first, second);
}

#[test]
fn no_dwarf_gives_no_sections() {
    let app = parse(APP);
    let mut bare = input("app", &app);
    bare.sections.clear();
    let map = identity(&app, 0, code_end(&app));
    let mut warnings = Vec::new();
    assert!(rewrite(&[bare], &map, &mut warnings).is_empty());
    assert!(warnings.is_empty());
}

/// The DIEs with code or a location list, sorted, per unit: each one's
/// tag, its output ranges (none for the tombstone or an empty range), and
/// its location list's entries, as (range, expression bytes).
type Code = Vec<
    Vec<(
        constants::DwTag,
        Vec<Range<u64>>,
        Option<Vec<(Range<u64>, Vec<u8>)>>,
    )>,
>;

fn code(sections: &[(&str, &[u8])]) -> Code {
    let dwarf = load(sections);
    let mut units = dwarf.units();
    let mut out = Vec::new();
    while let Some(header) = units.next().unwrap() {
        let unit = dwarf.unit(header).unwrap();
        let mut dies = Vec::new();
        let mut cursor = unit.entries();
        while let Some(entry) = cursor.next_dfs().unwrap() {
            let mut ranges = Vec::new();
            if entry.tag() != constants::DW_TAG_compile_unit {
                let mut iter = dwarf.die_ranges(&unit, entry).unwrap();
                while let Some(r) = iter.next().unwrap() {
                    if r.begin < r.end && r.begin != 0xffff_ffff {
                        ranges.push(r.begin..r.end);
                    }
                }
            }
            let locations = entry
                .attr_value(constants::DW_AT_location)
                .and_then(|v| dwarf.attr_locations_offset(&unit, v).unwrap())
                .map(|offset| {
                    let mut list = dwarf.locations(&unit, offset).unwrap();
                    let mut entries = Vec::new();
                    while let Some(l) = list.next().unwrap() {
                        entries.push((l.range.begin..l.range.end, l.data.0.slice().to_vec()));
                    }
                    entries
                });
            if !ranges.is_empty() || locations.is_some() {
                dies.push((entry.tag(), ranges, locations));
            }
        }
        // The converted path may reorder DIEs (base types first).
        dies.sort_by_key(|d| format!("{d:?}"));
        out.push(dies);
    }
    out
}

/// Output addresses `0..end` symbolized.
fn symbolized(sections: &[(&str, &[u8])], end: u32) -> Vec<Option<String>> {
    let lines = Lines::read(sections);
    (0..u64::from(end)).map(|a| lines.symbolize(a)).collect()
}

#[test]
fn patched_dwarf_says_what_converted_dwarf_says() {
    let (app, builtin, rust) = (parse(APP), parse(BUILTIN), parse(RUST));
    let none = Module {
        bodies: std::iter::once(1..40).collect(),
        code_starts: vec![3],
        sections: Vec::new(),
    };
    let identity_map = identity(&app, 0, code_end(&app));
    let moved = shuffled(&app, &builtin, None);
    let removed = shuffled(&app, &builtin, Some(2));
    let rust_identity = identity(&rust, 0, code_end(&rust));
    let rust_moved = shuffled(&rust, &builtin, Some(1));
    let with = |app| {
        [
            input("builtin", &builtin),
            input("app", app),
            input("virt", &none),
        ]
    };
    let (two, rust_two) = (with(&app), with(&rust));
    let (one, rust_one) = ([input("app", &app)], [input("app", &rust)]);
    let cases: [(&str, &[DebugInput<'_>], &CodeMap); 5] = [
        ("identity", &one, &identity_map),
        ("moved and inlined", &two, &moved.map),
        ("a function removed", &two, &removed.map),
        ("Rust, identity", &rust_one, &rust_identity),
        (
            "Rust, moved, inlined and a function removed",
            &rust_two,
            &rust_moved.map,
        ),
    ];
    for (case, inputs, map) in cases {
        let mut warnings = Vec::new();
        let (patched_sections, path) = rewrite_as(inputs, map, &mut warnings, Path::Patched);
        assert_eq!(path, Path::Patched, "{case}: the patching path gave up");
        // Walking the DIEs beside reading the line rows changes nothing,
        // and the module before the sections, copied in pieces by either
        // thread, is as it was.
        let reads: Vec<_> = inputs.iter().map(super::load).collect();
        let module: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        let beside = patched(inputs, &reads, map, true, &module).ok();
        let beside = beside.expect("the threads patch what one thread does");
        let sections = beside.strip_prefix(module.as_slice()).expect("module kept");
        assert_eq!(super::sections_in(sections), patched_sections, "{case}");
        let (converted, path) = rewrite_as(inputs, map, &mut warnings, Path::Converted);
        assert_eq!(path, Path::Converted);
        assert_eq!(warnings, Vec::<String>::new(), "{case}");
        let (patched, converted) = (owned(&patched_sections), owned(&converted));
        let lines = symbolized(&patched, map.end);
        assert!(lines.iter().filter(|l| l.is_some()).count() > 100, "{case}");
        assert_eq!(lines, symbolized(&converted, map.end), "{case}");
        let (patched_code, converted_code) = (code(&patched), code(&converted));
        assert!(
            patched_code
                .iter()
                .flatten()
                .filter(|d| !d.1.is_empty())
                .count()
                > 5,
            "{case}"
        );
        assert!(
            patched_code
                .iter()
                .flatten()
                .any(|d| d.2.as_ref().is_some_and(|l| !l.is_empty())),
            "{case}: no location list survives"
        );
        assert_eq!(patched_code, converted_code, "{case}");
        let strings = |sections: &[(&str, &[u8])]| -> Vec<String> {
            subprograms(sections).into_keys().collect()
        };
        assert_eq!(strings(&patched), strings(&converted), "{case}");
    }
}

/// DWARF the patching path does not read (here, an input naming a
/// `.debug_addr` section, as DWARF 5 does) goes through gimli instead,
/// with the same result as asking for the converting path.
#[test]
fn what_patching_cannot_read_is_converted() {
    let app = parse(APP);
    let map = identity(&app, 0, code_end(&app));
    let addr = [8u8, 0, 0, 0, 5, 0, 4, 0, 0, 0, 0, 0];
    let mut with_addr = input("app", &app);
    with_addr.sections.push((".debug_addr", &addr));
    let mut warnings = Vec::new();
    let (out, path) = rewrite_as(&[with_addr], &map, &mut warnings, Path::Patched);
    assert_eq!(path, Path::Converted);
    let (plain, path) = rewrite_as(&[input("app", &app)], &map, &mut warnings, Path::Converted);
    assert_eq!(path, Path::Converted);
    assert_eq!(warnings, Vec::<String>::new());
    assert_eq!(out, plain);
}

/// Every byte of the app's `.debug_info` and `.debug_line` flipped in
/// turn: whichever path takes it, the rewrite neither panics nor leaves
/// a line row outside the output's code.
#[test]
fn damaged_dwarf_is_patched_or_converted_without_panicking() {
    let (app, builtin) = (parse(APP), parse(BUILTIN));
    // Alone and unmoved; and moved, with builtin code (with DWARF)
    // inlined into it, which the patching path inserts DIEs for.
    let alone = identity(&app, 0, code_end(&app));
    let moved = shuffled(&app, &builtin, None);
    let mut patched = 0;
    for (map, step, with_builtin) in [(&alone, 3, false), (&moved.map, 7, true)] {
        for name in [
            ".debug_info",
            ".debug_line",
            ".debug_abbrev",
            ".debug_loc",
            ".debug_ranges",
        ] {
            let Some(&(_, original)) = app.sections.iter().find(|(n, _)| *n == name) else {
                continue;
            };
            for at in (0..original.len()).step_by(step) {
                let mut damaged = original.to_vec();
                damaged[at] ^= 0xa5;
                let mut bad = input("app", &app);
                for section in &mut bad.sections {
                    if section.0 == name {
                        section.1 = &damaged;
                    }
                }
                let mut warnings = Vec::new();
                // What comes before the sections is left alone, and a walk
                // given up halfway leaves nothing behind.
                let bad = if with_builtin {
                    vec![input("builtin", &builtin), bad]
                } else {
                    vec![bad]
                };
                let (module, path) =
                    super::write_as(&bad, map, &mut warnings, Path::Patched, b"module");
                assert_eq!(&module[..6], b"module", "{name} byte {at}");
                // Sharing the work between threads gives up where one thread
                // does, and otherwise writes the same bytes.
                let reads: Vec<_> = bad.iter().map(super::load).collect();
                let alone = super::patched(&bad, &reads, map, false, b"module").ok();
                let beside = super::patched(&bad, &reads, map, true, b"module").ok();
                assert_eq!(alone, beside, "{name} byte {at}");
                assert_eq!(alone.is_some(), path == Path::Patched, "{name} byte {at}");
                let out = super::sections_in(&module[6..]);
                let mut names: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
                names.sort_unstable();
                names.dedup();
                assert_eq!(names.len(), out.len(), "{name} byte {at}: {names:?}");
                patched += usize::from(path == Path::Patched);
                let sections = owned(&out);
                if sections.iter().any(|(n, _)| *n == ".debug_line") {
                    let dwarf = load(&sections);
                    let mut units = dwarf.units();
                    while let Ok(Some(header)) = units.next() {
                        let Ok(unit) = dwarf.unit(header) else {
                            continue;
                        };
                        let Some(program) = unit.line_program.clone() else {
                            continue;
                        };
                        let mut rows = program.rows();
                        while let Ok(Some((_, row))) = rows.next_row() {
                            if path == Path::Patched {
                                assert!(row.address() <= u64::from(map.end), "{name} byte {at}");
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(patched > 100, "{patched}");
}

/// The name of the DIE at `offset` of `.debug_info`, following
/// `DW_AT_abstract_origin` and `DW_AT_specification` as debuggers do.
fn die_name(dwarf: &Dwarf<'_>, offset: u64) -> Option<String> {
    let offset = gimli::DebugInfoOffset(offset as usize);
    let mut units = dwarf.units();
    while let Some(header) = units.next().unwrap() {
        let Some(inside) = offset.to_unit_offset(&header) else {
            continue;
        };
        let unit = dwarf.unit(header).unwrap();
        let entry = unit.entry(inside).unwrap();
        if let Some(name) = entry.attr_value(constants::DW_AT_name) {
            let name = dwarf.attr_string(&unit, name).unwrap();
            return Some(String::from_utf8_lossy(name.slice()).into_owned());
        }
        for attr in [
            constants::DW_AT_abstract_origin,
            constants::DW_AT_specification,
        ] {
            match entry.attr_value(attr) {
                Some(gimli::AttributeValue::UnitRef(o)) => {
                    let o = o.to_debug_info_offset(&unit.header).unwrap();
                    return die_name(dwarf, o.0 as u64);
                }
                Some(gimli::AttributeValue::DebugInfoRef(o)) => return die_name(dwarf, o.0 as u64),
                _ => {}
            }
        }
        return None;
    }
    None
}

/// The name of each subprogram with a `DW_AT_low_pc`, by that address.
fn functions(sections: &[(&str, &[u8])]) -> BTreeMap<u64, String> {
    let mut out = BTreeMap::new();
    each_subprogram(sections, |dwarf, unit, entry, low| {
        let offset = entry.offset().to_debug_info_offset(&unit.header).unwrap();
        if let (Some(low), Some(name)) = (low, die_name(dwarf, offset.0 as u64)) {
            out.insert(low, name);
        }
    });
    out
}

/// A link of one output function: the start of `app`'s function `caller`
/// (input 1), then, for its first instruction, a call replaced by a copy
/// of the builtin's (input 0) `code`, at output offset 8, to the end.
fn one_copy(app: &Module<'_>, caller: usize, code: Range<u32>) -> CodeMap {
    let call = at(1, app.code_starts[caller]);
    let end = 8 + code.end - code.start;
    CodeMap {
        marks: vec![
            mark(0, Source::None, None),
            mark(1, Source::At(at(1, app.bodies[caller].start)), None),
            mark(3, Source::At(call), None),
            mark(8, Source::Copy(at(0, code.start)), Some(call)),
            mark(end, Source::None, None),
        ],
        end,
        bodies: std::iter::once(1..end).collect(),
    }
}

/// The index of `module`'s function body whose subprogram is called `name`.
fn body_named(module: &Module<'_>, name: &str) -> usize {
    let names = functions(&module.sections);
    (0..module.bodies.len())
        .find(|&i| {
            names
                .get(&u64::from(module.bodies[i].start))
                .map(String::as_str)
                == Some(name)
        })
        .unwrap_or_else(|| panic!("no function `{name}`"))
}

/// One `DW_TAG_inlined_subroutine`: its callee's name, code, call place
/// (`file:line`), and the index of the inlined subroutine it is nested
/// in, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
struct InlinedDie {
    callee: String,
    code: Range<u64>,
    call: Option<String>,
    /// The call's column, when known (not 0).
    column: Option<u64>,
    parent: Option<usize>,
}

/// The `DW_TAG_inlined_subroutine`s the link added (their callee is one
/// of `callees`), in DIE order.
fn inlined_dies(sections: &[(&str, &[u8])], callees: &[&str]) -> Vec<InlinedDie> {
    let dwarf = load(sections);
    let mut out = Vec::new();
    let mut units = dwarf.units();
    while let Some(header) = units.next().unwrap() {
        let unit = dwarf.unit(header).unwrap();
        // The last inlined subroutine at each depth.
        let mut open: Vec<(isize, usize)> = Vec::new();
        let mut cursor = unit.entries();
        while let Some(entry) = cursor.next_dfs().unwrap() {
            let depth = entry.depth();
            open.retain(|(d, _)| *d < depth);
            if entry.tag() != constants::DW_TAG_inlined_subroutine {
                continue;
            }
            let callee = die_name(&dwarf, origin_of(&unit, entry)).expect("the callee is named");
            if !callees.contains(&callee.as_str()) {
                continue;
            }
            let mut ranges = Vec::new();
            let mut read = dwarf.die_ranges(&unit, entry).unwrap();
            while let Some(range) = read.next().unwrap() {
                ranges.push(range);
            }
            // An input's own inlined copy whose code the link removed
            // (the app's, when it inlined a function of the same name):
            // every DIE added describes code that is there.
            let removed = |r: &gimli::Range| r.begin >= r.end || r.begin == u64::from(u32::MAX);
            if ranges.iter().all(removed) {
                continue;
            }
            let [range] = ranges[..] else {
                panic!("one range: {ranges:?}");
            };
            out.push(InlinedDie {
                callee,
                code: range.begin..range.end,
                call: call_of(&dwarf, &unit, entry),
                column: entry
                    .attr_value(constants::DW_AT_call_column)
                    .map(|v| v.udata_value().expect("a column")),
                parent: open.last().map(|(_, i)| *i),
            });
            open.push((depth, out.len() - 1));
        }
    }
    out
}

/// The subprograms with a `DW_AT_low_pc` that have no children, by it.
fn childless(sections: &[(&str, &[u8])]) -> BTreeSet<u64> {
    let mut out = BTreeSet::new();
    each_subprogram(sections, |_, _, entry, low| {
        if let (false, Some(low)) = (entry.has_children(), low) {
            out.insert(low);
        }
    });
    out
}

/// In every app function with a DIE (its first instruction the call), a
/// builtin function inlined there and another builtin function inlined
/// into that copy come out as two nested `DW_TAG_inlined_subroutine`s in
/// the app's unit, each naming its callee, its copy's code and the line
/// of its call, by both paths alike: under functions with DIEs of their
/// own and under childless ones (which the patching path gives children).
#[test]
fn inlined_builtin_code_is_an_inlined_subroutine() {
    let (app, builtin) = (parse(APP), parse(BUILTIN));
    inlined_builtin_code_case(&app, &builtin, None, true);
}

/// What the builtin's compiler inlined into a builtin function (clang put
/// `buffer_ptr` and `buffer_len` into `get`) is described again in each
/// copy the link makes of the function, nested in the copy's DIE, by both
/// paths alike: the same callees, calls and columns, at the copy's code.
/// One copy is split by a nested copy of another builtin function in the
/// middle of a subroutine, which then comes out in two pieces; the code
/// written for that call stands for the call, which is the subroutine's.
#[test]
fn a_builtins_own_inlining_is_described_in_each_copy() {
    let (app, builtin) = (parse(APP), parse(BUILTIN));
    let app_names = functions(&app.sections);
    let (get, set) = (body_named(&builtin, "get"), body_named(&builtin, "set"));
    let get_code = builtin.code_starts[get];
    let get_end = builtin.bodies[get].end;
    let set_code = builtin.code_starts[set];
    // What clang inlined into `get`, at its input code.
    let subroutines = ["buffer_ptr", "buffer_len"];
    let own: Vec<InlinedDie> = inlined_dies(&builtin.sections, &subroutines)
        .into_iter()
        .filter(|die| {
            u64::from(builtin.bodies[get].start) <= die.code.start
                && die.code.end <= u64::from(get_end)
        })
        .collect();
    assert_eq!(own.len(), 2, "{own:?}");
    assert!(own
        .iter()
        .all(|die| die.parent.is_none() && die.call.is_some()));
    // Splitting the copy inside the first subroutine.
    let split = (own[0].code.start + own[0].code.end) as u32 / 2;
    let callers: Vec<usize> = (0..app.bodies.len())
        .filter(|&i| {
            app.bodies[i].end > app.code_starts[i] + 5
                && app_names.contains_key(&u64::from(app.bodies[i].start))
        })
        .take(4)
        .collect();
    assert_eq!(callers.len(), 4);
    let mut marks = vec![mark(0, Source::None, None)];
    let mut bodies = Vec::new();
    let mut expected = Vec::new();
    let mut start = 1;
    for (k, &caller) in callers.iter().enumerate() {
        let call = at(1, app.code_starts[caller]);
        let copy = start + 7;
        marks.extend([
            mark(start, Source::At(at(1, app.bodies[caller].start)), None),
            mark(start + 2, Source::At(call), None),
            mark(copy, Source::Copy(at(0, get_code)), Some(call)),
        ]);
        let here = expected.len();
        // Where input code `at` of `get` is in this copy.
        let out = |at: u32| u64::from(copy + at - get_code);
        let (end, inner) = if k == 1 {
            // `get` up to `split`, the code written for a call and 10
            // bytes of `set`, then the rest of `get`, 13 bytes later.
            let (nested_call, set_copy) = (copy + split - get_code, copy + split - get_code + 3);
            marks.extend([
                mark(nested_call, Source::At(at(0, split)), Some(call)),
                mark(set_copy, Source::Copy(at(0, set_code)), Some(call)),
                mark(set_copy + 10, Source::Copy(at(0, split)), Some(call)),
            ]);
            (
                copy + get_end - get_code + 13,
                Some(u64::from(set_copy)..u64::from(set_copy + 10)),
            )
        } else {
            (copy + get_end - get_code, None)
        };
        // After the split, the copy's code is 13 bytes further on.
        let shifted = |at: u64| {
            if inner.is_some() && at > u64::from(split) {
                out(at as u32) + 13
            } else {
                out(at as u32)
            }
        };
        expected.push(InlinedDie {
            callee: "get".into(),
            code: u64::from(copy)..u64::from(end),
            call: None,
            column: None,
            parent: None,
        });
        for die in &own {
            // The code written for the nested call stands for the call, an
            // instruction of the subroutine: its piece holds it.
            let pieces: Vec<Range<u64>> = if inner.is_some() && die.code.contains(&u64::from(split))
            {
                vec![
                    shifted(die.code.start)..out(split) + 3,
                    out(split) + 13..shifted(die.code.end),
                ]
            } else {
                std::iter::once(shifted(die.code.start)..shifted(die.code.end)).collect()
            };
            for code in pieces {
                expected.push(InlinedDie {
                    code,
                    parent: Some(here),
                    ..die.clone()
                });
            }
        }
        if let Some(code) = inner {
            expected.push(InlinedDie {
                callee: "set".into(),
                code,
                call: None,
                column: None,
                parent: Some(here),
            });
        }
        marks.extend([
            mark(end, Source::Copy(at(1, call.offset + 5)), None),
            mark(end + 4, Source::None, None),
        ]);
        bodies.push(start..end + 4);
        start = end + 6;
    }
    let map = CodeMap {
        marks,
        end: start,
        bodies,
    };
    let inputs = [input("builtin", &builtin), input("app", &app)];
    let callees = ["get", "set", "buffer_ptr", "buffer_len"];
    for (path, sections) in both_paths(&inputs, &map) {
        let mut dies = inlined_dies(&owned(&sections), &callees);
        // The calls' places in the app are the app's lines: checked by
        // the test above; here only that they are there.
        for die in &mut dies {
            if matches!(die.callee.as_str(), "get" | "set") {
                assert!(die.call.is_some(), "{path:?}: {die:?}");
                (die.call, die.column) = (None, None);
            }
        }
        assert_eq!(dies, expected, "{path:?}");
    }
}

/// Debug sections by name, in order.
type Sections = Vec<(String, Vec<u8>)>;

/// The sections of `inputs` rewritten for `map` by each path, which must
/// take it and warn of nothing.
fn both_paths(inputs: &[DebugInput<'_>], map: &CodeMap) -> [(Path, Sections); 2] {
    [Path::Patched, Path::Converted].map(|path| {
        let mut warnings = Vec::new();
        let (sections, took) = rewrite_as(inputs, map, &mut warnings, path);
        assert_eq!(took, path);
        assert_eq!(warnings, Vec::<String>::new(), "{path:?}");
        (path, sections)
    })
}

/// One inlined subroutine under a DIE, each of its ranges on its own: the
/// callee's name, the range, the call's `file:line` and column, the range
/// of the subroutine it is nested in (`None` directly under the DIE), and
/// how deep it is nested.
type Piece = (
    String,
    Range<u64>,
    Option<String>,
    Option<u64>,
    Option<Range<u64>>,
    usize,
);

/// `pieces` in one order, whatever order their DIEs came in.
fn sort_pieces(pieces: &mut [Piece]) {
    pieces.sort_by_key(|(name, range, call, column, parent, depth)| {
        let parent = parent.as_ref().map(|p| (p.start, p.end));
        (
            name.clone(),
            range.start,
            range.end,
            call.clone(),
            *column,
            parent,
            *depth,
        )
    });
}

/// The inlined subroutines under each DIE for which `root` holds of its
/// tag and `DW_AT_low_pc`, as sorted [`Piece`]s, by that low PC.
fn pieces_under(
    sections: &[(&str, &[u8])],
    root: impl Fn(constants::DwTag, u64) -> bool,
) -> BTreeMap<u64, Vec<Piece>> {
    let dwarf = load(sections);
    let mut units = dwarf.units();
    let mut all: BTreeMap<u64, Vec<Piece>> = BTreeMap::new();
    while let Some(header) = units.next().unwrap() {
        let unit = dwarf.unit(header).unwrap();
        let mut cursor = unit.entries();
        // The open root's depth and low PC, and each open subroutine's
        // depth and ranges.
        let mut open_root: Option<(isize, u64)> = None;
        let mut open: Vec<(isize, Vec<Range<u64>>)> = Vec::new();
        while let Some(entry) = cursor.next_dfs().unwrap() {
            let depth = entry.depth();
            if open_root.is_some_and(|(d, _)| depth <= d) {
                open_root = None;
            }
            let Some((_, low_pc)) = open_root else {
                let low = entry
                    .attr_value(constants::DW_AT_low_pc)
                    .and_then(|v| dwarf.attr_address(&unit, v).unwrap());
                if let Some(low) = low.filter(|&low| root(entry.tag(), low)) {
                    open_root = Some((depth, low));
                    open.clear();
                    all.entry(low).or_default();
                }
                continue;
            };
            open.retain(|(d, _)| *d < depth);
            if entry.tag() != constants::DW_TAG_inlined_subroutine {
                continue;
            }
            let name = die_name(&dwarf, origin_of(&unit, entry)).expect("the callee is named");
            let call = call_of(&dwarf, &unit, entry);
            let column = entry
                .attr_value(constants::DW_AT_call_column)
                .and_then(|v| v.udata_value());
            let mut ranges = Vec::new();
            let mut read = dwarf.die_ranges(&unit, entry).unwrap();
            while let Some(range) = read.next().unwrap() {
                if range.begin < range.end {
                    ranges.push(range.begin..range.end);
                }
            }
            let pieces = all.entry(low_pc).or_default();
            for range in &ranges {
                let parent = open.last().map(|(_, parent)| {
                    parent
                        .iter()
                        .find(|p| p.start <= range.start && range.end <= p.end)
                        .expect("a subroutine inside the one it is nested in")
                        .clone()
                });
                let piece = (name.clone(), range.clone(), call.clone(), column, parent);
                pieces.push((piece.0, piece.1, piece.2, piece.3, piece.4, open.len()));
            }
            open.push((depth, ranges));
        }
    }
    for pieces in all.values_mut() {
        sort_pieces(pieces);
    }
    all
}

/// A builtin function with subroutines inlined many levels deep, some of
/// them in several ranges (rustc's, here), copied whole into app
/// functions: under each copy's DIE, every subroutine again, nested as in
/// the builtin, at the copy's code, one DIE per range, by both paths.
#[test]
fn a_builtins_deep_inlining_is_described_in_each_copy() {
    let rust = parse(RUST);
    let all = pieces_under(&rust.sections, |tag, _| tag == constants::DW_TAG_subprogram);
    // The Rust function whose subroutines nest deepest, with a subroutine
    // in more than one range among them.
    let (body, own) = (0..rust.bodies.len())
        .filter_map(|i| Some((i, all.get(&u64::from(rust.bodies[i].start))?)))
        .filter(|(_, pieces)| {
            let mut seen = BTreeMap::new();
            for piece in pieces.iter() {
                *seen.entry((&piece.0, &piece.2, piece.5)).or_insert(0) += 1;
            }
            seen.values().any(|&n| n > 1)
        })
        .max_by_key(|(_, pieces)| pieces.iter().map(|piece| piece.5).max())
        .expect("a Rust function with a subroutine in pieces");
    let deepest = own.iter().map(|piece| piece.5).max().unwrap_or(0);
    assert!(deepest >= 3, "{own:?}");
    copied_whole_keeps_its_subroutines(&rust, body, own);
}

/// A builtin built with link-time optimization, whose subroutines name
/// their origins in the builtin's other unit (`DW_FORM_ref_addr`): every
/// one of them again under each copy of the function, by both paths.
#[test]
fn a_builtins_inlining_across_its_units_is_described_in_each_copy() {
    let lto = parse(BUILTIN_LTO);
    let get = body_named(&lto, "get");
    let all = pieces_under(&lto.sections, |tag, _| tag == constants::DW_TAG_subprogram);
    let own = &all[&u64::from(lto.bodies[get].start)];
    let callees: Vec<&str> = own.iter().map(|piece| piece.0.as_str()).collect();
    assert_eq!(callees, ["buffer_len", "buffer_ptr"]);
    // Their origins are in `buffer.c`'s unit, `get` in `builtin.c`'s.
    let mut origins = Vec::new();
    each_die(&load(&lto.sections), |_, entry| {
        if entry.tag() == constants::DW_TAG_inlined_subroutine {
            origins.push(entry.attr_value(constants::DW_AT_abstract_origin));
        }
    });
    assert!(!origins.is_empty());
    assert!(
        origins
            .iter()
            .all(|origin| matches!(origin, Some(gimli::AttributeValue::DebugInfoRef(_)))),
        "{origins:?}"
    );
    copied_whole_keeps_its_subroutines(&lto, get, own);
}

/// Each row's file in some DWARF sections as a path, joined as `addr2line`
/// joins it (the unit's compilation directory, the file's directory
/// unless that is directory 0, the compilation directory, then its name;
/// an absolute part starts afresh), by the row's address.
fn row_paths(sections: &[(&str, &[u8])]) -> BTreeMap<u64, String> {
    let join = |base: &str, path: &str| match (base, path) {
        (base, "") => base.to_string(),
        ("", path) => path.to_string(),
        (_, path) if path.starts_with('/') => path.to_string(),
        (base, path) => format!("{}/{path}", base.trim_end_matches('/')),
    };
    let dwarf = load(sections);
    let mut paths = BTreeMap::new();
    let mut units = dwarf.units();
    while let Some(header) = units.next().unwrap() {
        let unit = dwarf.unit(header).unwrap();
        let string = |value| {
            let value = dwarf.attr_string(&unit, value).unwrap();
            String::from_utf8_lossy(value.slice()).into_owned()
        };
        let comp_dir = unit
            .comp_dir
            .map(|d| String::from_utf8_lossy(d.slice()).into_owned())
            .unwrap_or_default();
        let Some(program) = unit.line_program.clone() else {
            continue;
        };
        let mut rows = program.rows();
        while let Some((header, row)) = rows.next_row().unwrap() {
            let Some(file) = row.file(header).filter(|_| !row.end_sequence()) else {
                continue;
            };
            let directory = match file.directory(header) {
                Some(directory) if file.directory_index() != 0 => string(directory),
                _ => String::new(),
            };
            let path = join(&join(&comp_dir, &directory), &string(file.path_name()));
            paths.insert(row.address(), path);
        }
    }
    paths
}

/// A builtin whose compilation directory is relative, as a reproducible
/// build makes it (`-ffile-prefix-map=$PWD=...`), copied into an app
/// function of a unit with another: the copy's rows name the builtin's
/// files by their paths under the caller's compilation directory, the
/// builtin's directory once, by both paths. (A relative directory in a
/// line table is relative to its unit's compilation directory; the
/// builtin's own can be named only from there.)
#[test]
fn a_builtins_files_are_named_under_the_callers_compilation_directory() {
    let (app, lto) = (parse(APP), parse(BUILTIN_LTO));
    let get = body_named(&lto, "get");
    // An app function of `app.c`, whose rows name it by an absolute path.
    let app_paths = row_paths(&app.sections);
    let caller = (0..app.bodies.len())
        .find(|&i| {
            app_paths
                .get(&u64::from(app.code_starts[i]))
                .is_some_and(|path| path.ends_with("/app.c"))
        })
        .expect("a function of app.c");
    let (code, code_end) = (lto.code_starts[get], lto.bodies[get].end);
    // The builtin's files, relative to its relative compilation
    // directory, and the caller's unit's directory.
    let builtin_paths = row_paths(&lto.sections);
    let files: BTreeSet<&String> = builtin_paths
        .range(u64::from(code)..u64::from(code_end))
        .map(|(_, path)| path)
        .collect();
    assert!(
        files
            .iter()
            .all(|path| path.starts_with("linker/tests/data/debug/lto/")),
        "{files:?}"
    );
    assert!(files.len() >= 2, "{files:?}");
    // The compilation directory of the app's own unit (the other is
    // wasi-libc's).
    let dwarf = load(&app.sections);
    let mut units = dwarf.units();
    let mut caller_dir = None;
    while let Some(header) = units.next().unwrap() {
        let unit = dwarf.unit(header).unwrap();
        if unit
            .name
            .is_some_and(|name| name.slice().ends_with(b"app.c"))
        {
            caller_dir = unit
                .comp_dir
                .map(|d| String::from_utf8_lossy(d.slice()).into_owned());
        }
    }
    let caller_dir = caller_dir.expect("the app's unit names its directory");
    assert!(caller_dir.starts_with('/'), "{caller_dir}");
    let map = one_copy(&app, caller, code..code_end);
    let end = map.end;
    let inputs = [input("builtin", &lto), input("app", &app)];
    let expected: BTreeSet<String> = files
        .iter()
        .map(|path| format!("{caller_dir}/{path}"))
        .collect();
    for (path, sections) in both_paths(&inputs, &map) {
        let out = row_paths(&owned(&sections));
        let found: BTreeSet<String> = out
            .range(8..u64::from(end))
            .map(|(_, p)| p.clone())
            .collect();
        assert_eq!(found, expected, "{path:?}");
    }
}

/// Function `body` of `builtin`, whose compiler inlined the subroutines
/// `own` into it, copied whole into three app functions: under each copy's
/// DIE, by both paths, every one of them again, nested as in the builtin,
/// at the copy's code.
fn copied_whole_keeps_its_subroutines(builtin: &Module, body: usize, own: &[Piece]) {
    let app = parse(APP);
    let (code, end) = (builtin.code_starts[body], builtin.bodies[body].end);
    let app_names = functions(&app.sections);
    let callers: Vec<usize> = (0..app.bodies.len())
        .filter(|&i| app_names.contains_key(&u64::from(app.bodies[i].start)))
        .take(3)
        .collect();
    let mut marks = vec![mark(0, Source::None, None)];
    let mut bodies = Vec::new();
    let mut copies = BTreeSet::new();
    let mut start = 1;
    for &caller in &callers {
        let call = at(1, app.code_starts[caller]);
        let copy = start + 7;
        let copy_end = copy + end - code;
        marks.extend([
            mark(start, Source::At(at(1, app.bodies[caller].start)), None),
            mark(start + 2, Source::At(call), None),
            mark(copy, Source::Copy(at(0, code)), Some(call)),
            mark(copy_end, Source::None, None),
        ]);
        bodies.push(start..copy_end);
        copies.insert(u64::from(copy));
        start = copy_end + 2;
    }
    let map = CodeMap {
        marks,
        end: start,
        bodies,
    };
    let inputs = [input("builtin", builtin), input("app", &app)];
    for (path, sections) in both_paths(&inputs, &map) {
        let sections = owned(&sections);
        let found = pieces_under(&sections, |tag, low| {
            tag == constants::DW_TAG_inlined_subroutine && copies.contains(&low)
        });
        assert_eq!(found.len(), copies.len(), "{path:?}");
        for (&copy, pieces) in &found {
            // A copy starts at the function's first instruction: what
            // clang's subroutines cover of the local declarations before
            // it is not in the copy.
            let code = u64::from(code);
            let shift = |r: &Range<u64>| r.start.max(code) - code + copy..r.end - code + copy;
            let mut expected: Vec<Piece> = own
                .iter()
                .map(|(name, range, call, column, parent, depth)| {
                    let parent = parent.as_ref().map(shift);
                    (
                        name.clone(),
                        shift(range),
                        call.clone(),
                        *column,
                        parent,
                        *depth,
                    )
                })
                .collect();
            sort_pieces(&mut expected);
            assert_eq!(pieces, &expected, "{path:?}: the copy at {copy}");
        }
    }
}

/// A builtin whose inlined subroutine names as its origin an offset that
/// is no DIE (here inside one) gets none of its function's subroutines
/// described again in the copies ([`get_copied_without_its_subroutines`]).
#[test]
fn a_subroutine_naming_no_die_is_not_described_again() {
    // `buffer_ptr` inlined into `get`: abbreviation 8, then its origin,
    // `buffer_ptr`'s abstract DIE at 0x49, as a `DW_FORM_ref4`.
    let builtin = origin_moved(parse(BUILTIN), 0x8b, [8, 0x49, 0, 0, 0]);
    get_copied_without_its_subroutines(builtin);
}

/// Likewise an origin in the builtin's other unit: the LTO builtin's
/// `buffer_ptr` inlined into `get` names `buffer_ptr`'s DIE in
/// `buffer.c`'s unit by `DW_FORM_ref_addr`, here moved inside it. What
/// every unit's DIEs are checked against must not take it for a DIE.
#[test]
fn a_subroutine_naming_no_die_in_another_unit_is_not_described_again() {
    // Abbreviation 4, then the origin at 0x1e6.
    let lto = origin_moved(parse(BUILTIN_LTO), 0x51, [4, 0xe6, 1, 0, 0]);
    get_copied_without_its_subroutines(lto);
}

/// `module` with the origin of the inlined subroutine at `at` of its
/// `.debug_info` (whose abbreviation and 4-byte origin are `was`) moved
/// one byte on, inside the DIE it named.
fn origin_moved(module: Module<'_>, at: usize, was: [u8; 5]) -> Module<'_> {
    let mut info = section(&module.sections, ".debug_info").to_vec();
    assert_eq!(info[at..at + 5], was);
    info[at + 1] += 1;
    let info: &[u8] = info.leak();
    let mut sections = module.sections.clone();
    for section in &mut sections {
        if section.0 == ".debug_info" {
            section.1 = info;
        }
    }
    Module { sections, ..module }
}

/// `builtin`'s `get`, one of whose subroutines names no DIE, copied into
/// an app function: patching, which passes such an input reference on as
/// it is, still describes the copy and names only DIEs; converting leaves
/// the builtin's DWARF out, with a warning.
fn get_copied_without_its_subroutines(builtin: Module<'_>) {
    let app = parse(APP);
    let get = body_named(&builtin, "get");
    let (get_code, get_end) = (builtin.code_starts[get], builtin.bodies[get].end);
    let app_names = functions(&app.sections);
    let caller = (0..app.bodies.len())
        .find(|&i| app_names.contains_key(&u64::from(app.bodies[i].start)))
        .expect("an app function with a DIE");
    let map = one_copy(&app, caller, get_code..get_end);
    let end = map.end;
    let inputs = [input("builtin", &builtin), input("app", &app)];
    for path in [Path::Patched, Path::Converted] {
        let mut warnings = Vec::new();
        let (sections, took) = rewrite_as(&inputs, &map, &mut warnings, path);
        assert_eq!(took, path);
        // Converting checks every reference: it leaves the builtin's DWARF
        // out, saying so, and the copy has no callee to name.
        let copies = match path {
            Path::Patched => {
                assert_eq!(warnings, Vec::<String>::new());
                1
            }
            Path::Converted => {
                let [warning] = &warnings[..] else {
                    panic!("{warnings:?}");
                };
                let dropped =
                    "dropped the debug information of builtin: .debug_info: invalid DWARF";
                assert!(warning.starts_with(dropped), "{warning}");
                0
            }
        };
        let sections = owned(&sections);
        let dwarf = load(&sections);
        let mut dies = BTreeSet::new();
        let mut origins = Vec::new();
        each_die(&dwarf, |unit, entry| {
            let offset = entry.offset().to_debug_info_offset(&unit.header).unwrap();
            dies.insert(offset.0);
            if entry.tag() != constants::DW_TAG_inlined_subroutine {
                return;
            }
            let mut code = dwarf.die_ranges(unit, entry).unwrap();
            let Some(range) = code.next().unwrap() else {
                return;
            };
            if range.begin >= 8 && range.end <= u64::from(end) {
                origins.push(origin_of(unit, entry) as usize);
            }
        });
        // The copy of `get`, and nothing nested in it.
        assert_eq!(origins.len(), copies, "{path:?}: {origins:?}");
        assert!(origins.iter().all(|o| dies.contains(o)), "{path:?}");
    }
}

/// The same with every reference of both inputs' DIEs a `DW_FORM_ref_addr`
/// (an offset into the whole `.debug_info`, as rustc writes references
/// across units): those naming a DIE after an added one must move with it,
/// in the units that gain DIEs and in those that only move (a third
/// input's, after the app's, its code gone). Every DIE's references name
/// the same DIEs as before, by both paths.
#[test]
fn section_offsets_move_with_the_dies_they_name() {
    let (app, builtin) = (parse(APP), parse(BUILTIN));
    let (app_abbrev, app_info) = ref_addr_everywhere(&app.sections);
    let (builtin_abbrev, builtin_info) = ref_addr_everywhere(&builtin.sections);
    fn replaced<'a>(
        module: &Module<'a>,
        abbrev: &'a [u8],
        info: &'a [u8],
    ) -> Vec<(&'a str, &'a [u8])> {
        let mut sections = module.sections.clone();
        for section in &mut sections {
            match section.0 {
                ".debug_abbrev" => section.1 = abbrev,
                ".debug_info" => section.1 = info,
                _ => {}
            }
        }
        sections
    }
    let app = Module {
        sections: replaced(&app, app_abbrev.leak(), app_info.leak()),
        ..app
    };
    let builtin = Module {
        sections: replaced(&builtin, builtin_abbrev.leak(), builtin_info.leak()),
        ..builtin
    };
    assert!(references(&app.sections).values().sum::<usize>() > 50);
    inlined_builtin_code_case(&app, &builtin, Some(&builtin), true);
    // The app's units twice over. The second copy's references are the
    // first's section offsets, so they name the first copy's DIEs, which
    // move as DIEs are added among them; the second copy gains no DIE
    // (its code belongs to the first), so its bytes only move, and its
    // references must be moved where they lie.
    let info = section(&app.sections, ".debug_info");
    let once = units(&app.sections);
    let twice: &[u8] = [info, info].concat().leak();
    let abbrev = section(&app.sections, ".debug_abbrev");
    let app = Module {
        sections: replaced(&app, abbrev, twice),
        ..app
    };
    assert_eq!(units(&app.sections), 2 * once);
    inlined_builtin_code_case(&app, &builtin, Some(&builtin), true);
    // The same with rustc's DWARF as the app's: other abbreviations, and
    // inlined subroutines of its own, some of them named as the builtin's
    // functions are (their code is removed here).
    let rust = parse(RUST);
    let (rust_abbrev, rust_info) = ref_addr_everywhere(&rust.sections);
    let rust = Module {
        sections: replaced(&rust, rust_abbrev.leak(), rust_info.leak()),
        ..rust
    };
    assert!(references(&rust.sections).values().sum::<usize>() > 50);
    inlined_builtin_code_case(&rust, &builtin, Some(&builtin), false);
}

/// How many units the sections' `.debug_info` holds.
fn units(sections: &[(&str, &[u8])]) -> usize {
    let dwarf = load(sections);
    let mut units = dwarf.units();
    let mut count = 0;
    while units.next().unwrap().is_some() {
        count += 1;
    }
    count
}

/// The sections' `.debug_abbrev` and `.debug_info` with every `DW_FORM_ref4`
/// made a `DW_FORM_ref_addr` (as wide in 32-bit DWARF) naming the same DIE.
fn ref_addr_everywhere(sections: &[(&str, &[u8])]) -> (Vec<u8>, Vec<u8>) {
    let mut abbrev = section(sections, ".debug_abbrev").to_vec();
    let mut info = section(sections, ".debug_info").to_vec();
    let uleb = |bytes: &[u8], at: &mut usize| {
        let mut reader = EndianSlice::new(&bytes[*at..], LittleEndian);
        let value = gimli::leb128::read::unsigned(&mut reader).unwrap();
        *at = bytes.len() - reader.len();
        value
    };
    // Every table: code, tag, children, then name and form pairs.
    let mut at = 0;
    while at < abbrev.len() {
        if uleb(&abbrev, &mut at) == 0 {
            continue;
        }
        uleb(&abbrev, &mut at);
        at += 1;
        loop {
            let name = uleb(&abbrev, &mut at);
            let form_at = at;
            let form = uleb(&abbrev, &mut at);
            if (name, form) == (0, 0) {
                break;
            }
            if form == u64::from(constants::DW_FORM_ref4.0) {
                abbrev[form_at] = constants::DW_FORM_ref_addr.0 as u8;
            }
        }
    }
    let dwarf = load(sections);
    let mut units = dwarf.units();
    while let Some(header) = units.next().unwrap() {
        let base = header.debug_info_offset().unwrap().0;
        let abbreviations = dwarf.abbreviations(&header).unwrap();
        let mut entries = header.entries_raw(&abbreviations, None).unwrap();
        while !entries.is_empty() {
            let Some(abbreviation) = entries.read_abbreviation().unwrap() else {
                continue;
            };
            for spec in abbreviation.attributes() {
                let at = base + entries.next_offset().0;
                let value = entries.read_attribute(*spec).unwrap().value();
                if let (constants::DW_FORM_ref4, gimli::AttributeValue::UnitRef(target)) =
                    (spec.form(), value)
                {
                    let target = u32::try_from(base + target.0).unwrap();
                    info[at..at + 4].copy_from_slice(&target.to_le_bytes());
                }
            }
        }
    }
    (abbrev, info)
}

/// Every reference of a DIE that is not an inlined subroutine (those the
/// link adds are checked apart), as the referring DIE's tag and name, the
/// attribute, and the named DIE's tag, name and declaration line; counted.
fn references(sections: &[(&str, &[u8])]) -> BTreeMap<(String, String, u16, String), usize> {
    let dwarf = load(sections);
    let describe = |unit: &Unit<'_>, entry: &Die<'_>| {
        let name = entry
            .attr_value(constants::DW_AT_name)
            .map(|name| dwarf.attr_string(unit, name).unwrap())
            .map(|name| String::from_utf8_lossy(name.slice()).into_owned())
            .unwrap_or_default();
        let line = entry
            .attr_value(constants::DW_AT_decl_line)
            .and_then(|line| line.udata_value());
        (entry.tag().to_string(), name, line)
    };
    // Every DIE by its `.debug_info` offset, described.
    let mut dies = BTreeMap::new();
    each_die(&dwarf, |unit, entry| {
        let offset = entry.offset().to_debug_info_offset(&unit.header).unwrap();
        dies.insert(offset, format!("{:?}", describe(unit, entry)));
    });
    let mut found = BTreeMap::new();
    each_die(&dwarf, |unit, entry| {
        if entry.tag() == constants::DW_TAG_inlined_subroutine {
            return;
        }
        let (tag, name, _) = describe(unit, entry);
        for attr in entry.attrs() {
            let target = match attr.value() {
                gimli::AttributeValue::UnitRef(o) => o.to_debug_info_offset(&unit.header),
                gimli::AttributeValue::DebugInfoRef(o) => Some(o),
                _ => None,
            };
            if let Some(target) = target {
                let named = dies.get(&target).expect("a reference to a DIE").clone();
                *found
                    .entry((tag.clone(), name.clone(), attr.name().0, named))
                    .or_insert(0) += 1;
            }
        }
    });
    found
}

/// [`inlined_builtin_code_is_an_inlined_subroutine`] of `app` and
/// `builtin`, with `bystander` as a third input if given; with `leaf`,
/// some caller's DIE has no children until the link gives it some.
fn inlined_builtin_code_case(
    app: &Module<'_>,
    builtin: &Module<'_>,
    bystander: Option<&Module<'_>>,
    leaf: bool,
) {
    let app_lines = Lines::read(&app.sections);
    let builtin_lines = Lines::read(&builtin.sections);
    let names = functions(&builtin.sections);
    let app_names = functions(&app.sections);
    // Two builtin functions with DWARF.
    let described: Vec<usize> = (0..builtin.bodies.len())
        .filter(|&i| names.contains_key(&u64::from(builtin.bodies[i].start)))
        .collect();
    let (outer, inner) = (described[0], described[1]);
    let (outer_code, inner_code) = (builtin.code_starts[outer], builtin.code_starts[inner]);
    let inner_call = outer_code + 2;
    let callers: Vec<usize> = (0..app.bodies.len())
        .filter(|&i| {
            app.bodies[i].end > app.code_starts[i] + 5
                && app_names.contains_key(&u64::from(app.bodies[i].start))
        })
        .collect();
    let leaves = childless(&app.sections);
    assert!(callers.len() > 3, "{callers:?}");
    assert!(
        !leaf
            || callers
                .iter()
                .any(|&i| leaves.contains(&u64::from(app.bodies[i].start)))
    );
    // Each caller's output body: its header, the code written for the
    // call, the outer copy's first 6 bytes, the code written for the
    // inner call, the inner copy, 4 more bytes of the outer copy, and 10
    // bytes of the rest of the caller.
    let mut marks = vec![mark(0, Source::None, None)];
    let mut bodies = Vec::new();
    let mut expected = Vec::new();
    let mut functions_at = BTreeMap::new();
    let mut start = 1;
    let mut with_lines = 0;
    for &caller in &callers {
        let call = at(1, app.code_starts[caller]);
        let rest = (app.bodies[caller].end - call.offset - 5).min(10);
        marks.extend([
            mark(start, Source::At(at(1, app.bodies[caller].start)), None),
            mark(start + 2, Source::At(call), None),
            mark(start + 7, Source::Copy(at(0, outer_code)), Some(call)),
            mark(start + 13, Source::At(at(0, inner_call)), Some(call)),
            mark(start + 16, Source::Copy(at(0, inner_code)), Some(call)),
            mark(start + 26, Source::Copy(at(0, outer_code + 6)), Some(call)),
            mark(start + 30, Source::Copy(at(1, call.offset + 5)), None),
            mark(start + 30 + rest, Source::None, None),
        ]);
        bodies.push(start..start + 30 + rest);
        functions_at.insert(
            u64::from(start),
            app_names[&u64::from(app.bodies[caller].start)].clone(),
        );
        expected.push(InlinedDie {
            callee: names[&u64::from(builtin.bodies[outer].start)].clone(),
            code: u64::from(start + 7)..u64::from(start + 30),
            call: app_lines.symbolize(u64::from(call.offset)),
            column: app_lines.column(u64::from(call.offset)),
            parent: None,
        });
        expected.push(InlinedDie {
            callee: names[&u64::from(builtin.bodies[inner].start)].clone(),
            code: u64::from(start + 16)..u64::from(start + 26),
            call: builtin_lines.symbolize(u64::from(inner_call)),
            column: builtin_lines.column(u64::from(inner_call)),
            parent: Some(expected.len() - 1),
        });
        with_lines += usize::from(expected[expected.len() - 2].call.is_some());
        start += 32 + rest;
    }
    assert!(with_lines > 3, "{with_lines}");
    // The outer builtin function kept as a function of its own, the inner
    // one inlined into it: the first input with DWARF gains a DIE too,
    // where its section offsets are its own (its base is 0). Its DIEs come
    // first in the output, so its copy is the first one found. The inner
    // function is the bystander's when there is one (a builtin importing
    // a later one's function), so its DIE comes after the caller's.
    let outer_start = builtin.bodies[outer].start;
    let inner_input = if bystander.is_some() { 2 } else { 0 };
    marks.extend([
        mark(start, Source::At(at(0, outer_start)), None),
        mark(start + 2, Source::Copy(at(0, outer_code)), None),
        mark(start + 4, Source::At(at(0, inner_call)), None),
        mark(
            start + 7,
            Source::Copy(at(inner_input, inner_code)),
            Some(at(0, inner_call)),
        ),
        mark(start + 17, Source::Copy(at(0, inner_call + 5)), None),
        mark(start + 21, Source::None, None),
    ]);
    bodies.push(start..start + 21);
    functions_at.insert(u64::from(start), names[&u64::from(outer_start)].clone());
    for die in &mut expected {
        die.parent = die.parent.map(|parent| parent + 1);
    }
    expected.insert(
        0,
        InlinedDie {
            callee: names[&u64::from(builtin.bodies[inner].start)].clone(),
            code: u64::from(start + 7)..u64::from(start + 17),
            call: builtin_lines.symbolize(u64::from(inner_call)),
            column: builtin_lines.column(u64::from(inner_call)),
            parent: None,
        },
    );
    start += 23;
    let map = CodeMap {
        marks,
        end: start,
        bodies,
    };
    let mut inputs = vec![input("builtin", builtin), input("app", app)];
    inputs.extend(bystander.map(|module| input("bystander", module)));
    let callees = [expected[1].callee.as_str(), expected[2].callee.as_str()];
    let mut before = BTreeMap::new();
    for module in [builtin, app].into_iter().chain(bystander) {
        for (reference, count) in references(&module.sections) {
            *before.entry(reference).or_insert(0) += count;
        }
    }
    for path in [Path::Patched, Path::Converted] {
        let mut warnings = Vec::new();
        let (sections, took) = rewrite_as(&inputs, &map, &mut warnings, path);
        assert_eq!(took, path);
        assert_eq!(warnings, Vec::<String>::new());
        let sections = owned(&sections);
        assert_eq!(references(&sections), before, "{path:?}");
        // Every caller's DIE moved with it, and holds its copies.
        let moved = functions(&sections);
        for (at, name) in &functions_at {
            assert_eq!(moved.get(at), Some(name), "{path:?}");
        }
        assert_eq!(inlined_dies(&sections, &callees), expected, "{path:?}");
    }
}

/// An expression naming a DIE by offset (here `DW_OP_call2`, put into one
/// of the app's location lists) would point at the wrong DIE once DIEs are
/// added before it: a link that adds DIEs for inlined code converts such
/// DWARF through gimli, which moves the reference, and still describes
/// the inlined code; one that adds none patches it as before.
#[test]
fn a_die_named_by_an_expression_is_left_to_gimli() {
    let (app, builtin) = (parse(APP), parse(BUILTIN));
    let loc = section(&app.sections, ".debug_loc");
    // The first `DW_OP_WASM_location 0 N; DW_OP_stack_value` of 4 bytes
    // becomes `DW_OP_call2 0x26; DW_OP_stack_value`, naming the unit's
    // first subprogram.
    let at = loc
        .windows(6)
        .position(|w| w[..3] == [4, 0, 0xed] && w[3] == 0 && w[5] == 0x9f)
        .expect("a 4-byte location expression");
    let mut changed = loc.to_vec();
    changed[at + 2..at + 6].copy_from_slice(&[0x98, 0x26, 0x00, 0x9f]);
    let with_call = || {
        let mut with_call = input("app", &app);
        for section in &mut with_call.sections {
            if section.0 == ".debug_loc" {
                section.1 = &changed;
            }
        }
        with_call
    };
    let inlined = |sections: &[(String, Vec<u8>)]| {
        let sections = owned(sections);
        code(&sections)
            .iter()
            .flatten()
            .filter(|d| d.0 == constants::DW_TAG_inlined_subroutine && !d.1.is_empty())
            .count()
    };
    let moved = shuffled(&app, &builtin, None);
    let inputs = [input("builtin", &builtin), with_call()];
    let mut warnings = Vec::new();
    let (sections, path) = rewrite_as(&inputs, &moved.map, &mut warnings, Path::Patched);
    assert_eq!(path, Path::Converted);
    assert_eq!(warnings, Vec::<String>::new());
    let (plain, _) = rewrite_as(
        &[input("builtin", &builtin), input("app", &app)],
        &moved.map,
        &mut warnings,
        Path::Patched,
    );
    assert!(inlined(&sections) > 5);
    assert_eq!(inlined(&sections), inlined(&plain));
    let alone = identity(&app, 0, code_end(&app));
    let (_, path) = rewrite_as(&[with_call()], &alone, &mut warnings, Path::Patched);
    assert_eq!(path, Path::Patched);
    // The same in a DIE's own expression, in a unit that gains no DIE
    // (the builtin's): its global's `DW_OP_addr 0x400` becomes
    // `DW_OP_call2 0x26` (the global itself) and two `DW_OP_nop`s.
    let info = section(&builtin.sections, ".debug_info");
    let global = [5, 0x03, 0x00, 0x04, 0x00, 0x00];
    let at: Vec<usize> = (0..info.len() - 6)
        .filter(|&i| info[i..i + 6] == global)
        .collect();
    assert_eq!(at.len(), 1, "one global at 0x400");
    let mut changed = info.to_vec();
    changed[at[0] + 1..at[0] + 6].copy_from_slice(&[0x98, 0x26, 0x00, 0x96, 0x96]);
    let mut named = input("builtin", &builtin);
    for section in &mut named.sections {
        if section.0 == ".debug_info" {
            section.1 = &changed;
        }
    }
    let inputs = [named, input("app", &app)];
    let (sections, path) = rewrite_as(&inputs, &moved.map, &mut warnings, Path::Patched);
    assert_eq!(path, Path::Converted);
    assert_eq!(warnings, Vec::<String>::new());
    assert_eq!(inlined(&sections), inlined(&plain));
}
