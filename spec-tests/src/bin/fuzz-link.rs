//! Long differential fuzzing runs of the linker.
//!
//! `cargo run -p spec-tests --release --bin fuzz-link -- --cases N --seed S
//! [--threads T] [--dump DIR]` checks the cases of seeds `S..S+N` (see
//! `spec_tests::fuzz`) and writes every failing case as WAT under `DIR`
//! (default `fuzz-failures`). A seed always generates the same case, so a
//! failure is replayed with `--seed SEED --cases 1`. Exits non-zero when any
//! case failed.
//!
//! `--bytes` runs the byte-level robustness fuzzer instead
//! (`spec_tests::bytes_fuzz`): mutated modules and random bytes linked as
//! app and as builtin in every inline mode, where only a valid module or an
//! error may come out. `--seconds N` stops either mode after N seconds
//! (the inputs then checked are counted and printed), for long runs such as
//! `fuzz-link --bytes --cases 100000000 --seconds 3600`; a broken input is
//! written under the dump directory as `bytes-SEED.wasm`.

use spec_tests::{bytes_fuzz, fuzz};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

struct Options {
    cases: u64,
    seed: u64,
    threads: usize,
    dump: PathBuf,
    bytes: bool,
    seconds: Option<u64>,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        cases: 1_000,
        seed: 0,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        dump: PathBuf::from("fuzz-failures"),
        bytes: false,
        seconds: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("`{flag}` needs a value"));
        match flag.as_str() {
            "--cases" => options.cases = number(&flag, &value()?)?,
            "--seed" => options.seed = number(&flag, &value()?)?,
            "--threads" => options.threads = number(&flag, &value()?)? as usize,
            "--dump" => options.dump = PathBuf::from(value()?),
            "--bytes" => options.bytes = true,
            "--seconds" => options.seconds = Some(number(&flag, &value()?)?),
            "-h" | "--help" => {
                return Err(
                    "usage: fuzz-link [--bytes] [--cases N] [--seed S] [--seconds N] [--threads T] [--dump DIR]".into(),
                )
            }
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    Ok(options)
}

fn number(flag: &str, value: &str) -> Result<u64, String> {
    value
        .parse()
        .map_err(|_| format!("`{flag}` expects a number, got `{value}`"))
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let deadline = options
        .seconds
        .map(|s| Instant::now() + std::time::Duration::from_secs(s));
    let keep_going = move || deadline.is_none_or(|d| Instant::now() < d);
    if options.bytes {
        return bytes(&options, &keep_going);
    }
    let engine = match fuzz::engine() {
        Ok(engine) => engine,
        Err(e) => {
            eprintln!("cannot create the engine: {e}");
            return ExitCode::FAILURE;
        }
    };
    let started = Instant::now();
    let report = |seed: u64, message: &str, dumped: Option<&std::path::Path>| {
        let place = dumped.map_or("(could not dump)".to_string(), |p| p.display().to_string());
        eprintln!("FAILED seed {seed}, dumped to {place}\n{message}\n");
    };
    // In chunks, so a time limit is checked between them.
    let chunk = 64 * options.threads.max(1) as u64;
    let mut totals = fuzz::Totals::default();
    let mut done = 0;
    while done < options.cases && keep_going() {
        let count = chunk.min(options.cases - done);
        let batch = fuzz::run_batch(
            &engine,
            &fuzz::MODES,
            options.seed.wrapping_add(done),
            count,
            options.threads,
            &options.dump,
            &report,
        );
        totals.cases += batch.cases;
        totals.passed += batch.passed;
        totals.refused += batch.refused;
        totals.refused_app_called += batch.refused_app_called;
        totals.failed += batch.failed;
        totals.inconclusive += batch.inconclusive;
        done += count;
    }
    println!(
        "{} cases from seed {} in {:.1}s: {} passed, {} refused at the trust boundary \
         ({} of them with the app calling an intrinsic unlinked), {} failed, {} inconclusive",
        totals.cases,
        options.seed,
        started.elapsed().as_secs_f64(),
        totals.passed,
        totals.refused,
        totals.refused_app_called,
        totals.failed,
        totals.inconclusive
    );
    if totals.failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The byte-level mode.
fn bytes(options: &Options, keep_going: &(dyn Fn() -> bool + Sync)) -> ExitCode {
    let started = Instant::now();
    let report = |input: &bytes_fuzz::Input, message: &str| {
        let place = bytes_fuzz::dump(input, message, &options.dump)
            .map_or("(could not dump)".to_string(), |p| p.display().to_string());
        eprintln!("BROKEN seed {}, dumped to {place}\n{message}\n", input.seed);
    };
    let totals = bytes_fuzz::run(
        options.seed,
        options.cases,
        options.threads,
        keep_going,
        &report,
    );
    println!(
        "{} byte-level inputs from seed {} in {:.1}s: {} links produced a valid module, {} were rejected with an error, {} inputs broke the linker",
        totals.inputs,
        options.seed,
        started.elapsed().as_secs_f64(),
        totals.linked,
        totals.rejected,
        totals.broken
    );
    if totals.broken > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
