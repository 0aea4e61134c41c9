#!/usr/bin/env bash
# Builds the WASI example: the C program as a WASI command whose memory is
# imported (`env.memory`) and exported (`memory`), for the virtualizer of
# `virtualizer.wat` to share. Output goes to $OUT_DIR (default:
# target/wasi-virt at the repository root).
#
# Needs clang, lld, wasi-libc and libclang-rt-14-dev-wasm32 (Debian
# packages; .ci/run installs them) and rustc.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT_DIR:-"$here/../../target/wasi-virt"}
mkdir -p "$out"
cc=${CLANG:-clang}

# The memory is imported, two pages (`memory.wat` provides them); the app's
# data starts at 1024, so the bytes below are free for the virtualizer's
# scratch data.
"$cc" --target=wasm32-wasi -O2 -Wall -Wextra -Werror \
  -Wl,--import-memory -Wl,--initial-memory=131072 -Wl,--global-base=1024 \
  -o "$out/app-imported-memory.wasm" "$here/app.c"

# WASI hosts read buffers from the caller's `memory` export; LLVM 14's
# wasm-ld cannot export an imported memory, so a tiny tool adds the export.
rustc --edition 2021 -O -o "$out/export_memory" "$here/export_memory.rs"
"$out/export_memory" "$out/app-imported-memory.wasm" "$out/app.wasm"

echo "$out"
