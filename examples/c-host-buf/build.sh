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
# DEBUG=1: with DWARF (cli/tests/debuginfo.rs), paths relative to the
# repository so that what the tests compare does not depend on the clone.
# DWARF_VERSION=5 with it: DWARF 5 rather than clang's default for wasm32, 4.
if [[ ${DEBUG:-0} == 1 ]]; then
  wasm_flags+=(-g "-fdebug-prefix-map=$here=examples/c-host-buf")
  if [[ -n ${DWARF_VERSION:-} ]]; then
    wasm_flags+=("-gdwarf-$DWARF_VERSION")
  fi
fi

# The application: a reactor (no main) whose exports are the API above.
"$cc" "${wasm_flags[@]}" -mexec-model=reactor -o "$out/app.wasm" "$here/app.c"

# The builtin: no libc, no entry point, only the exported functions; its
# imports are the intrinsics.
"$cc" "${wasm_flags[@]}" -nostdlib -Wl,--no-entry -o "$out/builtin.wasm" "$here/builtin.c"

# The same application natively, over a heap buffer. (app.c takes clang a
# while: its CRC table is a deep macro expansion; compile it natively once.)
native_flags=(-O2 -Wall -Wextra -Werror)
"$cc" "${native_flags[@]}" -c -o "$out/app.o" "$here/app.c"
"$cc" "${native_flags[@]}" -o "$out/native-app" "$out/app.o" "$here/native_host.c"

# With NATIVE_BENCH=1, the timing drivers of the C-program benchmark
# (benches/benches/c_program.rs): the application and the accessors in one
# translation unit, so the accessors are inlined, and in two, so every
# access is a call.
if [[ ${NATIVE_BENCH:-0} == 1 ]]; then
  "$cc" "${native_flags[@]}" -DNATIVE_BENCH_INLINE -o "$out/native-bench" "$here/native_bench.c"
  "$cc" "${native_flags[@]}" -o "$out/native-bench-calls" "$out/app.o" "$here/native_bench.c"
fi

echo "$out"
