//! Runs the spec testsuite in every column, one test per `.wast` file, and
//! judges each file against its entries of the known-failures list.
//!
//! A file's test fails on a failure the list does not name and on an entry
//! for that file that no longer matches any failure, so the list can only
//! shrink; one more test, `known-failures.txt`, fails on an entry naming a
//! file the suite does not have. The tests are named by the file's path in
//! the suite (`wasm-latest/address.wast`, `proposals/gc/array.wast`), so the
//! standard filter picks files: `cargo test --workspace --locked --test spec
//! -- proposals/gc/` runs the GC proposal's files, `--test-threads` sets
//! how many run at once. After the files, the per-file table and the
//! per-column totals of what ran are printed.

use libtest_mimic::{Arguments, Failed, Trial};
use spec_tests::report::{self, FileResult, KnownFailure};
use spec_tests::suite::{self, WastFile};
use spec_tests::{engine, run_file};
use std::sync::{Arc, Mutex};
use std::time::Instant;

const KNOWN_FAILURES: &str = include_str!("../known-failures.txt");

/// Failures printed in full per file; the rest are counted.
const SHOWN_FAILURES: usize = 60;

/// Stack of the thread a file runs on. wasmtime runs wasm on the calling
/// thread's stack and stops it at its own limit (512 KiB by default), so
/// the host stack must comfortably exceed that for `assert_exhaustion` to
/// trap instead of crashing the process; the harness's threads have the
/// default 2 MiB.
const FILE_STACK: usize = 16 << 20;

fn main() {
    let args = Arguments::from_args();
    let known =
        report::parse_known(KNOWN_FAILURES).unwrap_or_else(|e| panic!("known-failures.txt: {e}"));
    let known = Arc::new(known);
    let engine = engine().unwrap_or_else(|e| panic!("engine: {e}"));
    let files = suite::files();
    assert!(!files.is_empty(), "the suite has no files");
    let results = Arc::new(Mutex::new(Vec::new()));

    let mut trials = vec![list_trial(&known, &files)];
    trials.extend(files.into_iter().map(|file| {
        let (engine, known, results) = (engine.clone(), known.clone(), results.clone());
        Trial::test(file.path.clone(), move || {
            let result = run_on_large_stack(engine, file)?;
            let verdict = judge(&result, &known);
            results
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(result);
            verdict
        })
    }));

    let started = Instant::now();
    let conclusion = libtest_mimic::run(&args, trials);
    if !args.list {
        let mut results = results.lock().unwrap_or_else(|p| p.into_inner());
        results.sort_by(|a, b| a.path.cmp(&b.path));
        summarize(&results, &known, started);
    }
    conclusion.exit();
}

/// The test that every entry of the list names a file of the suite: an
/// entry for a renamed or removed file would otherwise never be judged.
fn list_trial(known: &[KnownFailure], files: &[WastFile]) -> Trial {
    let orphans: Vec<String> = known
        .iter()
        .filter(|k| !files.iter().any(|f| f.path == k.path))
        .map(|k| format!("{} {}", k.transform.name(), k.path))
        .collect();
    Trial::test("known-failures.txt", move || {
        if orphans.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "entries for files the suite does not have:\n{}",
                orphans.join("\n")
            )
            .into())
        }
    })
}

/// Runs `file` in every column on a thread of [`FILE_STACK`].
fn run_on_large_stack(engine: wasmtime::Engine, file: WastFile) -> Result<FileResult, Failed> {
    std::thread::Builder::new()
        .name(file.path.clone())
        .stack_size(FILE_STACK)
        .spawn(move || run_file(&engine, &file))
        .map_err(|e| format!("cannot start a thread: {e}"))?
        .join()
        .map_err(|_| "the run panicked (its message is printed above)".into())
}

/// Judges one file's failures against the list's entries for that file.
fn judge(result: &FileResult, known: &[KnownFailure]) -> Result<(), Failed> {
    let failures = report::tally(result).1;
    let verdict = report::judge(&failures, known, std::slice::from_ref(&result.path));
    if verdict.unexpected.is_empty() && verdict.stale.is_empty() {
        return Ok(());
    }
    let mut message = format!(
        "{} unexpected failures, {} known failures now passing",
        verdict.unexpected.len(),
        verdict.stale.len()
    );
    for f in verdict.unexpected.iter().take(SHOWN_FAILURES) {
        message += &format!(
            "\nUNEXPECTED {} {}:{} {}: {}",
            f.transform.name(),
            f.path,
            f.line,
            f.kind,
            f.message
        );
    }
    if verdict.unexpected.len() > SHOWN_FAILURES {
        message += &format!(
            "\n... and {} more",
            verdict.unexpected.len() - SHOWN_FAILURES
        );
    }
    for s in &verdict.stale {
        message += &format!("\nNOW PASSING (remove from known-failures.txt): {s}");
    }
    Err(message.into())
}

/// Prints the table of the files that ran and the totals per column.
fn summarize(results: &[FileResult], known: &[KnownFailure], started: Instant) {
    if results.is_empty() {
        return;
    }
    let (table, totals) = report::table(results);
    println!("{table}");
    println!(
        "{} files in {:.1}s; known failures listed: {}",
        results.len(),
        started.elapsed().as_secs_f64(),
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
}
