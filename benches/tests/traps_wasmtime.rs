//! Every wasmtime variant keeps the bounds check: out-of-range `peek`
//! traps.
//!
//! Separate from `traps_prelink.rs` because a test binary is one process:
//! wasmtime and our runtime each install process-wide signal handlers for
//! the faults their compiled code raises, and a trap of one engine's code
//! must not be routed through the other's handler. One engine family per
//! process keeps this test about bounds checks.

use benches::variants::{check_traps_out_of_range, Kind};

#[test]
fn wasmtime_variants_trap_out_of_range() {
    for kind in [
        Kind::WasmtimeCoreHost,
        Kind::WasmtimeComponentHost,
        Kind::WasmtimeBuiltins,
        Kind::WasmtimeLinked,
        Kind::WasmtimePrelinked,
        Kind::WasmtimePrelinkedDescriptor,
    ] {
        check_traps_out_of_range(kind).unwrap_or_else(|e| panic!("{e}"));
    }
}
