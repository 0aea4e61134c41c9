//! Our runtime's variants and the native floor keep the bounds check:
//! out-of-range `peek` traps. (In its own process; see `traps_wasmtime.rs`.)

use benches::variants::{check_traps_out_of_range, Kind};

#[test]
fn prelink_and_native_variants_trap_out_of_range() {
    for kind in [Kind::PrelinkInlined, Kind::PrelinkNoInline, Kind::Native] {
        check_traps_out_of_range(kind).unwrap_or_else(|e| panic!("{e}"));
    }
}
