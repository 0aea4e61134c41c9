//! A seeded smoke run of the differential fuzzer, so every `cargo test`
//! links a few hundred generated builtin/app pairs in every inline mode.
//! Long runs use the `fuzz-link` binary; a failure here is dumped the same
//! way (as WAT, under the target directory's `tmp/fuzz-failures`) and is
//! replayed with `fuzz-link --seed SEED --cases 1`.
//!
//! Seeds known to fail are listed in `fuzz-known-failures.txt` with the
//! linker bug each one shows; like the spec list it is judged both ways, so
//! a fixed bug must take its seeds off the list.
//!
//! Every case is linked under every inline mode ([`fuzz::MODES`]): merging
//! alone and with the inliner and dead-code removal.

use spec_tests::fuzz;
use std::sync::Mutex;

const KNOWN_FAILURES: &str = include_str!("../fuzz-known-failures.txt");

/// Cases per run: enough to reach every kind of import and export of the
/// interface many times over, few enough for CI.
const CASES: u64 = 300;

/// Fixed, so that CI runs the same cases every time.
const FIRST_SEED: u64 = 0x11_2024;

/// At most this share of cases may be inconclusive; more would mean the
/// smoke test no longer tests much.
const MAX_INCONCLUSIVE_PERCENT: usize = 10;

#[test]
fn linking_never_changes_behaviour_of_generated_programs() {
    let known = fuzz::parse_known_seeds(KNOWN_FAILURES)
        .unwrap_or_else(|e| panic!("fuzz-known-failures.txt: {e}"));
    let engine = fuzz::engine().unwrap_or_else(|e| panic!("engine: {e}"));
    let dump_dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
    let failures = Mutex::new(Vec::new());
    let record = |seed: u64, message: &str, dumped: Option<&std::path::Path>| {
        let place = dumped.map_or("(not dumped)".to_string(), |p| p.display().to_string());
        let first_line = message.lines().next().unwrap_or_default().to_string();
        failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((seed, format!("{place}: {first_line}")));
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let totals = fuzz::run_batch(
        &engine,
        &fuzz::MODES,
        FIRST_SEED,
        CASES,
        threads,
        &dump_dir,
        &record,
    );
    println!(
        "fuzz smoke: {} cases, {} passed, {} refused at the trust boundary ({} of them with \
         the app calling an intrinsic unlinked), {} failed ({} of them known), {} inconclusive",
        totals.cases,
        totals.passed,
        totals.refused,
        totals.refused_app_called,
        totals.failed,
        known.len(),
        totals.inconclusive
    );
    let mut failures = failures.into_inner().unwrap_or_else(|p| p.into_inner());
    failures.sort();
    let unexpected: Vec<_> = failures
        .iter()
        .filter(|(seed, _)| !known.iter().any(|(k, _)| k == seed))
        .collect();
    let stale: Vec<_> = known
        .iter()
        .filter(|(seed, _)| !failures.iter().any(|(f, _)| f == seed))
        .collect();
    for (seed, message) in &unexpected {
        println!("UNEXPECTED seed {seed}: {message}");
    }
    for (seed, reason) in &stale {
        println!("NOW PASSING (remove from fuzz-known-failures.txt): {seed} {reason}");
    }
    assert_eq!(totals.cases as u64, CASES);
    assert!(
        unexpected.is_empty() && stale.is_empty(),
        "{} unexpected failures, {} known failures now passing",
        unexpected.len(),
        stale.len()
    );
    assert!(
        totals.inconclusive * 100 <= totals.cases * MAX_INCONCLUSIVE_PERCENT,
        "{} of {} cases were inconclusive",
        totals.inconclusive,
        totals.cases
    );
}
