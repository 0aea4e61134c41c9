//! From measurements to `BENCHMARKS.md` and `docs/benchmarks.svg`.
//!
//! Numbers nobody can find or reproduce do not help anyone choose a tool,
//! and numbers copied into a README by hand go stale. So the report is
//! generated, never edited: `scripts/benchmarks.sh` measures, then calls
//! the `bench-report` binary, which reads
//!
//! - criterion's estimates of the host-buffer benchmark
//!   (`<criterion dir>/<workload>/<variant>/new/{estimates,benchmark}.json`),
//! - the throughput samples the script took around separate processes
//!   (`module,bytes,tool,run,seconds,max_rss_kib` lines), and
//! - a metadata file of `key=value` lines (machine, tool versions, the exact
//!   commands),
//!
//! and writes tables of medians with ratios to a baseline of the *same* run,
//! the list of comparisons we lose (computed, so it cannot be forgotten), an
//! analysis written by a person (`benches/data/analysis.md`), and a chart.
//!
//! The chart has three panels with logarithmic axes — ns/byte for each
//! workload, MB/s per module for the linkers — because the variants span two
//! orders of magnitude and a linear axis would flatten everything that is
//! fast. Plotters' SVG backend writes text as SVG `<text>`, so no font files
//! are needed to build or run this.

use crate::c_program;
use crate::variants::Kind;
use crate::workload::Workload;
use anyhow::{anyhow, bail, Context, Result};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// Criterion's median of one benchmark.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Median time of one call, in ns.
    pub median_ns: f64,
    /// Lower bound of the median's 95% confidence interval.
    pub lower_ns: f64,
    /// Upper bound of the median's 95% confidence interval.
    pub upper_ns: f64,
    /// Bytes one call touches (criterion's throughput).
    pub bytes: u64,
}

impl Estimate {
    /// Time per byte touched.
    pub fn ns_per_byte(&self) -> f64 {
        self.median_ns / self.bytes.max(1) as f64
    }
}

/// The host-buffer results: one estimate per workload and variant that ran.
pub type EndToEnd = BTreeMap<(String, String), Estimate>;

/// Reads every `<workload>/<variant>` estimate under `dir`; benchmarks that
/// did not run are simply absent.
pub fn read_criterion(dir: &Path) -> Result<EndToEnd> {
    let mut results = EndToEnd::new();
    for workload in Workload::ALL {
        for kind in Kind::ALL {
            if let Some(estimate) = read_estimate(&dir.join(workload.name()).join(kind.id()))? {
                results.insert(
                    (workload.name().to_string(), kind.id().to_string()),
                    estimate,
                );
            }
        }
    }
    Ok(results)
}

/// The C-program results: one estimate per call (`Call::id`) and variant
/// that ran.
pub type CProgram = BTreeMap<(String, String), Estimate>;

/// Reads every `c-<call>/<variant>` estimate of `benches/c_program.rs`
/// under `dir`; benchmarks that did not run are simply absent.
pub fn read_c_program(dir: &Path) -> Result<CProgram> {
    let mut results = CProgram::new();
    for call in c_program::TIMED {
        for kind in c_program::Kind::ALL {
            let base = dir.join(format!("c-{}", call.id())).join(kind.id());
            if let Some(estimate) = read_estimate(&base)? {
                results.insert((call.id(), kind.id().to_string()), estimate);
            }
        }
    }
    Ok(results)
}

/// Criterion's median of the benchmark whose directory is `base`, or
/// `None` when it has not run.
fn read_estimate(base: &Path) -> Result<Option<Estimate>> {
    let base = base.join("new");
    let estimates = base.join("estimates.json");
    if !estimates.exists() {
        return Ok(None);
    }
    let json = |path: &Path| -> Result<serde_json::Value> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read `{}`", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("`{}` is not JSON", path.display()))
    };
    let e = json(&estimates)?;
    let b = json(&base.join("benchmark.json"))?;
    let number = |v: &serde_json::Value, what: &str| {
        v.as_f64()
            .ok_or_else(|| anyhow!("`{}`: no number at {what}", estimates.display()))
    };
    let median = &e["median"];
    let bytes = b["throughput"]["Bytes"]
        .as_u64()
        .ok_or_else(|| anyhow!("`{}`: no byte throughput", base.display()))?;
    Ok(Some(Estimate {
        median_ns: number(&median["point_estimate"], "median")?,
        lower_ns: number(&median["confidence_interval"]["lower_bound"], "lower")?,
        upper_ns: number(&median["confidence_interval"]["upper_bound"], "upper")?,
        bytes,
    }))
}

/// The programs compared on linking throughput.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tool {
    /// `wasm-prelink link --inline none`.
    PrelinkLink,
    /// `wasm-prelink link --inline auto`.
    PrelinkInline,
    /// Binaryen `wasm-merge` of the same app and builtin.
    WasmMerge,
    /// Binaryen `wasm-opt --inlining` of `wasm-merge`'s output.
    WasmOptInlining,
}

impl Tool {
    /// Every tool, in report order.
    pub const ALL: [Tool; 4] = [
        Tool::PrelinkLink,
        Tool::PrelinkInline,
        Tool::WasmMerge,
        Tool::WasmOptInlining,
    ];

    /// The name the script writes.
    pub fn id(self) -> &'static str {
        match self {
            Tool::PrelinkLink => "prelink-link",
            Tool::PrelinkInline => "prelink-link-inline",
            Tool::WasmMerge => "wasm-merge",
            Tool::WasmOptInlining => "wasm-opt-inlining",
        }
    }

    /// Parses [`Tool::id`] back.
    pub fn from_id(id: &str) -> Option<Tool> {
        Tool::ALL.into_iter().find(|t| t.id() == id)
    }
}

/// One timed process.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// The module's file stem.
    pub module: String,
    /// The module's size.
    pub bytes: u64,
    /// Which program ran.
    pub tool: Tool,
    /// Wall-clock time.
    pub seconds: f64,
    /// Peak resident memory, KiB (`/usr/bin/time`'s `%M`).
    pub max_rss_kib: u64,
}

/// Parses the script's samples; `#` lines are comments.
pub fn parse_samples(text: &str) -> Result<Vec<Sample>> {
    let mut samples = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        let [module, bytes, tool, _run, seconds, rss] = fields[..] else {
            bail!(
                "sample line {}: expected 6 fields, found `{line}`",
                number + 1
            );
        };
        let parse_err = |what: &str| anyhow!("sample line {}: bad {what} in `{line}`", number + 1);
        samples.push(Sample {
            module: module.to_string(),
            bytes: bytes.parse().map_err(|_| parse_err("size"))?,
            tool: Tool::from_id(tool).ok_or_else(|| parse_err("tool"))?,
            seconds: seconds.parse().map_err(|_| parse_err("time"))?,
            max_rss_kib: rss.parse().map_err(|_| parse_err("peak memory"))?,
        });
    }
    Ok(samples)
}

/// The median (mean of the middle two for an even count); `None` if empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    })
}

/// Medians of one tool on one module.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ToolResult {
    /// Median wall-clock seconds.
    pub seconds: f64,
    /// Median peak resident memory, MB.
    pub peak_mb: f64,
    /// Number of runs.
    pub runs: usize,
}

/// Per module (with its size): the medians of each tool that ran on it.
pub type Throughput = BTreeMap<(u64, String), BTreeMap<Tool, ToolResult>>;

/// Groups samples by module and tool and takes medians. Modules are keyed
/// by size first so tables go from small to large.
pub fn summarize(samples: &[Sample]) -> Throughput {
    let mut groups: BTreeMap<(u64, String), BTreeMap<Tool, Vec<&Sample>>> = BTreeMap::new();
    for s in samples {
        groups
            .entry((s.bytes, s.module.clone()))
            .or_default()
            .entry(s.tool)
            .or_default()
            .push(s);
    }
    groups
        .into_iter()
        .map(|(module, tools)| {
            let tools = tools
                .into_iter()
                .filter_map(|(tool, runs)| {
                    let secs: Vec<f64> = runs.iter().map(|s| s.seconds).collect();
                    let rss: Vec<f64> = runs.iter().map(|s| s.max_rss_kib as f64).collect();
                    Some((
                        tool,
                        ToolResult {
                            seconds: median(&secs)?,
                            peak_mb: median(&rss)? * 1024.0 / 1e6,
                            runs: runs.len(),
                        },
                    ))
                })
                .collect();
            (module, tools)
        })
        .collect()
}

/// `key=value` lines; a key may repeat (e.g. `command`), order is kept.
pub fn parse_meta(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn meta_value<'m>(meta: &'m [(String, String)], key: &str) -> &'m str {
    meta.iter()
        .find(|(k, _)| k == key)
        .map_or("unknown", |(_, v)| v.as_str())
}

/// Everything the report is made of.
pub struct Inputs<'a> {
    /// Host-buffer results.
    pub end_to_end: &'a EndToEnd,
    /// C-program results.
    pub c_program: &'a CProgram,
    /// Linker throughput medians.
    pub throughput: &'a Throughput,
    /// Machine, versions, commands.
    pub meta: &'a [(String, String)],
    /// The hand-written analysis, included verbatim.
    pub analysis: &'a str,
    /// Where the chart is, relative to the markdown file.
    pub chart_path: &'a str,
}

/// Ratio formatting: two significant decimals, `n/a` when undefined.
fn ratio(value: Option<f64>, base: Option<f64>) -> String {
    match (value, base) {
        (Some(v), Some(b)) if b > 0.0 => format!("{:.2}×", v / b),
        _ => "n/a".to_string(),
    }
}

fn end_to_end_ns(inputs: &Inputs<'_>, workload: Workload, kind: Kind) -> Option<f64> {
    inputs
        .end_to_end
        .get(&(workload.name().to_string(), kind.id().to_string()))
        .map(Estimate::ns_per_byte)
}

/// Linking throughput of one tool, or of the Binaryen pipeline
/// (`wasm-merge` then `wasm-opt --inlining`) for link+inline.
fn seconds(tools: &BTreeMap<Tool, ToolResult>, tool: Tool) -> Option<f64> {
    let t = tools.get(&tool)?.seconds;
    if tool == Tool::WasmOptInlining {
        Some(t + tools.get(&Tool::WasmMerge)?.seconds)
    } else {
        Some(t)
    }
}

/// Peak memory of one tool, or of the Binaryen pipeline for link+inline
/// (the larger of its two processes).
fn peak(tools: &BTreeMap<Tool, ToolResult>, tool: Tool) -> Option<f64> {
    let p = tools.get(&tool)?.peak_mb;
    if tool == Tool::WasmOptInlining {
        Some(p.max(tools.get(&Tool::WasmMerge)?.peak_mb))
    } else {
        Some(p)
    }
}

/// Writes the markdown report.
pub fn markdown(inputs: &Inputs<'_>) -> String {
    let mut md = String::new();
    let meta = inputs.meta;
    let m = |k| meta_value(meta, k);
    let _ = writeln!(md, "# Benchmarks\n");
    let _ = writeln!(
        md,
        "Generated by `scripts/benchmarks.sh` on {} (commit `{}`); do not edit by hand — \
         re-run the script. Every number is a median; every ratio compares numbers \
         taken in the same run.\n",
        m("date"),
        m("commit")
    );
    let _ = writeln!(md, "![Benchmark chart]({})\n", inputs.chart_path);

    let _ = writeln!(md, "## Machine and tools\n");
    let _ = writeln!(md, "| | |\n|---|---|");
    for (key, label) in [
        ("cpu", "CPU"),
        ("nproc", "cores (`nproc`)"),
        ("kernel", "kernel"),
        (
            "load_e2e",
            "load average, host-data benchmarks (before → after)",
        ),
        ("load_c", "load average, C program (before → after)"),
        (
            "load_throughput",
            "load average, throughput runs (before → after)",
        ),
        ("rustc", "rustc"),
        ("wasmtime", "wasmtime"),
        ("wasm_merge", "wasm-merge"),
        ("wasm_opt", "wasm-opt"),
        ("node", "Node.js (runs the npm Binaryen build)"),
    ] {
        let _ = writeln!(md, "| {label} | {} |", m(key));
    }
    if let Some((_, note)) = meta.iter().find(|(k, _)| k == "noise") {
        let _ = writeln!(md, "\n**Noise.** {note}");
    }

    let _ = writeln!(
        md,
        "\n## Host-data access: the compile-time-builtins workload\n"
    );
    let _ = writeln!(
        md,
        "A {}-byte host buffer behind `get(i: u64) -> u8`, `set(i: u64, v: u8)` and \
         `len() -> u64`, bounds-checked and trapping out of range. *in-order* adds one to \
         every byte; *random* adds one to as many bytes as the buffer holds, each chosen by \
         a linear congruential generator in the app. Time per byte touched; ratios are to \
         wasmtime's compile-time builtins (the anchor) on the same workload. Each \
         benchmark's final buffer was checked against the expected bytes.\n",
        inputs
            .end_to_end
            .values()
            .next()
            .map_or("100000".to_string(), |e| e.bytes.to_string())
    );
    let _ = writeln!(
        md,
        "| variant | what runs | in-order ns/byte | × anchor | random ns/byte | × anchor |"
    );
    let _ = writeln!(md, "|---|---|---:|---:|---:|---:|");
    for kind in Kind::ALL {
        let mut row = format!("| `{}` | {} |", kind.id(), kind.description());
        for workload in Workload::ALL {
            let ns = end_to_end_ns(inputs, workload, kind);
            let anchor = end_to_end_ns(inputs, workload, Kind::ANCHOR);
            let cell = ns.map_or("n/a".to_string(), |ns| format!("{ns:.3}"));
            let _ = write!(row, " {cell} | {} |", ratio(ns, anchor));
        }
        let _ = writeln!(md, "{row}");
    }
    let _ = writeln!(md, "\nMedian 95% confidence intervals (ns/byte):\n");
    for ((workload, variant), e) in inputs.end_to_end {
        let per = e.bytes.max(1) as f64;
        let _ = writeln!(
            md,
            "- {workload} / `{variant}`: {:.3} – {:.3}",
            e.lower_ns / per,
            e.upper_ns / per
        );
    }

    if !inputs.c_program.is_empty() {
        c_program_section(&mut md, inputs.c_program);
    }

    let _ = writeln!(md, "\n## Linking and inlining throughput on real modules\n");
    if inputs.throughput.is_empty() {
        let _ = writeln!(
            md,
            "Not measured in this run: the script ran without its `throughput` phase \
             (`BENCH_PHASES`). The \
             tables of earlier runs are in this file's history."
        );
    } else {
        throughput_section(&mut md, inputs.throughput);
    }

    let _ = writeln!(md, "\n## Where we lose\n");
    let losses = losses(inputs);
    if losses.is_empty() {
        let _ = writeln!(md, "No comparison in this run went against wasm-prelink.");
    }
    for loss in losses {
        let _ = writeln!(md, "- {loss}");
    }
    let _ = writeln!(md, "\n{}", inputs.analysis.trim());

    let _ = writeln!(md, "\n## Reproducing\n");
    let _ = writeln!(md, "```sh");
    for (_, command) in meta.iter().filter(|(k, _)| k == "command") {
        let _ = writeln!(md, "{command}");
    }
    let _ = writeln!(md, "```");
    md
}

/// The throughput table, one row per module.
fn throughput_section(md: &mut String, throughput: &Throughput) {
    let _ = writeln!(
        md,
        "Each module is linked with a synthetic builtin that implements every import of its \
         most-imported module by forwarding to a `host` import (so every function index \
         moves and every call is rewritten), written by the linker's own throughput \
         benchmark. Times are wall-clock medians of whole processes, peak memory is the \
         median maximum resident set (`/usr/bin/time -f %M`), MB/s is input megabytes \
         (10^6 bytes) per second. *link*: `wasm-prelink link --inline none` vs \
         `wasm-merge`. *link + inline*: `wasm-prelink link --inline auto` vs `wasm-merge` \
         followed by `wasm-opt --inlining` (their times added, the larger peak).\n"
    );
    let _ = writeln!(
        md,
        "| module | MB | link: ours s (MB/s) | wasm-merge s (MB/s) | ours vs wasm-merge | \
         link+inline: ours s (MB/s) | Binaryen s (MB/s) | ours vs Binaryen | peak MB: ours link / inline / wasm-merge / wasm-opt |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for ((bytes, module), tools) in throughput {
        let mb = *bytes as f64 / 1e6;
        let cell = |tool| {
            seconds(tools, tool).map_or("n/a".to_string(), |s| format!("{s:.2} ({:.1})", mb / s))
        };
        let speedup = |ours, theirs| ratio(seconds(tools, theirs), seconds(tools, ours));
        let peak = |tool| {
            tools
                .get(&tool)
                .map_or("n/a".to_string(), |t| format!("{:.0}", t.peak_mb))
        };
        let _ = writeln!(
            md,
            "| {module} | {mb:.1} | {} | {} | {} faster | {} | {} | {} faster | {} / {} / {} / {} |",
            cell(Tool::PrelinkLink),
            cell(Tool::WasmMerge),
            speedup(Tool::PrelinkLink, Tool::WasmMerge),
            cell(Tool::PrelinkInline),
            cell(Tool::WasmOptInlining),
            speedup(Tool::PrelinkInline, Tool::WasmOptInlining),
            peak(Tool::PrelinkLink),
            peak(Tool::PrelinkInline),
            peak(Tool::WasmMerge),
            peak(Tool::WasmOptInlining),
        );
    }
    let _ = writeln!(
        md,
        "\n\"× faster\" is Binaryen's time over ours: below 1× means Binaryen was faster."
    );
}

fn c_program_ns(results: &CProgram, call: &str, kind: c_program::Kind) -> Option<f64> {
    results
        .get(&(call.to_string(), kind.id().to_string()))
        .map(Estimate::ns_per_byte)
}

/// The C-program table: one row per call, ns/byte and the ratio to native
/// for each variant.
fn c_program_section(md: &mut String, results: &CProgram) {
    let _ = writeln!(md, "\n## A C program: `examples/c-host-buf/`\n");
    let _ = writeln!(
        md,
        "The C application of `examples/c-host-buf/` (clang -O2 for wasm32 and natively), \
         unchanged, over a buffer of {} bytes of mixed noise, gradients and runs. `filter-1-1024` \
         is the blur, called through the app's function table for every pixel of \
         1,024-pixel rows. Time per buffer byte; ratios are to `native` in the same run. \
         Every sample's result was checked against native's.\n",
        results
            .values()
            .next()
            .map_or("unknown".to_string(), |e| e.bytes.to_string())
    );
    let _ = writeln!(md, "| variant | what runs |");
    let _ = writeln!(md, "|---|---|");
    for kind in c_program::Kind::ALL {
        let _ = writeln!(md, "| `{}` | {} |", kind.id(), kind.description());
    }
    let _ = write!(md, "\n| call |");
    for kind in c_program::Kind::ALL {
        let _ = write!(md, " `{}` ns/byte | × native |", kind.id());
    }
    let _ = writeln!(
        md,
        "\n|---|{}",
        "---:|---:|".repeat(c_program::Kind::ALL.len())
    );
    for call in c_program::TIMED {
        let id = call.id();
        let base = c_program_ns(results, &id, c_program::Kind::BASELINE);
        let mut row = format!("| `{id}` |");
        for kind in c_program::Kind::ALL {
            let ns = c_program_ns(results, &id, kind);
            let cell = ns.map_or("n/a".to_string(), |ns| format!("{ns:.3}"));
            let _ = write!(row, " {cell} | {} |", ratio(ns, base));
        }
        let _ = writeln!(md, "{row}");
    }
}

/// The comparisons wasm-prelink loses in this run, as sentences: our
/// runtime against the anchor and the native floor is not a loss to
/// report (the floor is a floor), but any variant of ours slower than the
/// anchor is, and so is any module where Binaryen is faster or leaner.
pub fn losses(inputs: &Inputs<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for workload in Workload::ALL {
        let anchor = end_to_end_ns(inputs, workload, Kind::ANCHOR);
        for kind in [
            Kind::WasmtimeLinked,
            Kind::WasmtimePrelinked,
            Kind::WasmtimePrelinkedDescriptor,
            Kind::PrelinkInlined,
            Kind::PrelinkNoInline,
        ] {
            if let (Some(ns), Some(a)) = (end_to_end_ns(inputs, workload, kind), anchor) {
                if ns > a {
                    out.push(format!(
                        "{workload}: `{}` takes {ns:.3} ns/byte, {:.2}× the anchor's {a:.3}.",
                        kind.id(),
                        ns / a
                    ));
                }
            }
        }
    }
    // On the C program the natives are floors; wasmtime with host
    // functions is what an embedder would do without us.
    for call in c_program::TIMED {
        let id = call.id();
        let theirs = c_program_ns(inputs.c_program, &id, c_program::Kind::WasmtimeHost);
        for kind in [
            c_program::Kind::PrelinkC,
            c_program::Kind::PrelinkWat,
            c_program::Kind::WasmtimePrelinked,
            c_program::Kind::WasmtimePrelinkedDescriptor,
        ] {
            if let (Some(ns), Some(t)) = (c_program_ns(inputs.c_program, &id, kind), theirs) {
                if ns > t {
                    out.push(format!(
                        "C program, `{id}`: `{}` takes {ns:.3} ns/byte, {:.2}× \
                         `wasmtime-host`'s {t:.3}.",
                        kind.id(),
                        ns / t
                    ));
                }
            }
        }
    }
    for ((_, module), tools) in inputs.throughput {
        for (ours, theirs, what) in [
            (Tool::PrelinkLink, Tool::WasmMerge, "link"),
            (Tool::PrelinkInline, Tool::WasmOptInlining, "link + inline"),
        ] {
            if let (Some(o), Some(t)) = (seconds(tools, ours), seconds(tools, theirs)) {
                if o > t {
                    out.push(format!(
                        "{module}, {what}: {o:.2} s against Binaryen's {t:.2} s."
                    ));
                }
            }
            if let (Some(o), Some(t)) = (peak(tools, ours), peak(tools, theirs)) {
                if o > t {
                    out.push(format!(
                        "{module}, {what}: peak memory {o:.0} MB against Binaryen's {t:.0} MB."
                    ));
                }
            }
        }
    }
    out
}

/// Draws the chart.
pub fn svg(inputs: &Inputs<'_>, path: &Path) -> Result<()> {
    use plotters::prelude::*;
    let draw = || -> std::result::Result<(), Box<dyn std::error::Error>> {
        let modules: Vec<&(u64, String)> = inputs.throughput.keys().collect();
        let root = SVGBackend::new(path, (1000, 900)).into_drawing_area();
        root.fill(&WHITE)?;
        let (top, bottom) = root.split_vertically(520);
        let (left, right) = top.split_horizontally(500);
        let workload_colors = [RGBColor(0x1f, 0x77, 0xb4), RGBColor(0xff, 0x7f, 0x0e)];
        for (area, (workload, color)) in [left, right]
            .iter()
            .zip(Workload::ALL.into_iter().zip(workload_colors))
        {
            let rows: Vec<(Kind, f64)> = Kind::ALL
                .into_iter()
                .filter_map(|k| Some((k, end_to_end_ns(inputs, workload, k)?)))
                .collect();
            bars(
                area,
                &format!("{workload}: ns per byte (log, lower is better)"),
                &rows
                    .iter()
                    .map(|(k, ns)| (k.id().to_string(), vec![(*ns, color)]))
                    .collect::<Vec<_>>(),
                &[],
            )?;
        }
        let tool_colors = [
            (
                Tool::PrelinkLink,
                "wasm-prelink link",
                RGBColor(0x2c, 0xa0, 0x2c),
            ),
            (
                Tool::PrelinkInline,
                "wasm-prelink link + inline",
                RGBColor(0x98, 0xdf, 0x8a),
            ),
            (Tool::WasmMerge, "wasm-merge", RGBColor(0xd6, 0x27, 0x28)),
            (
                Tool::WasmOptInlining,
                "wasm-merge + wasm-opt --inlining",
                RGBColor(0xff, 0x98, 0x96),
            ),
        ];
        let rows: Vec<(String, Vec<(f64, RGBColor)>)> = modules
            .iter()
            .map(|key| {
                let (bytes, module) = key;
                let tools = &inputs.throughput[*key];
                let mb = *bytes as f64 / 1e6;
                let values = tool_colors
                    .iter()
                    .filter_map(|(tool, _, color)| Some((mb / seconds(tools, *tool)?, *color)))
                    .collect();
                (format!("{module} ({mb:.0} MB)"), values)
            })
            .collect();
        let legend: Vec<(&str, RGBColor)> =
            tool_colors.iter().map(|(_, name, c)| (*name, *c)).collect();
        if rows.is_empty() {
            bottom.draw(&Text::new(
                "linking throughput: not measured in this run",
                (20, 40),
                ("sans-serif", 18),
            ))?;
        } else {
            bars(
                &bottom,
                "linking throughput: input MB/s (log, higher is better)",
                &rows,
                &legend,
            )?;
        }
        root.present()?;
        Ok(())
    };
    draw().map_err(|e| anyhow!("cannot draw `{}`: {e}", path.display()))
}

/// One horizontal bar chart with a logarithmic value axis: a row per label,
/// one bar per value in the row (stacked thinner when several), an optional
/// legend. Labels are drawn beside the plot at the rows' pixel positions,
/// since a category axis with several bars per row is not something
/// plotters' mesh can label.
fn bars<DB: plotters::prelude::DrawingBackend>(
    area: &plotters::prelude::DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    rows: &[(String, Vec<(f64, plotters::prelude::RGBColor)>)],
    legend: &[(&str, plotters::prelude::RGBColor)],
) -> std::result::Result<(), Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    use plotters::prelude::*;
    let values: Vec<f64> = rows
        .iter()
        .flat_map(|(_, v)| v.iter().map(|(x, _)| *x))
        .collect();
    let (lo, hi) = values
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    let (lo, hi) = if values.is_empty() {
        (0.1, 1.0)
    } else {
        (lo / 2.0, hi * 2.0)
    };
    let label_width = 190;
    // Room above the first row for the legend, in rows.
    let legend_rows = if legend.is_empty() { 0.0 } else { 1.0 };
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(label_width)
        .build_cartesian_2d(
            (lo..hi).log_scale(),
            0f64..rows.len().max(1) as f64 + legend_rows,
        )?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(8)
        .x_label_formatter(&|v| format!("{v:.2}"))
        .draw()?;
    for (row, (_, values)) in rows.iter().enumerate() {
        let top = rows.len() as f64 - row as f64 - 0.15;
        let height = 0.7 / values.len().max(1) as f64;
        for (i, (value, color)) in values.iter().enumerate() {
            let y0 = top - height * (i as f64 + 1.0);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(lo, y0), (*value, y0 + height)],
                color.filled(),
            )))?;
            if values.len() == 1 {
                chart.draw_series(std::iter::once(Text::new(
                    format!("{value:.2}"),
                    (*value, y0 + height * 0.75),
                    ("sans-serif", 12),
                )))?;
            }
        }
    }
    for (row, (label, _)) in rows.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(lo, rows.len() as f64 - row as f64 - 0.5));
        let style =
            TextStyle::from(("sans-serif", 13)).pos(plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Right,
                plotters::style::text_anchor::VPos::Center,
            ));
        area.draw(&Text::new(
            label.clone(),
            (x - 6 - area.get_base_pixel().0, y - area.get_base_pixel().1),
            style,
        ))?;
    }
    for (i, (name, color)) in legend.iter().enumerate() {
        let (x, y) = (
            label_width + 30 + (i as i32 % 2) * 300,
            40 + (i as i32 / 2) * 18,
        );
        area.draw(&Rectangle::new(
            [(x, y - 5), (x + 14, y + 7)],
            color.filled(),
        ))?;
        area.draw(&Text::new(
            name.to_string(),
            (x + 20, y - 5),
            ("sans-serif", 13),
        ))?;
    }
    Ok(())
}
