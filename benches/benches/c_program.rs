//! The C program of `examples/c-host-buf/` over a multi-megabyte buffer:
//! every variant of `benches::c_program` on CRC-32, Adler-32, the
//! histogram, the blur filter and `increment_all`.
//!
//! One criterion group per call (`c-<export>[-<args>]`), one benchmark per
//! variant, all in one process so that ratios to native compare numbers
//! taken under the same conditions. Every variant is timed through
//! [`Runner::time`] with criterion's `iter_custom`: the native drivers time
//! their repetitions inside their own process, the Wasm variants around
//! their calls. Groups use flat sampling, since one wasmtime host-function
//! call over the buffer takes a sizeable fraction of a second. Each sample's
//! result must equal native's, so a variant that skipped work fails here.
//!
//! At the end a table of median ns/byte and ratios to native is printed,
//! with the load average before and after: the numbers `docs/performance.md`
//! quotes until `BENCHMARKS.md` carries them.
//!
//! Environment: `BENCH_C_BYTES` the buffer size (default 8 MiB),
//! `BENCH_SAMPLES` criterion's sample count (default 10, at least 10),
//! `BENCH_SECONDS` the measurement time per benchmark (default 3).

use benches::c_program::{build, input, Call, Example, Kind, Runner, TIMED};
use criterion::{Criterion, SamplingMode, Throughput};
use std::time::Duration;

/// Large enough that caches do not hold the buffer (8 MiB).
const DEFAULT_BYTES: usize = 8 << 20;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_string())
}

/// The per-call times of one benchmark's measured samples, in ns.
type Samples = Vec<f64>;

/// Times every variant on every call; returns, per call and variant, the
/// ns per call of the samples criterion measured (its warm-up excluded).
fn c_program(c: &mut Criterion, example: &Example, bytes: usize) -> Vec<(Call, Vec<Samples>)> {
    let input = input(bytes);
    let sample_size = env_or("BENCH_SAMPLES", 10usize).max(10);
    let mut runners: Vec<(Kind, Box<dyn Runner>)> = Kind::ALL
        .into_iter()
        .map(|kind| {
            let file = example.path(&format!("input-{}.bin", kind.id()));
            match build(kind, example, &input, file) {
                Ok(runner) => (kind, runner),
                Err(e) => panic!("cannot build `{}`: {e:?}", kind.id()),
            }
        })
        .collect();
    let mut results = Vec::new();
    for call in TIMED {
        let mut group = c.benchmark_group(format!("c-{}", call.id()));
        group
            .throughput(Throughput::Bytes(bytes as u64))
            .sampling_mode(SamplingMode::Flat)
            .sample_size(sample_size);
        let mut expected = None;
        let mut per_kind = Vec::new();
        for (kind, runner) in &mut runners {
            let first = runner
                .call(call)
                .unwrap_or_else(|e| panic!("`{}` on `{}`: {e:?}", kind.id(), call.id()));
            let expected = *expected.get_or_insert(first);
            assert_eq!(first, expected, "`{}` on `{}`", kind.id(), call.id());
            let mut samples: Samples = Vec::new();
            group.bench_function(kind.id(), |b| {
                b.iter_custom(|iters| {
                    let (result, elapsed) = runner
                        .time(call, iters)
                        .unwrap_or_else(|e| panic!("`{}` on `{}`: {e:?}", kind.id(), call.id()));
                    assert_eq!(result, expected, "`{}` on `{}`", kind.id(), call.id());
                    samples.push(elapsed.as_nanos() as f64 / iters as f64);
                    elapsed
                })
            });
            // Criterion warms up first and then takes exactly `sample_size`
            // samples; a benchmark filtered out took none.
            let measured = samples.len().saturating_sub(sample_size);
            per_kind.push(samples.split_off(measured));
        }
        group.finish();
        results.push((call, per_kind));
    }
    results
}

fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// The markdown table `docs/performance.md` quotes: ns/byte and × native
/// per call.
fn table(results: &[(Call, Vec<Samples>)], bytes: usize) -> String {
    let mut out = String::from("| call |");
    for kind in Kind::ALL {
        out.push_str(&format!(" `{}` ns/byte |", kind.id()));
    }
    out.push_str("\n|---|");
    out.push_str(&"---:|".repeat(Kind::ALL.len()));
    out.push('\n');
    for (call, per_kind) in results {
        let ns_per_byte: Vec<Option<f64>> = per_kind
            .iter()
            .map(|s| median(s).map(|ns| ns / bytes as f64))
            .collect();
        let baseline = Kind::ALL
            .iter()
            .position(|&k| k == Kind::BASELINE)
            .and_then(|i| ns_per_byte[i]);
        out.push_str(&format!("| `{}` |", call.id()));
        for value in ns_per_byte {
            match (value, baseline) {
                (Some(v), Some(base)) => out.push_str(&format!(" {v:.3} ({:.1}×) |", v / base)),
                (Some(v), None) => out.push_str(&format!(" {v:.3} |")),
                (None, _) => out.push_str(" – |"),
            }
        }
        out.push('\n');
    }
    out
}

fn main() {
    let bytes = env_or("BENCH_C_BYTES", DEFAULT_BYTES);
    let seconds = env_or("BENCH_SECONDS", 3.0);
    let mut criterion = Criterion::default()
        .measurement_time(Duration::from_secs_f64(seconds))
        .warm_up_time(Duration::from_secs(1))
        .configure_from_args();
    let dir = Example::default_dir("bench").unwrap_or_else(|e| panic!("{e:?}"));
    let example = Example::build(dir).unwrap_or_else(|e| panic!("{e:?}"));
    let load_before = load_average();
    let results = c_program(&mut criterion, &example, bytes);
    let load_after = load_average();
    criterion.final_summary();
    println!(
        "\nThe C program over {bytes} bytes: median ns/byte (× `{}`), load average {load_before} → {load_after}\n",
        Kind::BASELINE.id()
    );
    print!("{}", table(&results, bytes));
    println!();
    for kind in Kind::ALL {
        println!("- `{}`: {}", kind.id(), kind.description());
    }
}
