//! Long differential fuzzing runs of the linker.
//!
//! `cargo run -p spec-tests --release --bin fuzz-link -- --cases N --seed S
//! [--threads T] [--dump DIR]` checks the cases of seeds `S..S+N` (see
//! `spec_tests::fuzz`) and writes every failing case as WAT under `DIR`
//! (default `fuzz-failures`). A seed always generates the same case, so a
//! failure is replayed with `--seed SEED --cases 1`. Exits non-zero when any
//! case failed.

use spec_tests::fuzz;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

struct Options {
    cases: u64,
    seed: u64,
    threads: usize,
    dump: PathBuf,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        cases: 1_000,
        seed: 0,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        dump: PathBuf::from("fuzz-failures"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("`{flag}` needs a value"));
        match flag.as_str() {
            "--cases" => options.cases = number(&flag, &value()?)?,
            "--seed" => options.seed = number(&flag, &value()?)?,
            "--threads" => options.threads = number(&flag, &value()?)? as usize,
            "--dump" => options.dump = PathBuf::from(value()?),
            "-h" | "--help" => {
                return Err(
                    "usage: fuzz-link [--cases N] [--seed S] [--threads T] [--dump DIR]".into(),
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
    let totals = fuzz::run_batch(
        &engine,
        &fuzz::MODES,
        options.seed,
        options.cases,
        options.threads,
        &options.dump,
        &report,
    );
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
