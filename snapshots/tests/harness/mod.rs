//! What the suites over case folders share: one test per case, run by
//! `libtest-mimic` on the standard harness's terms.
//!
//! Each suite (`cases.rs`, `errors.rs`, `runtime.rs`, `component.rs`) is a
//! test target without the default harness. It lists the folders under
//! `tests/cases/` or `tests/errors/` and makes each one a test named after
//! the folder, so the usual arguments work: `-- host-buf` runs the cases
//! whose name contains `host-buf`, `--exact` only that one, `--list` lists
//! them, `--test-threads` sets how many run at once, and a failure is
//! reported under the case's name with its message.
//!
//! A case's snapshots keep the names and metadata the suites always gave
//! them (`cases__merged-none@host-buf.snap`, `input_file:` the case folder):
//! each test binds insta's settings to its folder the way a glob over the
//! folders did, and the assertions stay in the suite's own file so the
//! `source:` of a snapshot is unchanged.

use libtest_mimic::{Arguments, Conclusion, Failed, Trial};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// The case folders under `tests/<folder>/`, in name order.
///
/// Panics when there are none: a suite that finds no cases must not pass.
pub fn case_dirs(folder: &str) -> Vec<PathBuf> {
    let base = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(folder);
    // Canonical, as insta's glob made it, so `input_file:` stays the same.
    let base = base.canonicalize().unwrap_or(base);
    let entries = std::fs::read_dir(&base)
        .unwrap_or_else(|e| panic!("cannot list `{}`: {e}", base.display()));
    let mut dirs: Vec<PathBuf> = entries
        .map(|entry| entry.unwrap_or_else(|e| panic!("cannot list `{}`: {e}", base.display())))
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
        .map(|entry| entry.path())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no cases under `{}`", base.display());
    dirs
}

/// The test name of a case: its folder's name.
pub fn case_name(dir: &Path) -> String {
    dir.file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

/// The test of the case in `dir`: `check` runs with insta's snapshot
/// suffix and input file set to the case, and a returned problem or a
/// panic fails the test under the case's name.
pub fn trial<F>(dir: PathBuf, check: F) -> Trial
where
    F: FnOnce(&Path) -> Result<(), String> + Send + 'static,
{
    Trial::test(case_name(&dir), move || {
        let mut settings = insta::Settings::clone_current();
        settings.set_input_file(&dir);
        settings.set_snapshot_suffix(case_name(&dir));
        settings.bind(|| check(&dir)).map_err(Failed::from)
    })
}

/// Runs one snapshot assertion; a mismatch is returned as a problem
/// instead of ending the case, so every snapshot of the case is compared
/// (and every pending `.snap.new` written) in one run, as before. insta
/// prints the difference itself.
// Each suite compiles its own copy of this module; the suites that take no
// snapshots (`runtime.rs`, `component.rs`) leave this unused.
#[allow(dead_code)]
pub fn snapshot(name: &str, assert: impl FnOnce()) -> Option<String> {
    catch_unwind(AssertUnwindSafe(assert))
        .err()
        .map(|_| format!("snapshot `{name}` does not match (the difference is printed above)"))
}

/// Parses the command line the way libtest does and runs `trials`.
pub fn run(trials: Vec<Trial>) -> (Arguments, Conclusion) {
    let args = Arguments::from_args();
    let conclusion = libtest_mimic::run(&args, trials);
    (args, conclusion)
}
