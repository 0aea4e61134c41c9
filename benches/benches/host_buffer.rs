//! The compile-time-builtins benchmark: every variant of
//! `benches::variants` on both workloads over a 100,000-byte host buffer.
//!
//! One criterion group per workload, one benchmark per variant, all in the
//! same process so that ratios to the anchor (wasmtime's compile-time
//! builtins) compare numbers taken under the same conditions. Each
//! iteration is one export call that touches as many bytes as the buffer
//! holds; the report divides criterion's median by the buffer length to get
//! ns/byte. After each benchmark the buffer must hold exactly the bytes the
//! calls made so far imply — a fast variant that skipped work fails here,
//! not silently in a table.
//!
//! Environment: `BENCH_BUFFER_LEN` changes the buffer size (default
//! 100,000), `BENCH_SAMPLES` criterion's sample count (default 30; at least
//! 10), `BENCH_SECONDS` the measurement time per benchmark (default 3).

use benches::variants::{build, Kind};
use benches::workload::{check_buffer, initial_buffer, Workload};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::Duration;

/// The buffer size of wasmtime's benchmark of this feature.
const DEFAULT_BUFFER_LEN: usize = 100_000;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn host_buffer(c: &mut Criterion) {
    let len = env_or("BENCH_BUFFER_LEN", DEFAULT_BUFFER_LEN);
    let initial = initial_buffer(len);
    for workload in Workload::ALL {
        let mut group = c.benchmark_group(workload.name());
        group.throughput(Throughput::Bytes(len as u64));
        for kind in Kind::ALL {
            let mut variant = match build(kind, &initial) {
                Ok(variant) => variant,
                Err(e) => panic!("cannot build `{}`: {e:?}", kind.id()),
            };
            let mut calls = 0u64;
            group.bench_function(kind.id(), |b| {
                b.iter(|| {
                    calls += 1;
                    if let Err(e) = variant.run(workload) {
                        panic!("`{}` failed on `{workload}`: {e:?}", kind.id());
                    }
                })
            });
            if let Err(e) = check_buffer(kind.id(), workload, calls, variant.buffer()) {
                panic!("wrong result: {e:?}");
            }
        }
        group.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(env_or("BENCH_SAMPLES", 30usize).max(10))
        .measurement_time(Duration::from_secs_f64(env_or("BENCH_SECONDS", 3.0)))
        .warm_up_time(Duration::from_secs(1))
}

criterion_group! {
    name = benches;
    config = config();
    targets = host_buffer
}
criterion_main!(benches);
