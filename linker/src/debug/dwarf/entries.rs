//! DIEs converted with their code addresses mapped to the output.
//!
//! gimli's own conversion maps addresses one at a time and leaves offsets
//! (a `DW_AT_high_pc` length, offset pairs in range and location lists)
//! alone, which is wrong once code moves; so every attribute that names
//! code is read as input ranges, mapped through the [`Forward`] map, and
//! written back as constant addresses. Code that is gone loses its
//! attributes rather than pointing at someone else's bytes.

use std::ops::Range;

use gimli::read::{self, DebuggingInformationEntry, UnitRef};
use gimli::write::{
    Address, AttributeValue, ConvertError, ConvertResult, ConvertUnit, ConvertUnitEntry,
    DebugInfoRef, FileId, Location, LocationList, RangeList, UnitEntryId,
};
use gimli::{constants, LocationListsOffset};

use super::forward::{sort_and_merge, Forward};
use super::inlined::{Call, Scopes};
use super::Reader;

/// Addresses inside expressions (`DW_OP_addr`) are data, not code: kept.
fn same_address(address: u64) -> Option<Address> {
    Some(Address::Constant(address))
}

/// What converting a unit's DIEs found, for the inlined calls added after
/// them: the DIEs code can be inlined into (their ids, and their tree by
/// output ranges), and the output ids of the DIEs at the wanted input
/// offsets.
#[derive(Default)]
pub(super) struct Converted {
    pub(super) scopes: Vec<UnitEntryId>,
    pub(super) tree: Scopes,
    pub(super) wanted: Vec<(u64, UnitEntryId)>,
}

/// Converts the root DIE and every other DIE of the unit. With `scopes`,
/// notes the DIEs that hold code; notes those at the `.debug_info` offsets
/// `wanted` (sorted) too.
pub(super) fn convert_entries<'u, 'r>(
    unit: &mut ConvertUnit<'u, Reader<'r>>,
    root: ConvertUnitEntry<'u, Reader<'r>>,
    forward: &Forward,
    scopes: bool,
    wanted: &[u64],
) -> ConvertResult<Converted> {
    let mut converted = Converted::default();
    let root_id = unit.unit.root();
    convert_entry(unit, root_id, &root, forward, true)?;
    converted.tree.push(0, root.has_children(), None);
    let mut entry = root;
    while let Some(id) = unit.read_entry(&mut entry)? {
        let id = unit.add_entry(id, &entry);
        let ranges = convert_entry(unit, id, &entry, forward, false)?;
        if !wanted.is_empty() {
            let offset = entry.offset.to_debug_info_offset(&entry.read_unit.header);
            if let Some(offset) = offset.filter(|o| wanted.binary_search(&(o.0 as u64)).is_ok()) {
                converted.wanted.push((offset.0 as u64, id));
            }
        }
        if scopes {
            let ranges = ranges.filter(|_| holds_code(entry.tag));
            let depth = usize::try_from(entry.depth).unwrap_or(0);
            if converted
                .tree
                .push(depth, entry.has_children(), ranges)
                .is_some()
            {
                converted.scopes.push(id);
            }
        }
    }
    converted.tree.finish();
    Ok(converted)
}

/// Whether DIEs tagged `tag` are where inlined code is described.
pub(super) fn holds_code(tag: constants::DwTag) -> bool {
    matches!(
        tag,
        constants::DW_TAG_subprogram
            | constants::DW_TAG_inlined_subroutine
            | constants::DW_TAG_lexical_block
    )
}

/// Converts one DIE's attributes into entry `id`; gives its output code
/// ranges when it names code.
fn convert_entry<'u, 'r>(
    unit: &mut ConvertUnit<'u, Reader<'r>>,
    id: UnitEntryId,
    entry: &ConvertUnitEntry<'u, Reader<'r>>,
    forward: &Forward,
    root: bool,
) -> ConvertResult<Option<Vec<Range<u64>>>> {
    let read_unit = entry.read_unit;
    let mut has_code = false;
    for attr in &entry.attrs {
        match attr.name() {
            constants::DW_AT_low_pc | constants::DW_AT_high_pc | constants::DW_AT_ranges => {
                has_code = true;
            }
            // A GNU extension gimli cannot write; safe to leave out.
            constants::DW_AT_GNU_locviews => {}
            name => {
                if let Some(value) = convert_value(unit, read_unit, attr, forward)? {
                    unit.unit.get_mut(id).set(name, value);
                }
            }
        }
    }
    if !has_code {
        return Ok(None);
    }
    let ranges = map_ranges(forward, input_ranges(read_unit, entry)?);
    set_code_ranges(unit, id, ranges.clone(), root);
    Ok(Some(ranges))
}

/// Adds a `DW_TAG_inlined_subroutine` for each of `calls` whose callee's
/// DIE is known (`origins`, by call): under the deepest DIE of `scopes`
/// holding its code, or under the DIE of the call it is nested in. A call
/// whose callee is unknown is left out and the calls nested in it go where
/// it would have.
pub(super) fn add_calls(
    unit: &mut ConvertUnit<'_, Reader<'_>>,
    calls: &[Call<FileId>],
    origins: &[Option<DebugInfoRef>],
    scopes: &Converted,
) {
    // Where each call's DIE is, or where its nested calls go instead.
    let mut placed: Vec<Option<UnitEntryId>> = Vec::with_capacity(calls.len());
    for (call, origin) in calls.iter().zip(origins) {
        let parent = match call.parent {
            Some(parent) => placed.get(parent).copied().flatten(),
            None => scopes
                .tree
                .deepest(&call.out)
                .map(|scope| scopes.scopes[scope]),
        };
        let (Some(parent), Some(origin)) = (parent, origin) else {
            placed.push(parent);
            continue;
        };
        let id = unit.unit.add(parent, constants::DW_TAG_inlined_subroutine);
        let entry = unit.unit.get_mut(id);
        entry.set(
            constants::DW_AT_abstract_origin,
            AttributeValue::DebugInfoRef(*origin),
        );
        entry.set(
            constants::DW_AT_low_pc,
            AttributeValue::Address(Address::Constant(call.out.start)),
        );
        entry.set(
            constants::DW_AT_high_pc,
            AttributeValue::Udata(call.out.end - call.out.start),
        );
        if let Some((file, line, column)) = call.at {
            entry.set(
                constants::DW_AT_call_file,
                AttributeValue::FileIndex(Some(file)),
            );
            entry.set(constants::DW_AT_call_line, AttributeValue::Udata(line));
            if column != 0 {
                entry.set(constants::DW_AT_call_column, AttributeValue::Udata(column));
            }
        }
        placed.push(Some(id));
    }
}

/// One attribute's converted value; `None` when it names code that is
/// gone.
fn convert_value<'u, 'r>(
    unit: &mut ConvertUnit<'u, Reader<'r>>,
    read_unit: UnitRef<'u, Reader<'r>>,
    attr: &read::Attribute<Reader<'r>>,
    forward: &Forward,
) -> ConvertResult<Option<AttributeValue>> {
    let value = attr.value();
    if let Some(offset) = read_unit.attr_locations_offset(value)? {
        let list = location_list(unit, read_unit, offset, forward)?;
        return Ok(Some(AttributeValue::LocationListRef(
            unit.unit.locations.add(list),
        )));
    }
    if let Some(offset) = read_unit.attr_ranges_offset(value)? {
        let ranges = map_ranges(forward, list_ranges(read_unit, offset)?);
        return Ok(Some(AttributeValue::RangeListRef(
            unit.unit.ranges.add(range_list(&ranges)),
        )));
    }
    if let read::AttributeValue::Addr(_) | read::AttributeValue::DebugAddrIndex(_) = value {
        let address = read_unit
            .attr_address(value)?
            .ok_or(ConvertError::InvalidAddress)?;
        return Ok(forward
            .point(address)
            .map(|out| AttributeValue::Address(Address::Constant(out))));
    }
    unit.convert_attribute_value(read_unit, attr, &same_address)
        .map(Some)
}

/// The location list at `offset`, each entry's range mapped to the output
/// (an entry may become several, or none).
fn location_list<'u, 'r>(
    unit: &ConvertUnit<'u, Reader<'r>>,
    read_unit: UnitRef<'u, Reader<'r>>,
    offset: LocationListsOffset,
    forward: &Forward,
) -> ConvertResult<LocationList> {
    let mut locations = Vec::new();
    let mut entries = read_unit.locations(offset)?;
    while let Some(entry) = entries.next()? {
        let mapped = forward.range(entry.range.begin..entry.range.end);
        if mapped.is_empty() {
            continue;
        }
        let data = unit.convert_expression(read_unit, entry.data, &same_address)?;
        for range in mapped {
            locations.push(Location::StartEnd {
                begin: Address::Constant(range.start),
                end: Address::Constant(range.end),
                data: data.clone(),
            });
        }
    }
    Ok(LocationList(locations))
}

/// Sets a DIE's code ranges: one range as `DW_AT_low_pc` and a length,
/// more as a range list, none as nothing. A unit's root always gets a
/// `DW_AT_low_pc` of 0, since DWARF 4 range and location lists are read
/// relative to it and they are written with absolute addresses.
fn set_code_ranges(
    unit: &mut ConvertUnit<'_, Reader<'_>>,
    id: UnitEntryId,
    ranges: Vec<Range<u64>>,
    root: bool,
) {
    let low_pc = |address| AttributeValue::Address(Address::Constant(address));
    if root {
        unit.unit
            .get_mut(id)
            .set(constants::DW_AT_low_pc, low_pc(0));
        if !ranges.is_empty() {
            let list = unit.unit.ranges.add(range_list(&ranges));
            let entry = unit.unit.get_mut(id);
            entry.set(constants::DW_AT_ranges, AttributeValue::RangeListRef(list));
        }
        return;
    }
    match ranges.as_slice() {
        [] => {}
        [range] => {
            let entry = unit.unit.get_mut(id);
            entry.set(constants::DW_AT_low_pc, low_pc(range.start));
            entry.set(
                constants::DW_AT_high_pc,
                AttributeValue::Udata(range.end - range.start),
            );
        }
        _ => {
            let list = unit.unit.ranges.add(range_list(&ranges));
            let entry = unit.unit.get_mut(id);
            entry.set(constants::DW_AT_ranges, AttributeValue::RangeListRef(list));
        }
    }
}

/// A range list of constant output ranges.
fn range_list(ranges: &[Range<u64>]) -> RangeList {
    RangeList(
        ranges
            .iter()
            .map(|r| gimli::write::Range::StartEnd {
                begin: Address::Constant(r.start),
                end: Address::Constant(r.end),
            })
            .collect(),
    )
}

/// Input ranges mapped to the output, sorted and merged.
pub(super) fn map_ranges(forward: &Forward, input: Vec<Range<u64>>) -> Vec<Range<u64>> {
    let mut out = Vec::new();
    map_ranges_into(forward, &input, &mut out);
    out
}

/// [`map_ranges`] into `out`, which must be empty (a caller reusing it
/// saves allocating one per list).
pub(super) fn map_ranges_into(forward: &Forward, input: &[Range<u64>], out: &mut Vec<Range<u64>>) {
    for range in input {
        forward.range_into(range.clone(), out);
    }
    // One range's pieces come sorted and merged already.
    if input.len() > 1 {
        sort_and_merge(out);
    }
}

/// A DIE's input code ranges from `DW_AT_low_pc`, `DW_AT_high_pc` and
/// `DW_AT_ranges` (gimli's `die_ranges` overflows on a hostile length).
pub(super) fn input_ranges<'r>(
    read_unit: UnitRef<'_, Reader<'r>>,
    entry: &DebuggingInformationEntry<Reader<'r>>,
) -> read::Result<Vec<Range<u64>>> {
    let mut low = None;
    let mut high = None;
    let mut length = None;
    let mut ranges = Vec::new();
    for attr in entry.attrs() {
        match attr.name() {
            constants::DW_AT_low_pc => low = read_unit.attr_address(attr.value())?,
            constants::DW_AT_high_pc => match attr.value() {
                read::AttributeValue::Udata(value) => length = Some(value),
                value => high = read_unit.attr_address(value)?,
            },
            constants::DW_AT_ranges => {
                if let Some(offset) = read_unit.attr_ranges_offset(attr.value())? {
                    ranges.extend(list_ranges(read_unit, offset)?);
                }
            }
            _ => {}
        }
    }
    if let Some(low) = low {
        let end = length.and_then(|length| low.checked_add(length)).or(high);
        if let Some(end) = end.filter(|end| *end > low) {
            ranges.push(low..end);
        }
    }
    Ok(ranges)
}

/// The non-empty ranges of the range list at `offset`.
fn list_ranges(
    read_unit: UnitRef<'_, Reader<'_>>,
    offset: gimli::RangeListsOffset,
) -> read::Result<Vec<Range<u64>>> {
    let mut ranges = Vec::new();
    let mut list = read_unit.ranges(offset)?;
    while let Some(range) = list.next()? {
        if range.begin < range.end {
            ranges.push(range.begin..range.end);
        }
    }
    Ok(ranges)
}
