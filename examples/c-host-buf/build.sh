#!/usr/bin/env bash
# Builds the C example: the application and the C builtin as wasm32 modules,
# and the same application natively for comparison. Output goes to
# $OUT_DIR (default: target/c-host-buf at the repository root).
#
# Needs clang, lld, wasi-libc and libclang-rt-14-dev-wasm32 (Debian
# packages); .ci/run installs them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT_DIR:-"$here/../../target/c-host-buf"}
mkdir -p "$out"
cc=${CLANG:-clang}
wasm_flags=(--target=wasm32-wasi -O2 -mbulk-memory -Wall -Wextra -Werror)

# The application: a reactor (no main) whose exports are the API above.
"$cc" "${wasm_flags[@]}" -mexec-model=reactor -o "$out/app.wasm" "$here/app.c"

# The builtin: no libc, no entry point, only the exported functions; its
# imports are the intrinsics.
"$cc" "${wasm_flags[@]}" -nostdlib -Wl,--no-entry -o "$out/builtin.wasm" "$here/builtin.c"

# The same application natively, over a heap buffer.
"$cc" -O2 -Wall -Wextra -Werror -o "$out/native-app" "$here/app.c" "$here/native_host.c"

echo "$out"
