//! Our runtime's variants and the native floor keep the bounds check:
//! out-of-range `peek` traps. (In its own process; see `traps_wasmtime.rs`.)

use benches::variants::{build, Kind};
use benches::workload::initial_buffer;

/// Small, and not a power of two.
const LEN: usize = 997;

/// `peek` in range reads the byte; out of range (also where `index + 1`
/// overflows) it fails, and the buffer is untouched; an empty buffer traps
/// on any index.
fn traps_out_of_range(kind: Kind) {
    let initial = initial_buffer(LEN);
    let mut variant = build(kind, &initial).unwrap_or_else(|e| panic!("`{}`: {e:?}", kind.id()));
    assert_eq!(
        variant
            .peek(LEN as u64 - 1)
            .unwrap_or_else(|e| panic!("`{}`: {e:?}", kind.id())),
        initial[LEN - 1]
    );
    for index in [LEN as u64, u64::MAX] {
        assert!(
            variant.peek(index).is_err(),
            "`{}` read index {index}",
            kind.id()
        );
    }
    assert_eq!(
        variant.buffer(),
        &initial[..],
        "`{}` changed the buffer",
        kind.id()
    );
    let mut empty = build(kind, &[]).unwrap_or_else(|e| panic!("`{}`: {e:?}", kind.id()));
    assert!(
        empty.peek(0).is_err(),
        "`{}` read an empty buffer",
        kind.id()
    );
}

#[test]
fn prelink_and_native_variants_trap_out_of_range() {
    for kind in [Kind::PrelinkInlined, Kind::PrelinkNoInline, Kind::Native] {
        traps_out_of_range(kind);
    }
}
