//! From an input's code addresses to the output's.
//!
//! The code map answers "where did this output byte come from"; DWARF's
//! ranges and addresses need the other direction. Only a function's own
//! code counts (marks without a call site): an inlined copy is not where a
//! subprogram or a variable's location list lives, except that it counts
//! as part of the call it replaced.

use std::cell::Cell;
use std::ops::Range;
use std::sync::Arc;

use crate::debug::map::{CodeMap, Source};

/// One stretch of the input's code that survives in the output.
#[derive(Clone, Debug)]
struct Stretch {
    /// The input bytes it stands for: a copy's whole extent, or the first
    /// byte of the one instruction an `At` stands for.
    from: Range<u64>,
    /// Where it is in the output.
    out: Range<u64>,
    /// A byte-for-byte copy (addresses inside shift), or one instruction
    /// (every address inside it is its start).
    copy: bool,
}

/// An input's surviving code, sorted by input address.
#[derive(Debug)]
pub(super) struct Forward {
    stretches: Arc<[Stretch]>,
    /// Each stretch's `from.end`, apart: searches read only these, which
    /// stay in cache where whole stretches would not.
    stretch_ends: Arc<[u64]>,
    /// Each stretch's `from.start`, apart, likewise.
    stretch_starts: Arc<[u64]>,
    /// The input's function bodies, so that a range is mapped function by
    /// function (functions may be reordered).
    bodies: Arc<[Range<u64>]>,
    /// Each body's end, apart, likewise.
    body_ends: Arc<[u64]>,
    /// Where the last searches ended: DWARF asks about nearby addresses
    /// one after another, so most searches end where the last did.
    last_body: Cell<usize>,
    last_stretch: Cell<usize>,
    /// The input code of the last function part a range was found to
    /// have moved with in one piece, and where that part starts in the
    /// output: most DIEs and list entries lie in the function the one
    /// before did, and those need no search. Empty when there is none.
    moved: Cell<(u64, u64, u64)>,
    /// Whether the stretches' ends rise with their starts (they do unless
    /// stretches overlap), which the remembered search needs.
    monotonic: bool,
    /// Whether the stretches follow one another without overlapping on
    /// both sides, input and output: then a range's hull runs from the
    /// first stretch it touches to the last, and the ones between need not
    /// be read. (Code that a link moves keeps its order within an input.)
    separate: bool,
}

impl Forward {
    /// The forward map of input `input`, whose function bodies are `bodies`.
    pub(super) fn new(map: &CodeMap, input: u32, bodies: &[Range<u32>]) -> Forward {
        let mut stretches = Vec::new();
        for (i, mark) in map.marks.iter().enumerate() {
            let out = u64::from(mark.out)..u64::from(map.mark_end(i));
            if out.is_empty() {
                continue;
            }
            if let Some(site) = mark.site {
                // A copy inlined at a call stands where the call stood,
                // right after the code written for the call: a range that
                // holds the call holds the copy too, as a compiler's
                // inlined subroutine lies inside the block that called it.
                if let Some(call) = stretches.last_mut().filter(|s: &&mut Stretch| {
                    !s.copy
                        && s.out.end == out.start
                        && site.input == input
                        && s.from.start == u64::from(site.offset)
                }) {
                    call.out.end = out.end;
                }
                continue;
            }
            let (origin, copy) = match mark.source {
                Source::Copy(origin) => (origin, true),
                Source::At(origin) => (origin, false),
                Source::None => continue,
            };
            if origin.input != input {
                continue;
            }
            let start = u64::from(origin.offset);
            let length = if copy { out.end - out.start } else { 1 };
            stretches.push(Stretch {
                from: start..start + length,
                out,
                copy,
            });
        }
        let bodies = bodies
            .iter()
            .map(|b| u64::from(b.start)..u64::from(b.end))
            .collect();
        Forward::of(stretches, bodies)
    }

    /// The forward map of the stretches `stretches` of an input whose
    /// function bodies are `bodies`, both in any order.
    fn of(mut stretches: Vec<Stretch>, mut bodies: Vec<Range<u64>>) -> Forward {
        stretches.sort_by_key(|s| (s.from.start, s.out.start));
        bodies.sort_by_key(|b| b.start);
        let monotonic = stretches.windows(2).all(|w| w[0].from.end <= w[1].from.end);
        let separate = stretches
            .windows(2)
            .all(|w| w[0].from.end <= w[1].from.start && w[0].out.end <= w[1].out.start);
        Forward {
            stretch_ends: stretches.iter().map(|s| s.from.end).collect(),
            stretch_starts: stretches.iter().map(|s| s.from.start).collect(),
            stretches: stretches.into(),
            body_ends: bodies.iter().map(|b| b.end).collect(),
            bodies: bodies.into(),
            last_body: Cell::new(0),
            last_stretch: Cell::new(0),
            moved: Cell::new((0, 0, 0)),
            monotonic,
            separate,
        }
    }

    /// The same map with searches of its own, for another thread: the
    /// stretches are shared, not copied.
    pub(super) fn beside(&self) -> Forward {
        Forward {
            stretches: Arc::clone(&self.stretches),
            stretch_ends: Arc::clone(&self.stretch_ends),
            stretch_starts: Arc::clone(&self.stretch_starts),
            bodies: Arc::clone(&self.bodies),
            body_ends: Arc::clone(&self.body_ends),
            last_body: Cell::new(0),
            last_stretch: Cell::new(0),
            moved: Cell::new((0, 0, 0)),
            monotonic: self.monotonic,
            separate: self.separate,
        }
    }

    /// The output ranges holding the code of input range `range`, sorted
    /// and merged. Each input function's part maps to the output from its
    /// first surviving byte to just past its last (so code inserted in
    /// between belongs to it too); code that is gone maps to nothing.
    pub(super) fn range(&self, range: Range<u64>) -> Vec<Range<u64>> {
        let mut out = Vec::new();
        self.range_into(range, &mut out);
        out
    }

    /// [`Forward::range`], appended to `out` (sorted and merged among
    /// themselves, not with what `out` held).
    pub(super) fn range_into(&self, range: Range<u64>, out: &mut Vec<Range<u64>>) {
        if range.is_empty() {
            return;
        }
        let (start, end, to) = self.moved.get();
        if start <= range.start && range.end <= end {
            out.push(to + (range.start - start)..to + (range.end - start));
            return;
        }
        // Most ranges lie inside one function: its hull is the answer.
        let body = if self.bodies.is_empty() {
            Some(0..u64::MAX)
        } else {
            let b = self.first_body(range.start);
            self.bodies
                .get(b)
                .filter(|body| body.start <= range.start && range.end <= body.end)
                .cloned()
        };
        if let Some(body) = body {
            out.extend(self.hull(range.clone()));
            self.note_moved(range, body);
            return;
        }
        let mut pieces: Vec<Range<u64>> = self
            .functions(range)
            .filter_map(|piece| self.hull(piece))
            .collect();
        sort_and_merge(&mut pieces);
        out.append(&mut pieces);
    }

    /// Notes the part of function `body` that input range `range` (inside
    /// it, not empty) moved with, when it moved in one piece: a copied
    /// stretch, which no other stretch overlaps (`separate`), holding the
    /// range. Any range inside that part then moves as the part does: its
    /// hull is the fast case of [`Forward::hull`].
    fn note_moved(&self, range: Range<u64>, body: Range<u64>) {
        if !self.separate {
            return;
        }
        let Some(s) = self.stretches.get(self.last_stretch.get()) else {
            return;
        };
        if s.copy && s.from.start <= range.start && range.end <= s.from.end {
            let start = s.from.start.max(body.start);
            let end = s.from.end.min(body.end);
            self.moved
                .set((start, end, s.out.start + (start - s.from.start)));
        }
    }

    /// The output offset of the byte that came from input address
    /// `address`, or of the next surviving byte of its function.
    pub(super) fn point(&self, address: u64) -> Option<u64> {
        let end = self.function_end(address)?;
        self.hull(address..end).map(|hull| hull.start)
    }

    /// The end of the function holding `address` (for inputs whose bodies
    /// are unknown, the end of all code).
    fn function_end(&self, address: u64) -> Option<u64> {
        if self.bodies.is_empty() {
            return Some(u64::MAX);
        }
        let i = self.first_body(address);
        self.bodies
            .get(i)
            .filter(|b| b.start <= address)
            .map(|b| b.end)
    }

    /// The first body ending after `address`:
    /// `bodies.partition_point(|b| b.end <= address)`, searched from where
    /// the last search ended (bodies never overlap, so their ends rise).
    fn first_body(&self, address: u64) -> usize {
        let i = gallop(&self.body_ends, self.last_body.get(), |end| end <= address);
        self.last_body.set(i);
        i
    }

    /// The first stretch ending after `address`, likewise when the
    /// stretches' ends rise; otherwise the same binary search over all of
    /// them every time.
    fn first_stretch(&self, address: u64) -> usize {
        let ends = &self.stretch_ends;
        let i = if self.monotonic {
            gallop(ends, self.last_stretch.get(), |end| end <= address)
        } else {
            ends.partition_point(|&end| end <= address)
        };
        self.last_stretch.set(i);
        i
    }

    /// `range` cut at the input's function bodies.
    fn functions(&self, range: Range<u64>) -> impl Iterator<Item = Range<u64>> + '_ {
        let whole = self.bodies.is_empty().then(|| range.clone());
        let first = self.first_body(range.start);
        let cut = self.bodies[first..]
            .iter()
            .take_while(move |b| b.start < range.end)
            .map(move |b| b.start.max(range.start)..b.end.min(range.end))
            .filter(|piece| !piece.is_empty());
        whole.into_iter().chain(cut)
    }

    /// The output span of input range `range` within one function: from
    /// the first output byte of it to just past the last.
    fn hull(&self, range: Range<u64>) -> Option<Range<u64>> {
        let first = self.first_stretch(range.start);
        let mut hull: Option<Range<u64>> = None;
        // One copied stretch holding all of it, and no other overlapping:
        // it moved as a whole.
        if let Some(s) = self.stretches.get(first) {
            let alone = self
                .stretches
                .get(first + 1)
                .is_none_or(|next| next.from.start >= range.end);
            if alone && s.copy && s.from.start <= range.start && range.end <= s.from.end {
                let shift = s.out.start;
                return Some(
                    shift + (range.start - s.from.start)..shift + (range.end - s.from.start),
                );
            }
        }
        // The part of stretch `s` that `range` covers, in the output.
        let piece = |s: &Stretch| {
            if s.copy {
                let begin = s.out.start + (range.start.max(s.from.start) - s.from.start);
                let end = s.out.start + (range.end.min(s.from.end) - s.from.start);
                begin..end
            } else {
                s.out.clone()
            }
        };
        if self.separate {
            // Every stretch from `first` up to the first starting at or
            // past the range's end overlaps it; their pieces rise.
            let last = gallop(&self.stretch_starts, first, |start| start < range.end);
            if last <= first {
                return None;
            }
            let hull = piece(&self.stretches[first]).start..piece(&self.stretches[last - 1]).end;
            return Some(hull).filter(|h| !h.is_empty());
        }
        for s in self.stretches[first..]
            .iter()
            .take_while(|s| s.from.start < range.end)
        {
            if s.from.end <= range.start {
                continue;
            }
            let piece = piece(s);
            hull = Some(match hull {
                Some(h) => h.start.min(piece.start)..h.end.max(piece.end),
                None => piece,
            });
        }
        hull.filter(|h| !h.is_empty())
    }
}

/// `items.partition_point(below)`, for items that are `below` up to some
/// index and not after it, searched outward from index `hint` in steps
/// that double: DWARF asks about nearby addresses one after another, so a
/// search from the last answer takes a few comparisons where a binary
/// search of the whole input's code would take many cache misses.
pub(super) fn gallop(items: &[u64], hint: usize, below: impl Fn(u64) -> bool) -> usize {
    let hint = hint.min(items.len());
    let mut step = 1;
    if hint > 0 && !below(items[hint - 1]) {
        // The answer is before `hint`, at or before `high`.
        let mut high = hint - 1;
        loop {
            let low = high.saturating_sub(step);
            if low == 0 || below(items[low]) {
                return low + items[low..high].partition_point(|&a| below(a));
            }
            high = low;
            step *= 2;
        }
    }
    // Everything before `low` is below.
    let mut low = hint;
    loop {
        let high = (low + step).min(items.len());
        if high == items.len() || !below(items[high]) {
            return low + items[low..high].partition_point(|&a| below(a));
        }
        low = high + 1;
        step *= 2;
    }
}

/// `ranges` sorted by start, with those that overlap or touch made one.
pub(super) fn sort_and_merge(ranges: &mut Vec<Range<u64>>) {
    ranges.sort_by_key(|range| range.start);
    let mut kept = 0;
    for i in 0..ranges.len() {
        if kept > 0 && ranges[i].start <= ranges[kept - 1].end {
            ranges[kept - 1].end = ranges[kept - 1].end.max(ranges[i].end);
        } else {
            ranges[kept] = ranges[i].clone();
            kept += 1;
        }
    }
    ranges.truncate(kept);
}

#[cfg(test)]
mod tests {
    use super::{gallop, Forward, Stretch};
    use std::ops::Range;

    /// When stretches neither overlap nor cross, a hull is read off the
    /// first and the last stretch a range touches: it must be what
    /// reading every stretch between gives, for every range, whether
    /// stretches are copies or single instructions, with gaps on either
    /// side (code removed, code inserted) and ranges across functions.
    #[test]
    fn separate_stretches_give_the_hull_every_stretch_gives() {
        let mut next = crate::debug::dwarf::below(5);
        let (mut fast_paths, mut remembered) = (0, 0);
        for _ in 0..200 {
            let (mut from, mut out) = (next(4), next(4));
            let mut stretches = Vec::new();
            for _ in 0..next(12) {
                from += next(3);
                out += next(3);
                let copy = next(3) > 0;
                let length = 1 + next(6);
                let (from_len, out_len) = if copy { (length, length) } else { (1, length) };
                stretches.push(Stretch {
                    from: from..from + from_len,
                    out: out..out + out_len,
                    copy,
                });
                from += from_len;
                out += out_len;
            }
            let mut bodies: Vec<Range<u64>> = Vec::new();
            let mut start = 0;
            while start < from + 4 {
                let end = start + 1 + next(20);
                bodies.push(start..end);
                start = end + next(2);
            }
            let fast = Forward::of(stretches.clone(), bodies.clone());
            let mut slow = Forward::of(stretches, bodies);
            assert!(fast.separate);
            slow.separate = false;
            for start in 0..from + 4 {
                for end in start..from + 5 {
                    let hull = fast.range(start..end);
                    assert_eq!(hull, slow.range(start..end), "{start}..{end}");
                    fast_paths += usize::from(!hull.is_empty());
                }
                assert_eq!(fast.point(start), slow.point(start), "{start}");
            }
            // In no order, as a unit's DIEs and lists ask: what the last
            // range noted as moved in one piece must never answer for a
            // range outside that piece.
            for _ in 0..300 {
                let start = next(from + 4);
                let end = start + next(8);
                let hull = fast.range(start..end);
                assert_eq!(hull, slow.range(start..end), "{start}..{end}");
                remembered += usize::from(fast.moved.get().1 > fast.moved.get().0);
            }
        }
        assert!(fast_paths > 10_000);
        assert!(remembered > 10_000);
    }

    /// Searching outward from any hint must find what searching the whole
    /// slice finds, for every address, in sorted items with repeats.
    #[test]
    fn galloping_from_any_hint_is_partition_point() {
        let mut next = crate::debug::dwarf::below(11);
        let mut moved = 0;
        for len in 0..70 {
            let mut items: Vec<u64> = (0..len).map(|_| next(40)).collect();
            items.sort_unstable();
            for address in 0..42 {
                let at_most = items.partition_point(|&a| a <= address);
                let before = items.partition_point(|&a| a < address);
                for hint in 0..len as usize + 3 {
                    let found = gallop(&items, hint, |a| a <= address);
                    assert_eq!(found, at_most, "{items:?} from {hint}");
                    let found = gallop(&items, hint, |a| a < address);
                    assert_eq!(found, before, "{items:?} from {hint}");
                    moved += usize::from(hint.abs_diff(at_most) > 1);
                }
            }
        }
        assert!(moved > 10_000);
    }
}
