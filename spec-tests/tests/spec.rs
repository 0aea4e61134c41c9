//! Runs the whole spec testsuite in every column and judges it against the
//! known-failures list.
//!
//! One test, not one per file, because the verdict is about the whole list:
//! an entry that no longer fails anywhere must fail the run. The files are
//! spread over worker threads inside the test. `SPEC_TESTS_FILTER=text`
//! runs only the files whose path contains `text` (entries for other files
//! are then not judged); `SPEC_TESTS_THREADS=n` sets the number of workers.

use spec_tests::report::{self, Failure};
use spec_tests::{engine, run_suite, suite};

const KNOWN_FAILURES: &str = include_str!("../known-failures.txt");

/// Failures printed in full; the rest are counted.
const SHOWN_FAILURES: usize = 60;

#[test]
fn spec_testsuite_through_the_linker() {
    let known =
        report::parse_known(KNOWN_FAILURES).unwrap_or_else(|e| panic!("known-failures.txt: {e}"));
    let filter = std::env::var("SPEC_TESTS_FILTER").unwrap_or_default();
    let files: Vec<_> = suite::files()
        .into_iter()
        .filter(|f| f.path.contains(&filter))
        .collect();
    assert!(!files.is_empty(), "no file matches `{filter}`");
    let threads = std::env::var("SPEC_TESTS_THREADS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));

    let engine = engine().unwrap_or_else(|e| panic!("engine: {e}"));
    let started = std::time::Instant::now();
    let results = run_suite(&engine, &files, threads);
    let elapsed = started.elapsed();

    let (table, totals) = report::table(&results);
    println!("{table}");
    let failures: Vec<Failure> = results.iter().flat_map(|f| report::tally(f).1).collect();
    let ran: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
    let verdict = report::judge(&failures, &known, &ran);

    println!(
        "{} files in {:.1}s on {threads} threads; known failures listed: {}",
        files.len(),
        elapsed.as_secs_f64(),
        known.len()
    );
    for (t, c) in &totals {
        println!(
            "{:<12} run {:>7}  passed {:>7}  failed {:>5}  not counted (baseline failures) {:>5}",
            t.name(),
            c.run,
            c.passed,
            c.failed,
            c.baseline_failed
        );
    }
    for f in verdict.unexpected.iter().take(SHOWN_FAILURES) {
        println!(
            "UNEXPECTED {} {}:{} {}: {}",
            f.transform.name(),
            f.path,
            f.line,
            f.kind,
            f.message
        );
    }
    if verdict.unexpected.len() > SHOWN_FAILURES {
        println!("... and {} more", verdict.unexpected.len() - SHOWN_FAILURES);
    }
    for s in &verdict.stale {
        println!("NOW PASSING (remove from known-failures.txt): {s}");
    }
    assert!(
        verdict.unexpected.is_empty() && verdict.stale.is_empty(),
        "{} unexpected failures, {} known failures now passing",
        verdict.unexpected.len(),
        verdict.stale.len()
    );
}
