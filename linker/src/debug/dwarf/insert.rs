//! Inlined calls added to patched DWARF as `DW_TAG_inlined_subroutine`s.
//!
//! The patching path keeps every DIE at its offset; a DIE added under a
//! caller moves everything after it. So once the output's `.debug_info` is
//! patched, this writes the units that gain DIEs again with them in: each
//! goes first among the children of the deepest DIE whose code holds the
//! call's copy (a childless DIE gets a children-bearing copy of its
//! abbreviation and a terminating null), every DIE reference that crossed
//! an insertion is moved, and each such unit names a copy of its
//! abbreviation table, appended to `.debug_abbrev`, that also has the new
//! ones. The other units only move, where they lie; of their DIEs, only
//! the references by `.debug_info` offset, which the walk found
//! ([`Watched`]), can name one that moved.
//!
//! A location expression can name a DIE by offset too (`DW_OP_call4`, a
//! typed stack operation's base type). Compilers for Wasm write none; an
//! output that has one (the walk checks every unit's), or any byte this
//! cannot read, is left to the converting path (which rewrites such
//! references) rather than given a reference pointing at the wrong DIE.

use std::collections::btree_map::{BTreeMap, Entry};

use gimli::constants as dw;
use gimli::read::Operation;
use gimli::{Encoding, EndianSlice, LittleEndian};

use super::bytes::{block_width, Bytes};
use super::fast::Watched;
use super::inlined::{Call, Scopes};
use crate::leb128;

/// The output's sections the insertion reads, as the patching path wrote
/// them.
pub(super) struct Sections<'a> {
    pub(super) info: &'a [u8],
    pub(super) abbrev: &'a [u8],
    pub(super) ranges: &'a [u8],
}

/// The inlined calls of one unit: a position inside the unit (where its
/// `DW_AT_stmt_list` is), the calls, and for each the `.debug_info`
/// offset of the DIE naming its callee, if known.
pub(super) type UnitCalls = (usize, Vec<Call<u64>>, Vec<Option<u32>>);

/// Calls, and the offset of each one's callee DIE, if known.
type Calls = (Vec<Call<u64>>, Vec<Option<u32>>);

/// What the insertion makes of `.debug_info`, to be done in place by
/// [`Written::write_info`]: most units only move, so they are moved where
/// they lie rather than written again.
pub(super) struct Written {
    moved: Moved,
    /// The bytes written anew of each unit that gains DIEs, by index.
    planned: Vec<Option<Vec<u8>>>,
    /// The size of the new `.debug_info`.
    pub(super) size: usize,
    /// What to append to `.debug_abbrev`.
    pub(super) abbrev: Vec<u8>,
}

/// The DWARF with `calls` inserted, or `Some(None)` when no call has a DIE
/// to go under; `None` when the sections hold something this does not
/// rewrite. `watched` is what the walk noted of every unit, so that only
/// the units that gain DIEs are read here.
pub(super) fn insert(
    sections: &Sections<'_>,
    calls: Vec<UnitCalls>,
    watched: &Watched,
) -> Option<Option<Written>> {
    let units = units(sections.info)?;
    let mut tables: BTreeMap<u32, Table> = BTreeMap::new();
    let mut plans: Vec<Option<UnitPlan>> = Vec::with_capacity(units.len());
    let mut abbrev_out = Vec::new();
    let mut calls = calls.into_iter().peekable();
    for unit in &units {
        let mut mine = Vec::new();
        while let Some((at, _, _)) = calls.peek() {
            if *at >= unit.end {
                break;
            }
            let (at, unit_calls, origins) = calls.next()?;
            if at >= unit.start {
                mine.push((unit_calls, origins));
            }
        }
        let plan = if mine.is_empty() {
            None
        } else {
            let table = table_of(&mut tables, sections.abbrev, unit.abbrev)?;
            plan_unit(sections, unit, table, mine, &mut abbrev_out)?
        };
        plans.push(plan);
    }
    if plans.iter().all(Option::is_none) {
        return Some(None);
    }
    if watched.naming {
        return None;
    }
    // Where each unit starts in the new `.debug_info`.
    let mut starts = Vec::with_capacity(units.len());
    let mut at = 0usize;
    for (unit, plan) in units.iter().zip(&plans) {
        starts.push(at);
        let growth = plan
            .as_ref()
            .and_then(|p| p.events.last())
            .map_or(0, |e| e.1);
        at += usize::try_from((unit.end - unit.start) as i64 + growth).ok()?;
    }
    let moved = Moved {
        units,
        plans,
        starts,
    };
    let abbrev_base = sections.abbrev.len();
    let mut planned = Vec::with_capacity(moved.units.len());
    for (index, unit) in moved.units.iter().enumerate() {
        planned.push(match &moved.plans[index] {
            Some(plan) => {
                let table = tables.get(&unit.abbrev)?;
                let mut bytes = Vec::new();
                write_unit(sections, unit, table, index, plan, &moved, &mut bytes)?;
                let offset = u32::try_from(abbrev_base + plan.abbrev_at).ok()?;
                bytes.get_mut(6..10)?.copy_from_slice(&offset.to_le_bytes());
                Some(bytes)
            }
            None => None,
        });
    }
    Some(Some(Written {
        moved,
        planned,
        size: at,
        abbrev: abbrev_out,
    }))
}

impl Written {
    /// Writes the new `.debug_info` in `buf`, where the one read is at
    /// `from` and the new one goes at `to`, at or after it (what follows
    /// the one read already moved out of the way): each unit moves, the
    /// last first, to where it was or later, and the `DW_FORM_ref_addr`
    /// values at `refs` in the one read (all of them, in order) move with
    /// the DIEs they name. Those of a unit that gained DIEs were written
    /// with it. `None`, with `buf` half written, when a reference names no
    /// DIE of the units read.
    pub(super) fn write_info(
        &self,
        buf: &mut [u8],
        from: usize,
        to: usize,
        refs: &[usize],
    ) -> Option<()> {
        let moved = &self.moved;
        for (index, unit) in moved.units.iter().enumerate().rev() {
            let at = to + moved.starts[index];
            match &self.planned[index] {
                Some(bytes) => buf[at..at + bytes.len()].copy_from_slice(bytes),
                None => buf.copy_within(from + unit.start..from + unit.end, at),
            }
        }
        let (mut index, mut near) = (0, 0);
        for &position in refs {
            while moved.units.get(index)?.end <= position {
                index += 1;
            }
            if self.planned[index].is_some() {
                continue;
            }
            let at = to + moved.starts[index] + position.checked_sub(moved.units[index].start)?;
            let value = buf.get_mut(at..at + 4)?;
            let target = u32::from_le_bytes(value.try_into().ok()?);
            let moved_to = moved.in_info_near(target, &mut near)?;
            if moved_to != target {
                value.copy_from_slice(&moved_to.to_le_bytes());
            }
        }
        Some(())
    }
}

/// One unit of the input `.debug_info`.
struct Unit {
    start: usize,
    end: usize,
    version: u16,
    abbrev: u32,
}

impl Unit {
    /// A cursor at its first DIE (after its 11-byte header).
    fn dies<'a>(&self, info: &'a [u8]) -> Option<Bytes<'a>> {
        Bytes::at(info.get(..self.end)?, self.start + 11)
    }
}

/// The units of `info`, if all are 32-bit DWARF 2–4 with 4-byte addresses.
fn units(info: &[u8]) -> Option<Vec<Unit>> {
    let mut units = Vec::new();
    let mut bytes = Bytes::at(info, 0)?;
    while !bytes.is_empty() {
        let start = bytes.position();
        let length = bytes.u32()?;
        if length >= 0xffff_fff0 {
            return None;
        }
        let mut unit = bytes.sub(length as usize)?;
        let version = unit.u16()?;
        let abbrev = unit.u32()?;
        if !(2..=4).contains(&version) || unit.u8()? != 4 {
            return None;
        }
        units.push(Unit {
            start,
            end: bytes.position(),
            version,
            abbrev,
        });
    }
    Some(units)
}

/// One abbreviation.
#[derive(Clone)]
struct Abbrev {
    tag: u64,
    children: bool,
    /// Attribute names and forms.
    attrs: Vec<(u64, u64)>,
}

/// An abbreviation table: its abbreviations by code, and its bytes
/// without the terminating 0.
struct Table {
    codes: Vec<Option<Abbrev>>,
    bytes: Vec<u8>,
}

impl Table {
    fn get(&self, code: u64) -> Option<&Abbrev> {
        self.codes.get(usize::try_from(code).ok()?)?.as_ref()
    }
}

fn table_of<'t>(
    tables: &'t mut BTreeMap<u32, Table>,
    abbrev: &[u8],
    offset: u32,
) -> Option<&'t Table> {
    match tables.entry(offset) {
        Entry::Occupied(table) => Some(table.into_mut()),
        Entry::Vacant(slot) => Some(slot.insert(read_table(abbrev, offset)?)),
    }
}

fn read_table(abbrev: &[u8], offset: u32) -> Option<Table> {
    let mut bytes = Bytes::at(abbrev, offset as usize)?;
    let mut codes: Vec<Option<Abbrev>> = Vec::new();
    let mut count = 0usize;
    loop {
        let end = bytes.position();
        let code = bytes.uleb()?;
        if code == 0 {
            let bytes = bytes.slice(offset as usize, end)?.to_vec();
            return Some(Table { codes, bytes });
        }
        // Codes are about as dense as compilers number them (as the
        // patching path requires): found by index.
        count += 1;
        let code = usize::try_from(code)
            .ok()
            .filter(|c| *c <= 4 * count + 256)?;
        let tag = bytes.uleb()?;
        let children = bytes.u8()? != 0;
        let mut attrs = Vec::new();
        loop {
            let (name, form) = (bytes.uleb()?, bytes.uleb()?);
            if (name, form) == (0, 0) {
                break;
            }
            attrs.push((name, form));
        }
        if codes.len() <= code {
            codes.resize_with(code + 1, || None);
        }
        codes[code] = Some(Abbrev {
            tag,
            children,
            attrs,
        });
    }
}

/// What one unit gains: the DIEs inserted after a DIE's attributes (by
/// the DIE's offset in the unit), the abbreviation codes changed, and the
/// moves they make: from each offset on, how many bytes were added before
/// (in all, up to there).
struct UnitPlan {
    inserts: BTreeMap<usize, Inserted>,
    recoded: BTreeMap<usize, u64>,
    events: Vec<(usize, i64)>,
    /// Where its abbreviation table starts in what is appended.
    abbrev_at: usize,
}

/// The DIEs inserted after one DIE's attributes, and where in them each
/// names its callee (by its offset before the insertion, moved as they
/// are written).
#[derive(Default)]
struct Inserted {
    bytes: Vec<u8>,
    origins: Vec<(usize, u32)>,
}

/// A DIE that can hold inlined code: its offset in the unit and its
/// abbreviation code.
#[derive(Clone, Copy)]
struct Scope {
    at: usize,
    code: u64,
}

/// The abbreviation codes of the new DIEs, given out as needed.
struct Codes {
    next: u64,
    /// By (has children, names its call's place: `Some(has a column)`).
    /// A column of 0 (none known) is left out, as compilers leave it out
    /// and as the converting path does.
    calls: BTreeMap<(bool, Option<bool>), u64>,
    /// Children-bearing copies of childless abbreviations, by old code.
    parents: BTreeMap<u64, u64>,
}

fn plan_unit(
    sections: &Sections<'_>,
    unit: &Unit,
    table: &Table,
    mine: Vec<Calls>,
    abbrev_out: &mut Vec<u8>,
) -> Option<Option<UnitPlan>> {
    let (scopes, tree) = scopes(sections, unit, table)?;
    let mut codes = Codes {
        next: table.codes.len().max(1) as u64,
        calls: BTreeMap::new(),
        parents: BTreeMap::new(),
    };
    // Each call's DIE: under a scope (by its index) or under another call.
    #[derive(Clone, Copy)]
    enum Place {
        Scope(usize),
        Call(usize),
    }
    let mut calls: Vec<(Call<u64>, u32)> = Vec::new();
    let mut children: Vec<Vec<usize>> = Vec::new();
    let mut tops: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (unit_calls, origins) in mine {
        // Where each call's nested calls go: its DIE or, when it has none,
        // where it would have been.
        let mut placed: Vec<Option<Place>> = Vec::with_capacity(unit_calls.len());
        for (call, origin) in unit_calls.into_iter().zip(origins) {
            let place = match call.parent {
                Some(parent) => placed.get(parent).copied().flatten(),
                None => tree.deepest(&call.out).map(Place::Scope),
            };
            let (Some(place), Some(origin)) = (place, origin) else {
                placed.push(place);
                continue;
            };
            let index = calls.len();
            calls.push((call, origin));
            children.push(Vec::new());
            match place {
                Place::Scope(scope) => tops.entry(scope).or_default().push(index),
                Place::Call(parent) => children[parent].push(index),
            }
            placed.push(Some(Place::Call(index)));
        }
    }
    if tops.is_empty() {
        return Some(None);
    }
    let mut plan = UnitPlan {
        inserts: BTreeMap::new(),
        recoded: BTreeMap::new(),
        events: Vec::new(),
        abbrev_at: 0,
    };
    // Scopes are numbered in DIE order, so the insertions are made in it.
    for (&scope, top) in &tops {
        let Scope { at, code: old } = scopes[scope];
        let abbrev = table.get(old)?;
        let mut inserted = Inserted::default();
        for &index in top {
            write_call(
                index,
                &calls,
                &children,
                unit.version,
                &mut codes,
                &mut inserted,
            )?;
        }
        if !abbrev.children {
            inserted.bytes.push(0);
            let next = codes.next;
            let code = *codes.parents.entry(old).or_insert_with(|| next);
            if code == next {
                codes.next += 1;
            }
            let grown = leb128::unsigned_len(code) as i64 - leb128::unsigned_len(old) as i64;
            if grown != 0 {
                plan.events.push((at + 1, grown));
            }
            plan.recoded.insert(at, code);
        }
        // The insertion goes after the DIE's attributes, which the writer
        // finds; the event is placed there by `attrs_end`.
        let end = attrs_end(sections.info, unit, table, at)?;
        plan.events.push((end, inserted.bytes.len() as i64));
        plan.inserts.insert(at, inserted);
    }
    plan.events.sort_by_key(|e| e.0);
    let mut total = 0;
    for event in &mut plan.events {
        total += event.1;
        event.1 = total;
    }
    // The unit's new table: its own, the copies, the new DIEs' and an end.
    plan.abbrev_at = abbrev_out.len();
    abbrev_out.extend_from_slice(&table.bytes);
    for (old, new) in &codes.parents {
        let abbrev = table.get(*old)?;
        write_abbrev(abbrev_out, *new, abbrev.tag, true, &abbrev.attrs);
    }
    for ((children, at), code) in &codes.calls {
        let mut attrs = vec![
            (
                dw::DW_AT_abstract_origin.0 as u64,
                dw::DW_FORM_ref_addr.0 as u64,
            ),
            (dw::DW_AT_low_pc.0 as u64, dw::DW_FORM_addr.0 as u64),
            (dw::DW_AT_high_pc.0 as u64, high_form(unit.version)),
        ];
        if let Some(column) = *at {
            attrs.extend([
                (dw::DW_AT_call_file.0 as u64, dw::DW_FORM_udata.0 as u64),
                (dw::DW_AT_call_line.0 as u64, dw::DW_FORM_udata.0 as u64),
            ]);
            if column {
                attrs.push((dw::DW_AT_call_column.0 as u64, dw::DW_FORM_udata.0 as u64));
            }
        }
        let tag = dw::DW_TAG_inlined_subroutine.0 as u64;
        write_abbrev(abbrev_out, *code, tag, *children, &attrs);
    }
    abbrev_out.push(0);
    Some(Some(plan))
}

/// `DW_AT_high_pc` is a length from DWARF 4 on, an address before.
fn high_form(version: u16) -> u64 {
    if version >= 4 {
        dw::DW_FORM_data4.0 as u64
    } else {
        dw::DW_FORM_addr.0 as u64
    }
}

fn write_abbrev(out: &mut Vec<u8>, code: u64, tag: u64, children: bool, attrs: &[(u64, u64)]) {
    leb128::unsigned(out, code);
    leb128::unsigned(out, tag);
    out.push(u8::from(children));
    for &(name, form) in attrs {
        leb128::unsigned(out, name);
        leb128::unsigned(out, form);
    }
    out.extend_from_slice(&[0, 0]);
}

/// Writes the DIE of call `index` and those nested in it.
fn write_call(
    index: usize,
    calls: &[(Call<u64>, u32)],
    children: &[Vec<usize>],
    version: u16,
    codes: &mut Codes,
    inserted: &mut Inserted,
) -> Option<()> {
    let (call, origin) = &calls[index];
    let nested = !children[index].is_empty();
    let key = (nested, call.at.map(|(_, _, column)| column != 0));
    let next = codes.next;
    let code = *codes.calls.entry(key).or_insert(next);
    if code == next {
        codes.next += 1;
    }
    let out = &mut inserted.bytes;
    leb128::unsigned(out, code);
    inserted.origins.push((out.len(), *origin));
    out.extend_from_slice(&[0; 4]);
    let start = u32::try_from(call.out.start).ok()?;
    let end = u32::try_from(call.out.end).ok()?;
    out.extend_from_slice(&start.to_le_bytes());
    let high = if version >= 4 { end - start } else { end };
    out.extend_from_slice(&high.to_le_bytes());
    if let Some((file, line, column)) = call.at {
        leb128::unsigned(out, file);
        leb128::unsigned(out, line);
        if column != 0 {
            leb128::unsigned(out, column);
        }
    }
    if nested {
        for &child in &children[index] {
            write_call(child, calls, children, version, codes, inserted)?;
        }
        inserted.bytes.push(0);
    }
    Some(())
}

/// The DIEs of `unit` that hold code, and the tree of their output ranges
/// (indexed alike).
fn scopes(sections: &Sections<'_>, unit: &Unit, table: &Table) -> Option<(Vec<Scope>, Scopes)> {
    let mut bytes = unit.dies(sections.info)?;
    let mut scopes = Vec::new();
    let mut tree = Scopes::default();
    let mut depth = 0usize;
    let mut base = 0u64;
    let mut root = true;
    while !bytes.is_empty() {
        let at = bytes.position() - unit.start;
        let code = bytes.uleb()?;
        if code == 0 {
            depth = depth.checked_sub(1)?;
            continue;
        }
        let abbrev = table.get(code)?;
        let (mut low, mut high, mut length, mut list) = (None, None, None, None);
        for &(name, form) in &abbrev.attrs {
            let value = read_value(&mut bytes, form, unit.version)?;
            match (dw::DwAt(name as u16), value) {
                (dw::DW_AT_low_pc, Value::Addr(a)) => low = Some(u64::from(a)),
                (dw::DW_AT_high_pc, Value::Addr(a)) => high = Some(u64::from(a)),
                (dw::DW_AT_high_pc, Value::Data(n)) => length = Some(n),
                (dw::DW_AT_ranges, Value::Data(n)) => list = Some(n),
                _ => {}
            }
        }
        let mut ranges = None;
        if root {
            base = low.unwrap_or(0);
            root = false;
        } else if super::entries::holds_code(dw::DwTag(abbrev.tag as u16))
            && (low.is_some() || high.is_some() || list.is_some())
        {
            let mut found = Vec::new();
            if let Some(low) = low {
                let end = length.and_then(|n| low.checked_add(n)).or(high);
                if let Some(end) = end.filter(|e| *e > low) {
                    found.push(low..end);
                }
            }
            if let Some(list) = list {
                read_ranges(sections.ranges, list, base, &mut found)?;
            }
            scopes.push(Scope { at, code });
            ranges = Some(found);
        }
        tree.push(depth, abbrev.children, ranges);
        if abbrev.children {
            depth += 1;
        }
    }
    tree.finish();
    Some((scopes, tree))
}

/// The range list at `offset` of `.debug_ranges`, read against `base`.
fn read_ranges(
    ranges: &[u8],
    offset: u64,
    mut base: u64,
    out: &mut Vec<std::ops::Range<u64>>,
) -> Option<()> {
    let mut bytes = Bytes::at(ranges, usize::try_from(offset).ok()?)?;
    loop {
        let (begin, end) = (bytes.u32()?, bytes.u32()?);
        match (begin, end) {
            (0, 0) => return Some(()),
            (u32::MAX, address) => base = u64::from(address),
            _ if begin < end => out.push(base + u64::from(begin)..base + u64::from(end)),
            _ => {}
        }
    }
}

/// Where the attributes of the DIE at `at` in the unit end, in the unit.
fn attrs_end(info: &[u8], unit: &Unit, table: &Table, at: usize) -> Option<usize> {
    let mut bytes = Bytes::at(info.get(..unit.end)?, unit.start + at)?;
    let abbrev = table.get(bytes.uleb()?)?;
    for &(_, form) in &abbrev.attrs {
        read_value(&mut bytes, form, unit.version)?;
    }
    Some(bytes.position() - unit.start)
}

/// An attribute value as far as this module cares.
enum Value {
    Addr(u32),
    /// A constant or section offset.
    Data(u64),
    /// A reference within the unit, of a fixed width (0 for a LEB128).
    Unit(u64, usize),
    /// A reference into `.debug_info`.
    Info(u32),
    /// Anything else (blocks among it: expressions were checked by the
    /// walk).
    Other,
}

fn read_value(bytes: &mut Bytes<'_>, form: u64, version: u16) -> Option<Value> {
    let form = dw::DwForm(u16::try_from(form).ok()?);
    Some(match form {
        dw::DW_FORM_addr => Value::Addr(bytes.u32()?),
        dw::DW_FORM_data1 | dw::DW_FORM_flag => Value::Data(bytes.le(1)?),
        dw::DW_FORM_data2 => Value::Data(bytes.le(2)?),
        dw::DW_FORM_data4 | dw::DW_FORM_sec_offset | dw::DW_FORM_strp => Value::Data(bytes.le(4)?),
        dw::DW_FORM_data8 | dw::DW_FORM_ref_sig8 => Value::Data(bytes.le(8)?),
        dw::DW_FORM_udata => Value::Data(bytes.uleb()?),
        dw::DW_FORM_sdata => {
            bytes.skip_leb()?;
            Value::Other
        }
        dw::DW_FORM_flag_present => Value::Other,
        dw::DW_FORM_string => {
            bytes.cstr()?;
            Value::Other
        }
        dw::DW_FORM_ref1 => Value::Unit(bytes.le(1)?, 1),
        dw::DW_FORM_ref2 => Value::Unit(bytes.le(2)?, 2),
        dw::DW_FORM_ref4 => Value::Unit(bytes.le(4)?, 4),
        dw::DW_FORM_ref8 => Value::Unit(bytes.le(8)?, 8),
        dw::DW_FORM_ref_udata => Value::Unit(bytes.uleb()?, 0),
        dw::DW_FORM_ref_addr => Value::Info(bytes.u32()?),
        dw::DW_FORM_exprloc if version < 4 => return None,
        _ => {
            bytes.block(block_width(form)?)?;
            Value::Other
        }
    })
}

/// Where every unit and DIE goes: the units read, what each gains, and
/// where each starts in the new `.debug_info`.
struct Moved {
    units: Vec<Unit>,
    plans: Vec<Option<UnitPlan>>,
    starts: Vec<usize>,
}

impl Moved {
    /// Where offset `at` of unit `index` goes in that unit.
    fn in_unit(&self, index: usize, at: u64) -> Option<u64> {
        let Some(plan) = &self.plans[index] else {
            return Some(at);
        };
        // Each event's growth, added up from the first.
        let i = plan.events.partition_point(|e| e.0 as u64 <= at);
        let growth = i.checked_sub(1).map_or(0, |i| plan.events[i].1);
        u64::try_from(at as i64 + growth).ok()
    }

    /// Where `.debug_info` offset `at` goes.
    fn in_info(&self, at: u32) -> Option<u32> {
        self.in_info_near(at, &mut 0)
    }

    /// [`Moved::in_info`], looking in unit `near` first and leaving there
    /// the unit `at` is in: references one after another mostly name DIEs
    /// of the same unit.
    fn in_info_near(&self, at: u32, near: &mut usize) -> Option<u32> {
        let at = at as usize;
        let holds = |unit: &Unit| unit.start <= at && at < unit.end;
        if !self.units.get(*near).is_some_and(holds) {
            *near = self
                .units
                .partition_point(|u| u.start <= at)
                .checked_sub(1)?;
        }
        let index = *near;
        let unit = &self.units[index];
        if at >= unit.end {
            return None;
        }
        let inside = self.in_unit(index, (at - unit.start) as u64)?;
        u32::try_from(self.starts[index] as u64 + inside).ok()
    }
}

/// Writes unit `index` with its DIEs inserted and its references moved.
fn write_unit(
    sections: &Sections<'_>,
    unit: &Unit,
    table: &Table,
    index: usize,
    plan: &UnitPlan,
    moved: &Moved,
    out: &mut Vec<u8>,
) -> Option<()> {
    let start = out.len();
    let body = sections.info.get(unit.start + 4..unit.end)?;
    // The header (length written last), then the DIEs.
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(body.get(..7)?);
    let mut bytes = unit.dies(sections.info)?;
    while !bytes.is_empty() {
        let at = bytes.position() - unit.start;
        let code = bytes.uleb()?;
        if code == 0 {
            out.push(0);
            continue;
        }
        let abbrev = table.get(code)?;
        leb128::unsigned(out, plan.recoded.get(&at).copied().unwrap_or(code));
        for &(_, form) in &abbrev.attrs {
            let from = bytes.position();
            let value = read_value(&mut bytes, form, unit.version)?;
            match value {
                Value::Unit(target, width) => {
                    let target = moved.in_unit(index, target)?;
                    match width {
                        0 => {
                            let old = bytes.position() - from;
                            if leb128::unsigned_len(target) > old {
                                return None;
                            }
                            padded_uleb(out, target, old);
                        }
                        8 => out.extend_from_slice(&target.to_le_bytes()),
                        _ => {
                            if target >> (8 * width) != 0 {
                                return None;
                            }
                            out.extend_from_slice(&target.to_le_bytes()[..width]);
                        }
                    }
                    continue;
                }
                Value::Info(target) => {
                    out.extend_from_slice(&moved.in_info(target)?.to_le_bytes());
                    continue;
                }
                Value::Addr(_) | Value::Data(_) | Value::Other => {}
            }
            out.extend_from_slice(sections.info.get(from..bytes.position())?);
        }
        if let Some(inserted) = plan.inserts.get(&at) {
            let at = out.len();
            out.extend_from_slice(&inserted.bytes);
            for &(offset, origin) in &inserted.origins {
                let origin = moved.in_info(origin)?.to_le_bytes();
                out.get_mut(at + offset..at + offset + 4)?
                    .copy_from_slice(&origin);
            }
        }
    }
    let length = u32::try_from(out.len() - start - 4).ok()?;
    out[start..start + 4].copy_from_slice(&length.to_le_bytes());
    Some(())
}

/// `value` as a ULEB128 of exactly `width` bytes.
fn padded_uleb(out: &mut Vec<u8>, value: u64, width: usize) {
    for i in 0..width {
        let part = (value.checked_shr(7 * i as u32).unwrap_or(0) & 0x7f) as u8;
        out.push(if i + 1 < width { part | 0x80 } else { part });
    }
}

/// Whether attribute `name` holds a location expression when its form is
/// a block (DWARF 2 and 3).
pub(super) fn is_location(name: u64) -> bool {
    matches!(
        dw::DwAt(name as u16),
        dw::DW_AT_location
            | dw::DW_AT_frame_base
            | dw::DW_AT_data_member_location
            | dw::DW_AT_string_length
            | dw::DW_AT_return_addr
            | dw::DW_AT_segment
            | dw::DW_AT_static_link
            | dw::DW_AT_use_location
            | dw::DW_AT_vtable_elem_location
            | dw::DW_AT_data_location
    )
}

/// The first bytes of every operation that names a DIE or holds an
/// expression: an expression without any of them names no DIE.
const NAMING: &[u8] = &[
    0x98, 0x99, 0x9a, 0xa0, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6,
    0xf7, 0xf9, 0xfa, 0xfd,
];

/// [`NAMING`] by byte: every byte of every expression is looked up, which
/// a table does in one step where the list takes twenty.
const IS_NAMING: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < NAMING.len() {
        table[NAMING[i] as usize] = true;
        i += 1;
    }
    table
};

/// Whether the expression reads and names no DIE by offset.
pub(super) fn expression_ok(bytes: &[u8], encoding: Encoding) -> bool {
    // Most expressions hold none of those bytes, not even as operands.
    if !bytes.iter().any(|&b| IS_NAMING[usize::from(b)]) {
        return true;
    }
    let mut reader = EndianSlice::new(bytes, LittleEndian);
    while !reader.is_empty() {
        match Operation::parse(&mut reader, encoding) {
            Ok(
                Operation::Call { .. }
                | Operation::ImplicitPointer { .. }
                | Operation::ParameterRef { .. }
                | Operation::TypedLiteral { .. },
            ) => return false,
            Ok(
                Operation::Convert { base_type }
                | Operation::Reinterpret { base_type }
                | Operation::RegisterOffset { base_type, .. }
                | Operation::Deref { base_type, .. },
            ) if base_type.0 != 0 => return false,
            Ok(Operation::EntryValue { expression }) => {
                if !expression_ok(expression.slice(), encoding) {
                    return false;
                }
            }
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const V4: Encoding = Encoding {
        format: gimli::Format::Dwarf32,
        version: 4,
        address_size: 4,
    };

    /// Expressions naming a DIE are refused, at any depth; those compilers
    /// for Wasm write, and empty ones, pass; bytes that are not an
    /// expression are refused.
    #[test]
    fn expressions_naming_dies_are_refused() {
        let wasm_local = [0xed, 0x00, 0x02, 0x9f];
        let frame = [0x91, 0x10, 0x23, 0x08, 0x06];
        for ok in [&[][..], &wasm_local, &frame, &[0x30, 0x9f]] {
            assert!(expression_ok(ok, V4), "{ok:x?}");
        }
        let call2 = [0x98, 0x10, 0x00];
        let call4 = [0x99, 0x10, 0x00, 0x00, 0x00];
        let call_ref = [0x9a, 0x10, 0x00, 0x00, 0x00];
        let implicit_pointer = [0xf2, 0x10, 0x00, 0x00, 0x00, 0x00];
        let convert = [0xf7, 0x05];
        let generic_convert = [0xf7, 0x00];
        let in_entry_value = [0xf3, 0x03, 0x98, 0x10, 0x00];
        let truncated = [0x99, 0x10];
        for bad in [
            &call2[..],
            &call4,
            &call_ref,
            &implicit_pointer,
            &convert,
            &in_entry_value,
            &truncated,
        ] {
            assert!(!expression_ok(bad, V4), "{bad:x?}");
        }
        assert!(expression_ok(&generic_convert, V4));
    }

    /// A reference of a LEB128's width keeps its width: padded when the
    /// moved value is shorter, and read back as the value.
    #[test]
    fn padded_references_keep_their_width() {
        for (value, width) in [(0u64, 1), (5, 3), (127, 1), (128, 2), (300, 5)] {
            let mut out = Vec::new();
            padded_uleb(&mut out, value, width);
            assert_eq!(out.len(), width);
            let mut bytes = Bytes::at(&out, 0).unwrap();
            assert_eq!(bytes.uleb(), Some(value));
            assert!(bytes.is_empty());
        }
    }
}
