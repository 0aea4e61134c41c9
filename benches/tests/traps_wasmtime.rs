//! Every wasmtime variant keeps the bounds check: out-of-range `peek`
//! traps.
//!
//! Separate from `traps_prelink.rs` because a test binary is one process:
//! wasmtime and our runtime each install process-wide signal handlers for
//! the faults their compiled code raises, and a trap of one engine's code
//! must not be routed through the other's handler. One engine family per
//! process keeps this test about bounds checks.

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
fn wasmtime_variants_trap_out_of_range() {
    for kind in [
        Kind::WasmtimeCoreHost,
        Kind::WasmtimeComponentHost,
        Kind::WasmtimeBuiltins,
        Kind::WasmtimeLinked,
    ] {
        traps_out_of_range(kind);
    }
}
