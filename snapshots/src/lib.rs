//! Snapshot and differential tests of the linker.
