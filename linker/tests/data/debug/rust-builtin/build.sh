#!/usr/bin/env bash
# Builds the Rust builtin with debug information into $OUT_DIR (default:
# linker/tests/data/debug), as rust-builtin.wasm there was built. Its
# source paths are named under /rust-builtin, an absolute path as rustc
# names the standard library's, so that they read the same from any unit
# they are inlined into. Needs the wasm32-unknown-unknown target
# (`rustup target add wasm32-unknown-unknown`).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "${OUT_DIR:-"$here/.."}" && pwd)
# From its own directory, so that the compilation directory is mapped too.
cd "$here"
rustc --edition 2021 --target wasm32-unknown-unknown --crate-type cdylib \
  -C opt-level=2 -C debuginfo=2 -C panic=abort \
  --remap-path-prefix "$here=/rust-builtin" \
  -o "$out/rust-builtin.wasm" lib.rs
echo "$out/rust-builtin.wasm"
