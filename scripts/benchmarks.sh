#!/usr/bin/env bash
# Runs every benchmark of the project and writes BENCHMARKS.md and
# docs/benchmarks.svg at the repository root.
#
# 1. Host-data access: the criterion benchmark `benches/benches/host_buffer.rs`
#    (wasmtime core/component host functions, wasmtime compile-time builtins,
#    our linked module on wasmtime and on our runtime, native Rust).
#    Then the C program of examples/c-host-buf/ over an 8 MiB buffer,
#    `benches/benches/c_program.rs` (native C, our runtime on the linked
#    app, wasmtime with host functions); it needs clang for wasm32.
# 2. Linking throughput: on the real modules of scripts/fetch-bench-modules.sh,
#    `wasm-prelink link --inline none|auto` against Binaryen's `wasm-merge`
#    and `wasm-opt --inlining`, each a separate process timed with
#    /usr/bin/time (wall clock and peak resident memory).
# 3. `bench-report` turns both into the report.
#
# Installs what it needs: Binaryen from npm into target/binaryen (the only
# registry build that ships wasm-merge: an Emscripten build run by Node; its
# wasm-opt is used too, since Debian's older native wasm-opt 108 cannot parse
# what wasm-merge 132 writes), and GNU time with apt-get if missing.
#
# Environment: CARGO_TARGET_DIR (default target/), BENCH_RUNS (throughput
# runs per tool and module, default 3; BENCH_BINARYEN_RUNS caps Binaryen's,
# which take minutes per large module), BENCH_SAMPLES / BENCH_SECONDS
# (criterion sample count and seconds per benchmark, default 30 / 3),
# BENCH_FILTER (only modules whose name contains it), BENCH_MODULES (a
# space-separated list of module names to keep, default all), BENCH_NOISE (a sentence
# for the report when the machine was not quiet), BINARYEN_NPM_VERSION,
# BENCH_PHASES (any of `e2e throughput report`, default all three: phases
# keep their results in BENCH_RESULTS_DIR, default $CARGO_TARGET_DIR/
# bench-results, so a phase can be re-run alone and the report re-written).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-"$root/target"}
export CARGO_TARGET_DIR=$target
runs=${BENCH_RUNS:-3}
binaryen_runs=${BENCH_BINARYEN_RUNS:-$runs}
filter=${BENCH_FILTER:-}
binaryen_version=${BINARYEN_NPM_VERSION:-132.0.0}
results=${BENCH_RESULTS_DIR:-"$target/bench-results"}
phases=" ${BENCH_PHASES:-e2e throughput report} "
phase() { [[ $phases == *" $1 "* ]]; }
modules="$root/target/bench-modules"
builtins="$results/builtins"
out="$results/out"
mkdir -p "$results" "$builtins" "$out"
samples="$results/samples.csv"
meta="$results/meta-common.txt"
: >"$meta"
note() { printf '%s=%s\n' "$1" "$2" >>"$meta"; }
command_line() { note command "$*"; }

# --- tools ---------------------------------------------------------------
need_apt=()
[[ -x /usr/bin/time ]] || need_apt+=(time)
if ((${#need_apt[@]})); then
  apt-get update -qq && apt-get install -y -qq "${need_apt[@]}"
fi
binaryen_npm="$root/target/binaryen"
wasm_merge="$binaryen_npm/node_modules/binaryen/bin/wasm-merge"
wasm_opt="$binaryen_npm/node_modules/binaryen/bin/wasm-opt"
# Binaryen is only needed to compare linking throughput.
if phase throughput; then
if [[ ! -x $binaryen_npm/node_modules/binaryen/bin/wasm-merge ]] ||
  ! grep -q "\"version\": \"$binaryen_version\"" "$binaryen_npm/node_modules/binaryen/package.json"; then
  npm install --prefix "$binaryen_npm" --no-audit --no-fund --silent "binaryen@$binaryen_version"
fi
fi

note date "$(date -u '+%Y-%m-%d %H:%M UTC')"
note commit "$(git rev-parse --short HEAD)"
note cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
note nproc "$(nproc)"
note kernel "$(uname -sr)"
note rustc "$(rustc -V)"
note wasmtime "$(grep -A1 '^name = "wasmtime"$' Cargo.lock | sed -n 's/version = "\(.*\)"/\1/p' | head -1) (crates.io, Cranelift, default optimization level)"
if phase throughput; then
  note wasm_merge "$("$wasm_merge" --version) — npm \`binaryen@$binaryen_version\`, Emscripten build run by Node"
  note wasm_opt "$("$wasm_opt" --version) — the same npm build"
  note node "$(node --version)"
fi
[[ -n ${BENCH_NOISE:-} ]] && note noise "$BENCH_NOISE"

# --- 1. host-data access ---------------------------------------------------
if phase e2e; then
meta="$results/meta-e2e.txt"
: >"$meta"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# `--workspace`: the feature set every other build of the workspace uses,
# so Wasmtime and Cranelift are not compiled a second time for `-p benches`.
e2e=(cargo bench --workspace --locked --bench host_buffer)
command_line "BENCH_SAMPLES=${BENCH_SAMPLES:-30} BENCH_SECONDS=${BENCH_SECONDS:-3} ${e2e[*]}"
rm -rf "$target/criterion/in-order" "$target/criterion/random"
"${e2e[@]}"
note load_e2e "$load_before → $(cut -d' ' -f1-3 /proc/loadavg)"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
c_program=(cargo bench --workspace --locked --bench c_program)
command_line "BENCH_SAMPLES=${BENCH_SAMPLES:-10} BENCH_SECONDS=${BENCH_SECONDS:-3} ${c_program[*]}"
rm -rf "$target"/criterion/c-*
"${c_program[@]}"
note load_c "$load_before → $(cut -d' ' -f1-3 /proc/loadavg)"
fi

# --- 2. linking throughput ---------------------------------------------------
if phase throughput; then
meta="$results/meta-throughput.txt"
: >"$meta"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
command_line scripts/fetch-bench-modules.sh
scripts/fetch-bench-modules.sh
# The `run` command (and with it Cranelift) is not what is measured.
cargo build --release -p cli --bin wasm-prelink
prelink="$target/release/wasm-prelink"
command_line cargo build --release -p cli --bin wasm-prelink
selected() { # the module names this run measures
  for app in "$modules"/*.wasm; do
    local module
    module=$(basename "$app" .wasm)
    [[ $module == *"$filter"* ]] || continue
    [[ -z ${BENCH_MODULES:-} || " $BENCH_MODULES " == *" $module "* ]] || continue
    echo "$module"
  done
}
# The synthetic forwarding builtins, written by the linker's own benchmark
# (once per module: they depend only on the module).
command_line "BENCH_DUMP_DIR=$builtins BENCH_RUNS=1 BENCH_FILTER=MODULE cargo bench -p linker --bench throughput"
for module in $(selected); do
  if ! ls "$builtins/$module".*.wasm >/dev/null 2>&1; then
    BENCH_DUMP_DIR=$builtins BENCH_RUNS=1 BENCH_FILTER=$module \
      cargo bench -p linker --bench throughput
  fi
done

echo "# module,bytes,tool,run,seconds,max_rss_kib" >"$samples"
timed() { # module bytes tool run command...
  local module=$1 bytes=$2 tool=$3 run=$4
  shift 4
  /usr/bin/time -f '%e %M' -o "$results/time.txt" "$@" >/dev/null
  read -r seconds rss <"$results/time.txt"
  echo "$module,$bytes,$tool,$run,$seconds,$rss" >>"$samples"
}
first=1
for module in $(selected); do
  app="$modules/$module.wasm"
  builtin=$(ls "$builtins/$module".*.wasm 2>/dev/null | head -1)
  [[ -n $builtin ]] || { echo "no builtin for $module" >&2; continue; }
  name=${builtin#"$builtins/$module".}
  name=${name%.wasm}
  bytes=$(stat -c %s "$app")
  link=("$prelink" link "$app" --builtin "$name=$builtin")
  merge=("$wasm_merge" --all-features "$app" app "$builtin" "$name")
  inline=("$wasm_opt" --all-features --inlining "$out/$module.merged.wasm")
  if ((first)); then
    command_line "/usr/bin/time -f '%e %M' ${link[*]} --inline none -o OUT"
    command_line "/usr/bin/time -f '%e %M' ${link[*]} --inline auto -o OUT"
    command_line "/usr/bin/time -f '%e %M' ${merge[*]} -o $out/$module.merged.wasm"
    command_line "/usr/bin/time -f '%e %M' ${inline[*]} -o OUT"
    first=0
  fi
  for run in $(seq "$runs"); do
    echo "throughput: $module run $run/$runs" >&2
    timed "$module" "$bytes" prelink-link "$run" "${link[@]}" --inline none -o "$out/$module.none.wasm"
    timed "$module" "$bytes" prelink-link-inline "$run" "${link[@]}" --inline auto -o "$out/$module.auto.wasm"
    ((run <= binaryen_runs)) || continue
    timed "$module" "$bytes" wasm-merge "$run" "${merge[@]}" -o "$out/$module.merged.wasm"
    timed "$module" "$bytes" wasm-opt-inlining "$run" "${inline[@]}" -o "$out/$module.inlined.wasm"
  done
  rm -f "$out/$module".*.wasm
done
note load_throughput "$load_before → $(cut -d' ' -f1-3 /proc/loadavg)"
fi

# --- 3. the report -------------------------------------------------------------
if phase report; then
# Built with the benchmarks' feature set: `cargo run -p benches` would
# unify features differently and rebuild wasmtime and Cranelift for a
# report writer.
cargo build --release --workspace --locked --bins --benches
report=("$target/release/bench-report" --criterion "$target/criterion"
  --samples "$samples" --meta "$results/meta.txt" --analysis benches/data/analysis.md
  --markdown BENCHMARKS.md --svg docs/benchmarks.svg)
meta="$results/meta-common.txt"
command_line "${report[*]}"
# A phase left out of this run (BENCH_PHASES) contributes nothing; the
# report says so.
[[ -f $samples ]] || echo "# module,bytes,tool,run,seconds,max_rss_kib" >"$samples"
for part in e2e throughput; do
  [[ -f $results/meta-$part.txt ]] || : >"$results/meta-$part.txt"
done
cat "$results"/meta-e2e.txt "$results"/meta-throughput.txt "$results"/meta-common.txt \
  >"$results/meta.txt"
"${report[@]}"
echo "wrote BENCHMARKS.md and docs/benchmarks.svg" >&2
fi
