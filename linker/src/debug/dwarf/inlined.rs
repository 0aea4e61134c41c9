//! Builtin functions the link inlined, found in the output's code so that
//! each copy can be described as DWARF describes a compiler's inlining: a
//! `DW_TAG_inlined_subroutine` under the DIE of the code it was inlined
//! into, naming the callee's DIE, the copy's code and the call's place.
//! Without it a debugger shows the builtin's source lines as lines of the
//! caller's own frame.
//!
//! The code map says which output stretches were inlined at which call (a
//! mark's `site`, the outermost call when inlining nested), not which
//! function was called. That follows from how the inliner writes a copy:
//! the code it writes for the call (argument `local.set`s, the `block`)
//! stands for the call instruction and belongs to the caller, so a copy's
//! first stretch is the callee's own code, and a callee's inlined callee
//! starts after code of the callee that stands for that inner call. So
//! the callee of a run of marks with one site is the input function
//! holding its first stretch, and a stretch inside it that lies outside
//! that function starts a copy nested in it, called at the stretch before.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use super::{Context, Reader};
use crate::debug::map::{CodeMap, Mark, Origin, Source};

/// An input function: the input and its body's start, which is the
/// `DW_AT_low_pc` of its `DW_TAG_subprogram`.
pub(super) type Callee = (usize, u64);

/// One inlined copy in an output body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Found {
    /// The copy's output code.
    pub(super) out: Range<u64>,
    pub(super) callee: Callee,
    /// The call instruction the copy replaced.
    pub(super) call: Origin,
    /// The copy this one was inlined into, by its index in the same list;
    /// `None` for a copy in the body's own code.
    pub(super) parent: Option<usize>,
}

/// One inlined copy as a line program names its place: the call's file
/// in the program, line and column (`None` when the call has no row).
/// Besides the link's copies, the subroutines the callee's own compiler
/// inlined into it are calls too, once per copy, nested in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Call<F> {
    /// As [`Found::out`].
    pub(super) out: Range<u64>,
    pub(super) callee: Named,
    /// The call's file, line and column.
    pub(super) at: Option<(F, u64, u64)>,
    /// As [`Found::parent`].
    pub(super) parent: Option<usize>,
}

/// What a call's DIE names as its `DW_AT_abstract_origin`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Named {
    /// The DIE [`targets`] finds for an input function.
    Function(Callee),
    /// A DIE of an input, by its `.debug_info` offset: the origin of a
    /// subroutine a builtin's compiler inlined into one of its functions.
    Die(usize, u64),
}

impl Named {
    /// The input whose DIE is named.
    pub(super) fn input(self) -> usize {
        match self {
            Named::Function((input, _)) | Named::Die(input, _) => input,
        }
    }

    /// The named DIE's offset in its input's `.debug_info`, a function's
    /// as `targets` gives it.
    pub(super) fn offset(self, targets: &BTreeMap<Callee, u64>) -> Option<u64> {
        match self {
            Named::Function(callee) => targets.get(&callee).copied(),
            Named::Die(_, offset) => Some(offset),
        }
    }
}

/// Whether any inlined code of `map` came from an input for which
/// `has_dwarf` holds.
pub(super) fn possible(map: &CodeMap, has_dwarf: impl Fn(usize) -> bool) -> bool {
    map.marks
        .iter()
        .filter_map(copied_from)
        .any(|input| has_dwarf(input as usize))
}

/// Of `inputs` inputs, those some of whose code `map` copied into other
/// code (or wrote code there standing for it).
pub(super) fn copied(map: &CodeMap, inputs: usize) -> Vec<bool> {
    let mut copied = vec![false; inputs];
    for input in map.marks.iter().filter_map(copied_from) {
        if let Some(copied) = copied.get_mut(input as usize) {
            *copied = true;
        }
    }
    copied
}

/// The input whose code a mark's stretch is, when it is inlined code.
fn copied_from(mark: &Mark) -> Option<u32> {
    match (mark.site, mark.source) {
        (Some(_), Source::Copy(origin) | Source::At(origin)) => Some(origin.input),
        _ => None,
    }
}

/// A copy being read: its callee's input and body, and its index among
/// those found (`None` when its callee has no DWARF to name).
struct Open {
    input: u32,
    body: Range<u32>,
    found: Option<usize>,
}

/// The inlined copies in output body `body` whose callees have DWARF, each
/// after the copy it is nested in.
pub(super) fn calls_in(context: &Context<'_>, body: Range<u32>) -> Vec<Found> {
    let mut found: Vec<Found> = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    let mut site: Option<Origin> = None;
    // Where the last byte of the previous stretch came from: the call a
    // nested copy replaced.
    let mut previous: Option<Origin> = None;
    let mut last = body.start;
    for (Range { start, end }, mark) in context.map.stretches(body) {
        last = end;
        let origin = match mark.source {
            Source::Copy(origin) | Source::At(origin) => Some(origin),
            Source::None => None,
        };
        if mark.site != site {
            close(&mut open, &mut found, 0, start);
            site = mark.site;
        }
        if let (Some(call), Some(origin)) = (site, origin) {
            if open.is_empty() {
                open_copy(context, &mut open, &mut found, call, origin, start);
            } else if let Some(k) = open.iter().rposition(|o| holds(o, origin)) {
                close(&mut open, &mut found, k + 1, start);
            } else if let Some(call) = previous {
                open_copy(context, &mut open, &mut found, call, origin, start);
            }
        }
        previous = match mark.source {
            Source::Copy(origin) => Some(Origin {
                input: origin.input,
                offset: origin.offset + (end - 1 - mark.out),
            }),
            Source::At(origin) => Some(origin),
            Source::None => None,
        };
    }
    close(&mut open, &mut found, 0, last);
    found
}

/// Whether the open copy's callee holds `origin`.
fn holds(open: &Open, origin: Origin) -> bool {
    open.input == origin.input && open.body.contains(&origin.offset)
}

/// Opens a copy, inlined at `call`, of the function holding `origin`,
/// starting at output offset `start`.
fn open_copy(
    context: &Context<'_>,
    open: &mut Vec<Open>,
    found: &mut Vec<Found>,
    call: Origin,
    origin: Origin,
    start: u32,
) {
    let input = origin.input as usize;
    let Some(bodies) = context.bodies.get(input) else {
        return;
    };
    let i = bodies.partition_point(|b| b.end <= origin.offset);
    let Some(body) = bodies.get(i).filter(|b| b.start <= origin.offset) else {
        return;
    };
    let described = context.lines.get(input).is_some_and(Option::is_some);
    let index = described.then(|| {
        found.push(Found {
            out: u64::from(start)..u64::from(start),
            callee: (input, u64::from(body.start)),
            call,
            parent: open.iter().rev().find_map(|o| o.found),
        });
        found.len() - 1
    });
    open.push(Open {
        input: origin.input,
        body: body.clone(),
        found: index,
    });
}

/// Closes the open copies from the `from`th on, their code ending at `at`.
fn close(open: &mut Vec<Open>, found: &mut [Found], from: usize, at: u32) {
    for copy in open.drain(from.min(open.len())..) {
        if let Some(index) = copy.found {
            found[index].out.end = u64::from(at);
        }
    }
}

/// The DIE each callee of inlined code is to be named by, as an offset in
/// its input's `.debug_info`: the abstract instance of the callee's
/// `DW_TAG_subprogram` if it has one (where a compiler puts the name and
/// the parameters), else the subprogram itself. Callees whose DWARF has
/// no subprogram at their address are not in it. Also which inputs' code
/// was inlined into which other input's functions, as (caller's input,
/// callee's input) pairs: a builtin may import another's functions.
pub(super) fn targets(
    context: &Context<'_>,
    reads: &[Option<gimli::read::Dwarf<Reader<'_>>>],
) -> (BTreeMap<Callee, u64>, BTreeSet<(usize, usize)>) {
    let mut callees = Vec::new();
    let mut edges = BTreeSet::new();
    if context.inlined {
        for body in &context.map.bodies {
            // A body's DWARF is its home function's input's.
            let home = context.map.lookup(body.start).0.map(|home| home.input);
            for found in calls_in(context, body.clone()) {
                if let Some(home) = home.filter(|home| *home as usize != found.callee.0) {
                    edges.insert((home as usize, found.callee.0));
                }
                callees.push(found.callee);
            }
        }
    }
    (targets_of(callees, reads), edges)
}

/// `inputs` (index first) in an order that converts every input whose code
/// was inlined elsewhere before the inputs it was inlined into (`edges`, as
/// [`targets`] gives them), so that each added DIE can name its callee;
/// otherwise in their own order. Builtins import one another without
/// cycles, so such an order exists; were there one, the inputs on it keep
/// their order, and a call whose callee comes later is left undescribed.
pub(super) fn callees_first<T>(
    inputs: Vec<(usize, T)>,
    edges: &BTreeSet<(usize, usize)>,
) -> Vec<(usize, T)> {
    let mut left: Vec<Option<(usize, T)>> = inputs.into_iter().map(Some).collect();
    let mut order = Vec::with_capacity(left.len());
    while order.len() < left.len() {
        let waits = |index: usize| {
            edges
                .range((index, 0)..=(index, usize::MAX))
                .any(|&(_, callee)| left.iter().flatten().any(|(other, _)| *other == callee))
        };
        let next = left
            .iter()
            .position(|input| input.as_ref().is_some_and(|(index, _)| !waits(*index)))
            .or_else(|| left.iter().position(Option::is_some));
        let Some(taken) = next.and_then(|next| left[next].take()) else {
            break;
        };
        order.push(taken);
    }
    order
}

/// [`targets`] of the callees `callees` (found already, as the line
/// programs' calls).
pub(super) fn targets_of(
    callees: impl IntoIterator<Item = Callee>,
    reads: &[Option<gimli::read::Dwarf<Reader<'_>>>],
) -> BTreeMap<Callee, u64> {
    let mut wanted: BTreeMap<usize, BTreeSet<u64>> = BTreeMap::new();
    for (input, low_pc) in callees {
        wanted.entry(input).or_default().insert(low_pc);
    }
    let mut targets = BTreeMap::new();
    for (input, low_pcs) in wanted {
        if let Some(Some(read)) = reads.get(input) {
            // DWARF that cannot be read names no callee.
            let _ = subprograms_at(read, &low_pcs, |low_pc, offset| {
                targets.entry((input, low_pc)).or_insert(offset);
            });
        }
    }
    targets
}

/// Calls `found` with the low PC and target offset of each subprogram of
/// `read` whose `DW_AT_low_pc` is in `low_pcs`.
fn subprograms_at(
    read: &gimli::read::Dwarf<Reader<'_>>,
    low_pcs: &BTreeSet<u64>,
    mut found: impl FnMut(u64, u64),
) -> gimli::read::Result<()> {
    use gimli::read::AttributeValue;
    let mut units = read.units();
    while let Some(header) = units.next()? {
        let unit = read.unit(header)?;
        let mut entries = unit.entries();
        while let Some(entry) = entries.next_dfs()? {
            if entry.tag() != gimli::constants::DW_TAG_subprogram {
                continue;
            }
            let Some(low_pc) = entry.attr_value(gimli::constants::DW_AT_low_pc) else {
                continue;
            };
            let Some(low_pc) = read.attr_address(&unit, low_pc)? else {
                continue;
            };
            if !low_pcs.contains(&low_pc) {
                continue;
            }
            let origin = match entry.attr_value(gimli::constants::DW_AT_abstract_origin) {
                Some(AttributeValue::UnitRef(offset)) => offset.to_debug_info_offset(&unit.header),
                Some(AttributeValue::DebugInfoRef(offset)) => Some(offset),
                _ => None,
            };
            let own = entry.offset().to_debug_info_offset(&unit.header);
            if let Some(offset) = origin.or(own) {
                found(low_pc, offset.0 as u64);
            }
        }
    }
    Ok(())
}

/// The DIEs of a unit that inlined code can be described under
/// (subprograms, inlined subroutines, lexical blocks), as a tree by their
/// nesting, with their output ranges: which holds a copy is found by
/// searching the outermost ones' ranges and descending, not by trying
/// every DIE of the unit for every call.
#[derive(Default)]
pub(super) struct Scopes {
    ranges: Vec<Vec<Range<u64>>>,
    children: Vec<Vec<usize>>,
    /// The outermost scopes' ranges: start, end, scope, and the largest
    /// end up to it.
    outer: Vec<(u64, u64, usize, u64)>,
    /// The scope of the DIE at each depth of the DIE being read, if it is
    /// one, for finding the next one's parent.
    path: Vec<Option<usize>>,
}

impl Scopes {
    /// Notes the next DIE in DIE order, at `depth` (the root's children at
    /// 1), with `children` or not; `ranges` when it is a scope. Gives its
    /// index when it is.
    pub(super) fn push(
        &mut self,
        depth: usize,
        children: bool,
        ranges: Option<Vec<Range<u64>>>,
    ) -> Option<usize> {
        self.path.truncate(depth);
        let index = ranges.map(|ranges| {
            let index = self.ranges.len();
            match self.path.iter().rev().flatten().next() {
                Some(&parent) => self.children[parent].push(index),
                None => {
                    for range in &ranges {
                        self.outer.push((range.start, range.end, index, 0));
                    }
                }
            }
            self.ranges.push(ranges);
            self.children.push(Vec::new());
            index
        });
        if children {
            self.path.resize(depth, None);
            self.path.push(index);
        }
        index
    }

    /// Readies the search, once every DIE is pushed.
    pub(super) fn finish(&mut self) {
        self.outer.sort_unstable();
        let mut reach = 0;
        for entry in &mut self.outer {
            reach = reach.max(entry.1);
            entry.3 = reach;
        }
    }

    /// The deepest scope whose ranges hold all of `code`.
    pub(super) fn deepest(&self, code: &Range<u64>) -> Option<usize> {
        let holds = |scope: usize| {
            self.ranges[scope]
                .iter()
                .any(|r| r.start <= code.start && code.end <= r.end)
        };
        let i = self.outer.partition_point(|o| o.0 <= code.start);
        let outer = self.outer[..i]
            .iter()
            .rev()
            .take_while(|o| o.3 >= code.end)
            .find(|o| o.1 >= code.end)?
            .2;
        let mut scope = outer;
        while let Some(&inner) = self.children[scope].iter().find(|&&c| holds(c)) {
            scope = inner;
        }
        Some(scope)
    }
}

#[cfg(test)]
mod tests {
    use super::{callees_first, Scopes};

    /// Inputs whose code was inlined into others' come first, chains
    /// included; the rest keep their order, and so do inputs on a cycle.
    #[test]
    fn callees_are_converted_before_their_callers() {
        let order = |inputs: &[usize], edges: &[(usize, usize)]| -> Vec<usize> {
            let inputs = inputs.iter().map(|&i| (i, ())).collect();
            let edges = edges.iter().copied().collect();
            callees_first(inputs, &edges)
                .into_iter()
                .map(|(i, ())| i)
                .collect()
        };
        assert_eq!(order(&[0, 1, 2, 3], &[]), [0, 1, 2, 3]);
        assert_eq!(order(&[0, 1, 2, 3], &[(0, 2), (3, 0)]), [1, 2, 0, 3]);
        assert_eq!(order(&[0, 1, 2], &[(0, 1), (1, 2)]), [2, 1, 0]);
        // A callee without usable DWARF is not waited for.
        assert_eq!(order(&[0, 2], &[(0, 1)]), [0, 2]);
        assert_eq!(order(&[0, 1, 2], &[(0, 1), (1, 0)]), [2, 0, 1]);
    }

    /// The deepest scope holding a copy is found through the tree: inside
    /// nested blocks, in a function under a DIE that is no scope (a
    /// namespace), in a function of two ranges, and nowhere when no
    /// function holds all of it.
    #[test]
    fn the_deepest_scope_holding_code_is_found() {
        let one = |range: std::ops::Range<u64>| Some(std::iter::once(range).collect());
        let mut scopes = Scopes::default();
        scopes.push(0, true, None); // the unit
        let f = scopes.push(1, true, one(0..100)).unwrap();
        let block = scopes.push(2, true, one(10..50)).unwrap();
        let inner = scopes.push(3, false, one(20..30)).unwrap();
        scopes.push(2, false, None); // a variable of f
        scopes.push(1, true, None); // a namespace
        let g = scopes
            .push(2, true, Some(vec![200..220, 300..340]))
            .unwrap();
        let gone = scopes.push(3, false, Some(vec![])).unwrap();
        let h = scopes.push(1, false, one(100..150)).unwrap();
        scopes.finish();
        assert_eq!(scopes.deepest(&(22..28)), Some(inner));
        assert_eq!(scopes.deepest(&(20..31)), Some(block));
        assert_eq!(scopes.deepest(&(5..60)), Some(f));
        assert_eq!(scopes.deepest(&(305..320)), Some(g));
        assert_eq!(scopes.deepest(&(100..120)), Some(h));
        assert_eq!(scopes.deepest(&(90..110)), None);
        assert_eq!(scopes.deepest(&(210..310)), None);
        assert_eq!(scopes.deepest(&(400..410)), None);
        assert_ne!(scopes.deepest(&(200..201)), Some(gone));
    }
}
