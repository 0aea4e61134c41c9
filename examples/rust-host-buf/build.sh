#!/usr/bin/env bash
# Builds the Rust example with debug information into $OUT_DIR (default:
# the directory of this script), as cli/tests/data/rust-host-buf.wasm was
# built (rustc 1.95.0). Needs the wasm32-unknown-unknown target
# (`rustup target add wasm32-unknown-unknown`).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT_DIR:-"$here"}
rustc --edition 2021 --target wasm32-unknown-unknown --crate-type cdylib \
  -C opt-level=2 -C debuginfo=2 -C panic=abort \
  --remap-path-prefix "$here=examples/rust-host-buf" \
  -o "$out/app.wasm" "$here/lib.rs"
echo "$out/app.wasm"
