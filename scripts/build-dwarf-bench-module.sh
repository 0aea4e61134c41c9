#!/usr/bin/env bash
# Builds the large module with DWARF that the linker throughput benchmark
# uses to measure rewriting debug information: a Rust cdylib wrapping the
# `wat` and `wasmprinter` crates behind two exports and two host imports,
# built with `debuginfo=2`, written to target/bench-modules/rust-wat-debug.wasm
# (or $BENCH_MODULES_DIR). Needs the wasm32-unknown-unknown target and
# crates.io; crate versions are pinned so numbers stay comparable.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${BENCH_MODULES_DIR:-"$root/target/bench-modules"}
src="$root/target/dwarf-bench-module"
mkdir -p "$out" "$src/src"

cat >"$src/Cargo.toml" <<'TOML'
[package]
name = "rust-wat-debug"
version = "0.1.0"
edition = "2021"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
wat = "=1.263.0"
wasmprinter = "=0.263.0"

[profile.release]
debug = 2
opt-level = 1

[workspace]
TOML

cat >"$src/src/lib.rs" <<'RUST'
#[link(wasm_import_module = "host")]
extern "C" {
    fn report(len: usize);
    fn limit() -> usize;
}

#[no_mangle]
pub extern "C" fn alloc(len: usize) -> *mut u8 {
    let mut bytes = Vec::with_capacity(len);
    let ptr = bytes.as_mut_ptr();
    std::mem::forget(bytes);
    ptr
}

/// Parses `len` bytes of WebAssembly text at `ptr` and prints the binary
/// back; returns the printed length.
#[no_mangle]
pub unsafe extern "C" fn roundtrip(ptr: *const u8, len: usize) -> usize {
    let len = len.min(limit());
    let text = std::str::from_utf8(std::slice::from_raw_parts(ptr, len)).unwrap_or("");
    let printed = match wat::parse_str(text) {
        Ok(binary) => wasmprinter::print_bytes(&binary).map_or(0, |s| s.len()),
        Err(_) => 0,
    };
    report(printed);
    printed
}
RUST

(cd "$src" && CARGO_TARGET_DIR="$src/target" cargo build --quiet --release --target wasm32-unknown-unknown)
cp "$src/target/wasm32-unknown-unknown/release/rust_wat_debug.wasm" "$out/rust-wat-debug.wasm"
echo "$out/rust-wat-debug.wasm"
