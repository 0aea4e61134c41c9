//! Splitting per-function work across the machine's cores.
//!
//! Validating, scanning and rewriting function bodies are independent per
//! body once the module-level sections are known, and together they are
//! most of a link's time. Every such pass splits the bodies the same way:
//! into contiguous ranges of similar byte size, one per core, whose results
//! are put back together in order. Contiguous ranges keep the output and
//! the first reported error independent of how the work was split, so the
//! linker stays deterministic on any machine. Small modules stay on the
//! calling thread, where starting threads would cost more than the work.

use std::ops::Range;

/// Below this many bytes of code, work stays on the calling thread.
const PARALLEL_CODE_THRESHOLD: usize = 256 * 1024;

/// How many threads the passes use.
pub fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Contiguous ranges of `sizes`' indices, one per worker, of about equal
/// total size; a single range when the total is small or there is one
/// worker. Never empty: zero items give one empty range.
pub fn split(sizes: impl ExactSizeIterator<Item = usize> + Clone) -> Vec<Range<usize>> {
    split_into(sizes, workers())
}

/// Like [`split`], but `waves` ranges per worker, for passes that produce
/// output: run [`workers`] ranges at a time and keep their output only
/// until it is appended, so the extra memory is a fraction of the output
/// rather than all of it.
pub fn split_in_waves(
    sizes: impl ExactSizeIterator<Item = usize> + Clone,
    waves: usize,
) -> Vec<Range<usize>> {
    split_into(sizes, workers().saturating_mul(waves))
}

fn split_into(
    sizes: impl ExactSizeIterator<Item = usize> + Clone,
    pieces: usize,
) -> Vec<Range<usize>> {
    let count = sizes.len();
    let total: usize = sizes.clone().sum();
    if workers() < 2 || pieces < 2 || total < PARALLEL_CODE_THRESHOLD {
        return std::iter::once(0..count).collect();
    }
    let target = total / pieces + 1;
    let mut ranges = Vec::with_capacity(pieces + 1);
    let (mut start, mut size) = (0, 0);
    for (i, item) in sizes.enumerate() {
        size += item;
        if size >= target {
            ranges.push(start..i + 1);
            start = i + 1;
            size = 0;
        }
    }
    if start < count || ranges.is_empty() {
        ranges.push(start..count);
    }
    ranges
}

/// Runs `work` on each of `parts`, on its own thread when there are several,
/// and returns the results in the order of `parts`. A panic in a worker is
/// resumed on the calling thread.
pub fn map<P: Send, T: Send>(parts: Vec<P>, work: impl Fn(P) -> T + Sync) -> Vec<T> {
    if parts.len() < 2 {
        return parts.into_iter().map(work).collect();
    }
    let work = &work;
    std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| scope.spawn(move || work(part)))
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_every_item_once_in_order() {
        for sizes in [
            vec![],
            vec![10],
            vec![PARALLEL_CODE_THRESHOLD * 4],
            vec![1000; 2000],
            (0..3000).map(|i| (i * 37) % 900).collect(),
        ] {
            for ranges in [
                split(sizes.iter().copied()),
                split_in_waves(sizes.iter().copied(), 8),
            ] {
                assert!(!ranges.is_empty());
                let mut next = 0;
                for range in &ranges {
                    assert_eq!(range.start, next);
                    assert!(range.start <= range.end);
                    next = range.end;
                }
                assert_eq!(next, sizes.len());
            }
        }
    }

    #[test]
    fn results_keep_the_order_of_the_parts() {
        let parts: Vec<usize> = (0..16).collect();
        assert_eq!(
            map(parts.clone(), |p| p * 2),
            parts.iter().map(|p| p * 2).collect::<Vec<_>>()
        );
    }
}
