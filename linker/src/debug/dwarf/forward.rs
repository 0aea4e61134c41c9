//! From an input's code addresses to the output's.
//!
//! The code map answers "where did this output byte come from"; DWARF's
//! ranges and addresses need the other direction. Only a function's own
//! code counts (marks without a call site): an inlined copy is not where a
//! subprogram or a variable's location list lives.

use std::ops::Range;

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
    stretches: Vec<Stretch>,
    /// The input's function bodies, so that a range is mapped function by
    /// function (functions may be reordered).
    bodies: Vec<Range<u64>>,
}

impl Forward {
    /// The forward map of input `input`, whose function bodies are `bodies`.
    pub(super) fn new(map: &CodeMap, input: u32, bodies: &[Range<u32>]) -> Forward {
        let mut stretches = Vec::new();
        for (i, mark) in map.marks.iter().enumerate() {
            let out = u64::from(mark.out)..u64::from(map.mark_end(i));
            if mark.site.is_some() || out.is_empty() {
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
        stretches.sort_by_key(|s| (s.from.start, s.out.start));
        let mut bodies: Vec<Range<u64>> = bodies
            .iter()
            .map(|b| u64::from(b.start)..u64::from(b.end))
            .collect();
        bodies.sort_by_key(|b| b.start);
        Forward { stretches, bodies }
    }

    /// The output ranges holding the code of input range `range`, sorted
    /// and merged. Each input function's part maps to the output from its
    /// first surviving byte to just past its last (so code inserted in
    /// between belongs to it too); code that is gone maps to nothing.
    pub(super) fn range(&self, range: Range<u64>) -> Vec<Range<u64>> {
        let mut pieces: Vec<Range<u64>> = self
            .functions(range)
            .filter_map(|piece| self.hull(piece))
            .collect();
        pieces.sort_by_key(|p| p.start);
        let mut merged: Vec<Range<u64>> = Vec::with_capacity(pieces.len());
        for piece in pieces {
            match merged.last_mut() {
                Some(last) if piece.start <= last.end => last.end = last.end.max(piece.end),
                _ => merged.push(piece),
            }
        }
        merged
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
        let i = self.bodies.partition_point(|b| b.end <= address);
        self.bodies
            .get(i)
            .filter(|b| b.start <= address)
            .map(|b| b.end)
    }

    /// `range` cut at the input's function bodies.
    fn functions(&self, range: Range<u64>) -> impl Iterator<Item = Range<u64>> + '_ {
        let whole = self.bodies.is_empty().then(|| range.clone());
        let first = self.bodies.partition_point(|b| b.end <= range.start);
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
        let first = self
            .stretches
            .partition_point(|s| s.from.end <= range.start);
        let mut hull: Option<Range<u64>> = None;
        for s in self.stretches[first..]
            .iter()
            .take_while(|s| s.from.start < range.end)
        {
            if s.from.end <= range.start {
                continue;
            }
            let piece = if s.copy {
                let begin = s.out.start + (range.start.max(s.from.start) - s.from.start);
                let end = s.out.start + (range.end.min(s.from.end) - s.from.start);
                begin..end
            } else {
                s.out.clone()
            };
            hull = Some(match hull {
                Some(h) => h.start.min(piece.start)..h.end.max(piece.end),
                None => piece,
            });
        }
        hull.filter(|h| !h.is_empty())
    }
}
