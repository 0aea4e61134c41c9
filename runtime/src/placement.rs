//! Where a function's code starts: placing its innermost loops so that
//! each spans as few 64-byte lines as it can.
//!
//! An x86-64 core feeds a small hot loop from its decoded-instruction cache
//! (AMD's op cache, Intel's DSB), which holds code in 64-byte-aligned
//! lines. A loop that straddles a line boundary needs two lookups per
//! iteration where one would do, and in a tight loop that is the limit:
//! the host-buffer loop (`increment-all` after linking and lowering, 28
//! bytes) runs at 0.45 ns/byte when it sits inside one line and at 0.62 to
//! 0.70 when it straddles two, on the same machine, with the same
//! instructions. That is why compilers align loop headers; Cranelift 0.112
//! aligns nothing inside a function, and the JIT places each function at
//! whatever 32-byte boundary comes next.
//!
//! The runtime owns where code goes, so it does the placement itself. It
//! asks Cranelift for the block layout of the compiled function
//! (`machine_code_cfg_info`), finds the loops from the backward edges
//! ([`innermost_loops`]), and chooses how far past a 64-byte boundary the
//! function starts ([`loop_padding`]): the offset at which its innermost
//! loops touch the fewest lines beyond the least they could, the smallest
//! such offset on a tie. The function is then allocated at a 64-byte
//! boundary with that many bytes of padding in front ([`padding_bytes`]),
//! which the function's callers pass through on entry: one `nop` of up to
//! 9 bytes, or a short jump over the rest. Only innermost loops count:
//! they are where time is spent, and an outer loop is larger than a line
//! anyway. A function without loops gets no padding.
//!
//! The padding is a multiple of the code's own alignment (16 bytes when it
//! carries a constant pool for SIMD), so constants stay aligned. On other
//! architectures no padding is added.

use cranelift_codegen::binemit::CodeOffset;
use cranelift_codegen::isa::TargetIsa;
use cranelift_codegen::CompiledCode;

/// The size, and alignment, of the instruction-cache line the placement
/// optimizes for.
pub(crate) const LINE: u32 = 64;

/// The longest single `nop` used as padding: the recommended multi-byte
/// encodings go up to 9 bytes on both AMD and Intel cores; longer padding
/// is jumped over instead.
const LONGEST_NOP: usize = 9;

/// The padding to put in front of `code`, compiled for `isa` with
/// `machine_code_cfg_info`: [`loop_padding`] of its innermost loops on
/// x86-64 (Cranelift's `x64` backend), whose instructions
/// [`padding_bytes`] writes; 0 elsewhere.
pub(crate) fn padding_for(isa: &dyn TargetIsa, code: &CompiledCode) -> u32 {
    if isa.name() != "x64" {
        return 0;
    }
    let loops = innermost_loops(&code.bb_starts, &code.bb_edges, code.code_info().total_size);
    loop_padding(&loops, code.buffer.alignment)
}

/// A loop as a byte range of the function's code: from its header to the
/// end of its last block that jumps back to the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Loop {
    pub start: CodeOffset,
    pub end: CodeOffset,
}

impl Loop {
    fn len(self) -> u32 {
        self.end - self.start
    }

    /// The number of `LINE`-byte lines the loop touches when the function
    /// starts `padding` bytes past a line boundary.
    fn lines(self, padding: u32) -> u32 {
        let first = (self.start + padding) / LINE;
        let last = (self.end + padding - 1) / LINE;
        last - first + 1
    }

    /// The fewest lines a loop of this length can touch.
    fn fewest_lines(self) -> u32 {
        self.len().div_ceil(LINE)
    }

    fn contains(self, other: Loop) -> bool {
        self != other && self.start <= other.start && other.end <= self.end
    }
}

/// The innermost loops of a function, from Cranelift's block layout: the
/// start offset of every block, in layout order, and every control-flow
/// edge as `(from, to)` block start offsets. `code_len` ends the last
/// block.
///
/// An edge to a block at or before its source is a back edge, and the
/// range from its target to the end of its source is a loop; back edges to
/// one header make one loop. A loop is innermost when it contains no other.
pub(crate) fn innermost_loops(
    block_starts: &[CodeOffset],
    edges: &[(CodeOffset, CodeOffset)],
    code_len: CodeOffset,
) -> Vec<Loop> {
    let block_end = |start: CodeOffset| {
        block_starts
            .iter()
            .copied()
            .find(|&next| next > start)
            .unwrap_or(code_len)
    };
    let mut loops: Vec<Loop> = Vec::new();
    for &(from, to) in edges.iter().filter(|&&(from, to)| to <= from) {
        let end = block_end(from);
        match loops.iter_mut().find(|l| l.start == to) {
            Some(existing) => existing.end = existing.end.max(end),
            None => loops.push(Loop { start: to, end }),
        }
    }
    // Every loop is non-empty: a back edge's source block ends after it
    // starts, and the header is at or before that start.
    loops
        .iter()
        .copied()
        .filter(|&outer| !loops.iter().any(|&inner| outer.contains(inner)))
        .collect()
}

/// How many bytes past a `LINE` boundary the function should start, a
/// multiple of `granule` below `LINE`: the first padding at which the
/// loops touch the fewest lines in excess of their least.
pub(crate) fn loop_padding(loops: &[Loop], granule: u32) -> u32 {
    if loops.is_empty() {
        return 0;
    }
    let excess = |padding: u32| -> u32 {
        loops
            .iter()
            .map(|&l| l.lines(padding) - l.fewest_lines())
            .sum()
    };
    (0..LINE)
        .step_by(granule.clamp(1, LINE) as usize)
        .min_by_key(|&padding| (excess(padding), padding))
        .unwrap_or(0)
}

/// The x86-64 bytes of `padding` bytes of padding that execution passes
/// through: one multi-byte `nop`, or a two-byte `jmp` over `int3` filler.
pub(crate) fn padding_bytes(padding: usize) -> Vec<u8> {
    const NOPS: [&[u8]; LONGEST_NOP] = [
        &[0x90],
        &[0x66, 0x90],
        &[0x0f, 0x1f, 0x00],
        &[0x0f, 0x1f, 0x40, 0x00],
        &[0x0f, 0x1f, 0x44, 0x00, 0x00],
        &[0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00],
        &[0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00],
        &[0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
        &[0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
    ];
    match padding {
        0 => Vec::new(),
        1..=LONGEST_NOP => NOPS[padding - 1].to_vec(),
        _ => {
            const JMP_REL8: u8 = 0xeb;
            const INT3: u8 = 0xcc;
            let skipped = u8::try_from(padding - 2).expect("padding is below one line");
            let mut bytes = vec![JMP_REL8, skipped];
            bytes.resize(padding, INT3);
            bytes
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_back_edge_makes_a_loop_ending_with_its_source_block() {
        // Blocks at 0, 10, 20, 40; 40 jumps back to 10; 20 exits to 40.
        let loops = innermost_loops(&[0, 10, 20, 40], &[(0, 10), (10, 20), (40, 10)], 50);
        assert_eq!(loops, [Loop { start: 10, end: 50 }]);
    }

    #[test]
    fn only_innermost_loops_count_and_back_edges_to_one_header_merge() {
        let starts = [0, 8, 16, 24, 32, 48];
        let edges = [(24, 16), (16, 16), (32, 8), (48, 8)];
        let loops = innermost_loops(&starts, &edges, 60);
        assert_eq!(loops, [Loop { start: 16, end: 32 }]);
    }

    #[test]
    fn no_loops_no_padding() {
        assert!(innermost_loops(&[0, 10], &[(0, 10)], 20).is_empty());
        assert_eq!(loop_padding(&[], 1), 0);
    }

    #[test]
    fn a_straddling_loop_is_moved_into_one_line() {
        // The host-buffer loop as compiled: 28 bytes from offset 0x25.
        let hot = Loop {
            start: 0x25,
            end: 0x41,
        };
        assert_eq!(hot.lines(0), 2);
        let padding = loop_padding(&[hot], 1);
        assert_eq!(hot.lines(padding), 1);
        // The smallest such padding: the loop then starts at a boundary.
        assert_eq!(padding, 0x40 - 0x25);
        // With a 16-byte granule it must still fit, at a coarser offset.
        let padding = loop_padding(&[hot], 16);
        assert_eq!(padding % 16, 0);
        assert_eq!(hot.lines(padding), 1);
    }

    #[test]
    fn a_loop_already_inside_a_line_is_left_alone() {
        let hot = Loop {
            start: 0x08,
            end: 0x30,
        };
        assert_eq!(loop_padding(&[hot], 1), 0);
    }

    #[test]
    fn padding_has_the_requested_length_and_jumps_to_its_end() {
        for padding in 0..LINE as usize {
            let bytes = padding_bytes(padding);
            assert_eq!(bytes.len(), padding);
            if padding > LONGEST_NOP {
                assert_eq!(bytes[0], 0xeb);
                assert_eq!(2 + usize::from(bytes[1]), padding);
            }
        }
    }
}
