//! Where each byte of the output's code came from.
//!
//! Debug information names code by its offset in the Code section (DWARF's
//! addresses for Wasm are offsets from the start of that section's
//! contents; a source map's columns are the same offsets plus the section's
//! place in the file). Linking moves code three times — emission re-encodes
//! indices, inlining copies bodies into callers, the descriptor pass adds
//! loads at entry — so each phase that moves code records a [`CodeMap`]
//! from its output back to its input, and the maps are composed into one
//! from the final module back to the inputs.
//!
//! A map is a sorted list of [`Mark`]s. A mark holds from its `out` offset
//! to the next mark's: a [`Source::Copy`] stretch is byte for byte the
//! input's (so every instruction boundary, and every address a line table
//! names inside it, maps by the same shift), an [`Source::At`] stretch
//! stands for one input instruction (re-encoded with other immediates, or
//! code written for it such as the `local.set`s of an inlined call), and
//! [`Source::None`] has no input at all (a synthesized start function).
//! Recording is done only when an input has debug information, so a link
//! without any pays nothing.

use std::ops::Range;
use wasmparser::FunctionBody;

/// A place in an input's code: which input (link order, the app last) and
/// the offset from the start of its Code section's contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    /// The input, numbered in link order: builtins and virtualizers as
    /// given, the app last.
    pub input: u32,
    /// Offset from the start of the input's Code section contents.
    pub offset: u32,
}

impl Origin {
    /// The place `by` bytes on.
    pub fn shifted(self, by: u32) -> Origin {
        Origin {
            input: self.input,
            offset: self.offset + by,
        }
    }
}

/// What one stretch of output code stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Nothing of any input.
    None,
    /// A byte-for-byte copy starting at this origin.
    Copy(Origin),
    /// One instruction, or a function's locals header, at this origin.
    At(Origin),
}

/// The start of a stretch of output code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    /// Offset in the output's Code section contents.
    pub out: u32,
    /// What the stretch up to the next mark came from.
    pub source: Source,
    /// For code inlined into another function: the call instruction it
    /// replaced, in the code of the function it now belongs to (after
    /// nested inlining, the outermost call). `None` for a function's own
    /// code.
    pub site: Option<Origin>,
}

/// A map from one module's code back to its inputs' code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CodeMap {
    /// Sorted by `out`, strictly increasing.
    pub marks: Vec<Mark>,
    /// Size of the output's Code section contents: where the last mark ends.
    pub end: u32,
    /// Each output function body (after its size), in order.
    pub bodies: Vec<Range<u32>>,
}

impl CodeMap {
    /// The mark holding `out`, if any.
    fn mark_at(&self, out: u32) -> Option<&Mark> {
        if out >= self.end {
            return None;
        }
        let i = self.marks.partition_point(|m| m.out <= out);
        i.checked_sub(1).map(|i| &self.marks[i])
    }

    /// Where the output byte at `out` came from, and the call site it was
    /// inlined at.
    pub fn lookup(&self, out: u32) -> (Option<Origin>, Option<Origin>) {
        match self.mark_at(out) {
            Some(mark) => (point(mark, out), mark.site),
            None => (None, None),
        }
    }

    /// The end of the stretch starting with mark `i`.
    pub fn mark_end(&self, i: usize) -> u32 {
        self.marks.get(i + 1).map_or(self.end, |m| m.out)
    }

    /// The stretches that overlap output range `range` (a body, say), in
    /// order, each cut to the range, with its mark.
    pub fn stretches(&self, range: Range<u32>) -> impl Iterator<Item = (Range<u32>, &Mark)> + '_ {
        let first = self
            .marks
            .partition_point(|m| m.out <= range.start)
            .saturating_sub(1);
        self.marks[first..]
            .iter()
            .enumerate()
            .take_while(move |(_, mark)| mark.out < range.end)
            .filter_map(move |(k, mark)| {
                let start = mark.out.max(range.start);
                let end = self.mark_end(first + k).min(range.end);
                (start < end).then_some((start..end, mark))
            })
    }

    /// This map (from a later phase's output to `earlier`'s output) composed
    /// with `earlier` (from that output back to the inputs): a map from the
    /// later output to the inputs. The `input` of this map's origins is
    /// ignored; they are offsets in `earlier`'s output.
    pub fn compose(&self, earlier: &CodeMap) -> CodeMap {
        let mut recorder = Recorder::default();
        for (i, mark) in self.marks.iter().enumerate() {
            let end = self.mark_end(i);
            let site = |inner: Option<Origin>| match mark.site {
                Some(site) => earlier.lookup(site.offset).0,
                None => inner,
            };
            match mark.source {
                Source::None => recorder.push(mark.out, Source::None, site(None)),
                Source::At(at) => {
                    let (origin, inner) = earlier.lookup(at.offset);
                    recorder.push(
                        mark.out,
                        origin.map_or(Source::None, Source::At),
                        site(inner),
                    );
                }
                Source::Copy(from) => {
                    let range = from.offset..from.offset + (end - mark.out);
                    earlier.copy_into(range, mark.out, &site, &mut recorder);
                }
            }
        }
        let mut map = recorder.finish(self.end);
        map.bodies = self.bodies.clone();
        map
    }
}

impl CodeMap {
    /// Records, at `to` in `recorder`, a copy of this map's output range
    /// `from`: the stretches it overlaps, cut to the range. `site` turns the
    /// site of each stretch into the copy's (inlining puts its call there).
    pub fn copy_into(
        &self,
        from: Range<u32>,
        to: u32,
        site: &dyn Fn(Option<Origin>) -> Option<Origin>,
        recorder: &mut Recorder,
    ) {
        let first = self.marks.partition_point(|m| m.out <= from.start);
        let mut j = first.saturating_sub(1);
        if first == 0 {
            recorder.push(to, Source::None, site(None));
        }
        while j < self.marks.len() && self.marks[j].out < from.end {
            let mark = &self.marks[j];
            let piece = mark.out.max(from.start);
            let source = if piece >= self.end {
                Source::None
            } else {
                match mark.source {
                    Source::Copy(o) => Source::Copy(o.shifted(piece - mark.out)),
                    other => other,
                }
            };
            recorder.push(to + (piece - from.start), source, site(mark.site));
            j += 1;
        }
    }
}

/// The origin of the byte at `out` within `mark`'s stretch.
fn point(mark: &Mark, out: u32) -> Option<Origin> {
    match mark.source {
        Source::None => None,
        Source::Copy(origin) => Some(origin.shifted(out - mark.out)),
        Source::At(origin) => Some(origin),
    }
}

/// An input's function body and the output body written from it, for
/// [`Recorder::pair`] and [`Recorder::drifted`]. The bases are where the
/// Code section contents of each start in the reader its body came from:
/// origins and output offsets count from there.
#[derive(Clone, Copy, Debug)]
pub struct Rewritten<'a> {
    /// The input's body.
    pub from: &'a FunctionBody<'a>,
    /// Where the input's Code section contents start.
    pub from_base: u32,
    /// The input, numbered as [`Origin::input`].
    pub input: u32,
    /// The output's body.
    pub to: &'a FunctionBody<'a>,
    /// Where the output's Code section contents start.
    pub to_base: u32,
}

/// Builds a [`CodeMap`] in output order, merging stretches that continue
/// one another.
#[derive(Debug, Default)]
pub struct Recorder {
    marks: Vec<Mark>,
    bodies: Vec<Range<u32>>,
}

impl Recorder {
    /// Starts a stretch at `out`. A stretch that continues the previous
    /// copy is not recorded; one at the same offset replaces the previous.
    pub fn push(&mut self, out: u32, source: Source, site: Option<Origin>) {
        if let Some(last) = self.marks.last_mut() {
            debug_assert!(out >= last.out, "marks out of order");
            if last.out == out {
                *last = Mark { out, source, site };
                self.merge_last();
                return;
            }
            if last.site == site {
                match (last.source, source) {
                    (Source::Copy(a), Source::Copy(b))
                        if a.input == b.input
                            && b.offset.checked_sub(a.offset) == Some(out - last.out) =>
                    {
                        return;
                    }
                    (Source::None, Source::None) => return,
                    _ => {}
                }
            }
        }
        self.marks.push(Mark { out, source, site });
    }

    /// After a replacement, the last mark may continue the one before.
    fn merge_last(&mut self) {
        let n = self.marks.len();
        if n < 2 {
            return;
        }
        let (before, last) = (self.marks[n - 2], self.marks[n - 1]);
        let continues = before.site == last.site
            && match (before.source, last.source) {
                (Source::Copy(a), Source::Copy(b)) => {
                    a.input == b.input
                        && b.offset.checked_sub(a.offset) == Some(last.out - before.out)
                }
                (Source::None, Source::None) => true,
                _ => false,
            };
        if continues {
            self.marks.pop();
        }
    }

    /// Records every stretch of `map`, moved `shift` bytes on.
    pub fn extend_shifted(&mut self, map: &CodeMap, shift: u32) {
        for mark in &map.marks {
            self.push(mark.out + shift, mark.source, mark.site);
        }
    }

    /// Records the stretches of two bodies holding the same instructions
    /// (one re-encoded with other indices, so some are longer): each
    /// instruction of `bodies.to` came from the one of `bodies.from`. The
    /// locals header counts as the first instruction. Only where the two
    /// encodings drift apart does a new stretch start; an instruction at
    /// the same distance continues the copy.
    pub fn pair(&mut self, bodies: &Rewritten<'_>) -> Result<(), String> {
        let err = |e: wasmparser::BinaryReaderError| e.to_string();
        let (from, to) = (bodies.from, bodies.to);
        let (from_start, to_start) = (from.range().start, to.range().start);
        self.copied(bodies, to_start, from_start);
        // A body that came through unchanged is one copy; most do.
        if from.as_bytes() == to.as_bytes() {
            return Ok(());
        }
        let mut a = from.get_operators_reader().map_err(err)?;
        let mut b = to.get_operators_reader().map_err(err)?;
        let mut shift = to_start as i64 - from_start as i64;
        while !a.eof() {
            if b.eof() {
                return Err("a re-encoded body has fewer instructions".into());
            }
            let (to_at, from_at) = (b.original_position(), a.original_position());
            if to_at as i64 - from_at as i64 != shift {
                shift = to_at as i64 - from_at as i64;
                self.copied(bodies, to_at, from_at);
            }
            a.read().map_err(err)?;
            b.read().map_err(err)?;
        }
        Ok(())
    }

    /// Records the stretches of `bodies.to`, which `code::rewrite_body`
    /// wrote from `bodies.from`, from the drifts it recorded while writing
    /// (offsets from the two bodies' starts where the distance between
    /// them changes): what [`Recorder::pair`] finds, without decoding
    /// either.
    pub fn drifted(&mut self, bodies: &Rewritten<'_>, drifts: &[(u32, u32)]) -> Result<(), String> {
        let (from, to) = (bodies.from.range(), bodies.to.range());
        let (from_start, to_start) = (from.start, to.start);
        self.copied(bodies, to_start, from_start);
        let mut shift = 0i64;
        for &(to_at, from_at) in drifts {
            self.copied(
                bodies,
                to_start + u64::from(to_at),
                from_start + u64::from(from_at),
            );
            shift = i64::from(to_at) - i64::from(from_at);
        }
        if (from.end - from.start) as i64 + shift != (to.end - to.start) as i64 {
            return Err("a rewritten body does not end where its instructions do".into());
        }
        Ok(())
    }

    /// Starts a copy at `to_at` in `bodies.to` of what is at `from_at` in
    /// `bodies.from`, both positions in the readers the bodies came from.
    fn copied(&mut self, bodies: &Rewritten<'_>, to_at: u64, from_at: u64) {
        let origin = Origin {
            input: bodies.input,
            offset: from_at as u32 - bodies.from_base,
        };
        self.push(to_at as u32 - bodies.to_base, Source::Copy(origin), None);
    }

    /// Records an output function body.
    pub fn body(&mut self, body: Range<u32>) {
        self.bodies.push(body);
    }

    /// The map, its last stretch ending at `end`.
    pub fn finish(self, end: u32) -> CodeMap {
        CodeMap {
            marks: self.marks,
            end,
            bodies: self.bodies,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(input: u32, offset: u32) -> Origin {
        Origin { input, offset }
    }

    #[test]
    fn copies_shift_and_points_stand_still() {
        let mut r = Recorder::default();
        r.push(10, Source::Copy(at(1, 100)), None);
        r.push(14, Source::At(at(1, 104)), None);
        r.push(20, Source::Copy(at(1, 107)), None);
        r.push(25, Source::None, None);
        r.body(10..30);
        let map = r.finish(30);
        assert_eq!(map.lookup(9), (None, None));
        assert_eq!(map.lookup(12).0, Some(at(1, 102)));
        assert_eq!(map.lookup(17).0, Some(at(1, 104)));
        assert_eq!(map.lookup(21).0, Some(at(1, 108)));
        assert_eq!(map.lookup(26).0, None);
        assert_eq!(map.lookup(30).0, None);
    }

    #[test]
    fn continued_copies_are_one_mark() {
        let mut r = Recorder::default();
        r.push(0, Source::Copy(at(0, 5)), None);
        r.push(3, Source::Copy(at(0, 8)), None);
        r.push(6, Source::Copy(at(0, 12)), None);
        let map = r.finish(9);
        assert_eq!(map.marks.len(), 2);
    }

    #[test]
    fn composition_follows_both_maps() {
        // Earlier: output 0..10 copies input 0 at 50; 10..12 is one
        // instruction at input 0's 60; 12..20 copies input 1 at 0.
        let mut r = Recorder::default();
        r.push(0, Source::Copy(at(0, 50)), None);
        r.push(10, Source::At(at(0, 60)), None);
        r.push(12, Source::Copy(at(1, 0)), None);
        let earlier = r.finish(20);
        // Later: 100..115 copies earlier 5..20; 115..118 is an inlined
        // copy of earlier 0..3 at the call earlier 14.
        let mut r = Recorder::default();
        r.push(100, Source::Copy(at(0, 5)), None);
        r.push(115, Source::Copy(at(0, 0)), Some(at(0, 14)));
        let later = r.finish(118);
        let map = later.compose(&earlier);
        assert_eq!(map.lookup(101).0, Some(at(0, 56)));
        assert_eq!(map.lookup(105).0, Some(at(0, 60)));
        assert_eq!(map.lookup(106).0, Some(at(0, 60)));
        assert_eq!(map.lookup(107).0, Some(at(1, 0)));
        assert_eq!(map.lookup(114).0, Some(at(1, 7)));
        assert_eq!(map.lookup(116), (Some(at(0, 51)), Some(at(1, 2))));
    }
}
