//! `bench-report`: writes `BENCHMARKS.md` and the chart from the
//! measurements `scripts/benchmarks.sh` took.
//!
//! A separate binary (rather than more shell) because medians, ratios and
//! the list of losses are easy to get subtly wrong in `awk`, and this way
//! the arithmetic is in one tested place, `benches::report`.

use anyhow::{Context, Result};
use benches::report::{self, Inputs};
use clap::Parser;
use std::path::PathBuf;

/// Writes the benchmark report from criterion's estimates and the
/// script's throughput samples.
#[derive(Parser)]
struct Args {
    /// Criterion's output directory (`$CARGO_TARGET_DIR/criterion`).
    #[arg(long)]
    criterion: PathBuf,
    /// The throughput samples (`module,bytes,tool,run,seconds,max_rss_kib`).
    #[arg(long)]
    samples: PathBuf,
    /// `key=value` lines: machine, tool versions, `command=` lines.
    #[arg(long)]
    meta: PathBuf,
    /// The hand-written analysis included in the report.
    #[arg(long)]
    analysis: PathBuf,
    /// Where to write the markdown.
    #[arg(long)]
    markdown: PathBuf,
    /// Where to write the SVG chart.
    #[arg(long)]
    svg: PathBuf,
    /// The chart's path as the markdown links it.
    #[arg(long, default_value = "docs/benchmarks.svg")]
    chart_link: String,
}

fn read(path: &PathBuf) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read `{}`", path.display()))
}

fn main() -> Result<()> {
    let args = Args::parse();
    let end_to_end = report::read_criterion(&args.criterion)?;
    let c_program = report::read_c_program(&args.criterion)?;
    let samples = report::parse_samples(&read(&args.samples)?)
        .with_context(|| format!("in `{}`", args.samples.display()))?;
    let throughput = report::summarize(&samples);
    let meta = report::parse_meta(&read(&args.meta)?);
    let analysis = read(&args.analysis)?;
    let inputs = Inputs {
        end_to_end: &end_to_end,
        c_program: &c_program,
        throughput: &throughput,
        meta: &meta,
        analysis: &analysis,
        chart_path: &args.chart_link,
    };
    if let Some(dir) = args.svg.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create `{}`", dir.display()))?;
    }
    report::svg(&inputs, &args.svg)?;
    std::fs::write(&args.markdown, report::markdown(&inputs))
        .with_context(|| format!("cannot write `{}`", args.markdown.display()))?;
    Ok(())
}
