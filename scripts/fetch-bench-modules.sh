#!/usr/bin/env bash
# Fetches large real-world WebAssembly modules from the npm registry for the
# linker benchmarks. Nothing fetched is committed: modules land in
# target/bench-modules/ (or $BENCH_MODULES_DIR), named after their producer.
#
# Pinned package versions keep numbers comparable across runs.
set -euo pipefail

out=${BENCH_MODULES_DIR:-"$(cd "$(dirname "$0")/.." && pwd)/target/bench-modules"}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# name            package                     version   path of the module inside the tarball
modules=(
  "go-esbuild      esbuild-wasm                0.28.2    package/esbuild.wasm"
  "rust-swc        @swc/wasm                   1.16.18   package/wasm_bg.wasm"
  "rust-biome      @biomejs/wasm-nodejs        2.5.14    package/biome_wasm_bg.wasm"
  "c-ffmpeg        @ffmpeg/core                0.12.10   package/dist/umd/ffmpeg-core.wasm"
  "cpp-duckdb      @duckdb/duckdb-wasm         1.32.0    package/dist/duckdb-mvp.wasm"
)

for entry in "${modules[@]}"; do
  read -r name package version path <<<"$entry"
  target="$out/$name.wasm"
  if [[ -s $target ]]; then
    continue
  fi
  echo "fetching $package@$version -> $target" >&2
  (cd "$work" && npm pack --silent "$package@$version" >/dev/null)
  tarball=$(ls "$work"/*.tgz)
  tar -xzf "$tarball" -C "$work" "$path"
  mv "$work/$path" "$target"
  rm -rf "$work"/*
done
ls -l "$out"/*.wasm >&2
