//! Counting, printing and judging the results of a suite run.
//!
//! Every directive of every file is a check in every column. The baseline
//! column is the untransformed module in wasmtime; a check that fails there
//! says something about wasmtime or the test, not the linker, so in the
//! other columns it is counted apart as a *baseline failure* and neither
//! passes nor fails.
//!
//! What remains must pass unless the known-failures list names it. The list
//! is a plain file, one entry per line: a column, a file with an optional
//! `:LINE`, and the reason. An entry without a line covers every failure of
//! that column in that file. The list is judged both ways: a failure it does
//! not name fails the run, and so does an entry that no longer matches any
//! failure — the list can only shrink.

use crate::runner::Check;
use crate::transform::Transform;
use std::fmt::Write as _;

/// The checks of one file in every column, in [`Transform::ALL`] order.
#[derive(Debug)]
pub struct FileResult {
    /// The file's path in the suite.
    pub path: String,
    /// Per column, one check per directive.
    pub columns: Vec<(Transform, Vec<Check>)>,
}

/// Counts of one column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Checks counted (baseline failures excluded).
    pub run: usize,
    /// Checks that passed.
    pub passed: usize,
    /// Checks that failed.
    pub failed: usize,
    /// Checks not counted because the baseline failed them.
    pub baseline_failed: usize,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.run += other.run;
        self.passed += other.passed;
        self.failed += other.failed;
        self.baseline_failed += other.baseline_failed;
    }
}

/// One failed check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Its column.
    pub transform: Transform,
    /// Its file.
    pub path: String,
    /// Its line (0 for the whole file).
    pub line: usize,
    /// Its directive.
    pub kind: &'static str,
    /// What went wrong.
    pub message: String,
}

/// Counts of a file per column, and its failures.
pub fn tally(file: &FileResult) -> (Vec<(Transform, Counts)>, Vec<Failure>) {
    let baseline: Option<&Vec<Check>> = file
        .columns
        .iter()
        .find(|(t, _)| *t == Transform::Baseline)
        .map(|(_, checks)| checks);
    let mut counts = Vec::new();
    let mut failures = Vec::new();
    for (transform, checks) in &file.columns {
        let mut c = Counts::default();
        for (i, check) in checks.iter().enumerate() {
            let baseline_failed = *transform != Transform::Baseline
                && baseline
                    .and_then(|b| b.get(i))
                    .is_some_and(|b| b.result.is_err() && b.line == check.line);
            if baseline_failed {
                c.baseline_failed += 1;
                continue;
            }
            c.run += 1;
            match &check.result {
                Ok(()) => c.passed += 1,
                Err(message) => {
                    c.failed += 1;
                    failures.push(Failure {
                        transform: *transform,
                        path: file.path.clone(),
                        line: check.line,
                        kind: check.kind,
                        message: message.clone(),
                    });
                }
            }
        }
        counts.push((*transform, c));
    }
    (counts, failures)
}

/// The per-file table and the per-column summary, as printed by the test.
pub fn table(files: &[FileResult]) -> (String, Vec<(Transform, Counts)>) {
    let mut out = String::new();
    let mut totals: Vec<(Transform, Counts)> = Transform::ALL
        .iter()
        .map(|t| (*t, Counts::default()))
        .collect();
    let _ = write!(
        out,
        "{:<58}",
        "file (passed/run, F failed, B baseline failures)"
    );
    for t in Transform::ALL {
        let _ = write!(out, " {:>18}", t.name());
    }
    out.push('\n');
    for file in files {
        let (counts, _) = tally(file);
        let _ = write!(out, "{:<58}", file.path);
        for t in Transform::ALL {
            let c = counts
                .iter()
                .find(|(ct, _)| *ct == t)
                .map(|(_, c)| *c)
                .unwrap_or_default();
            let _ = write!(out, " {:>18}", cell(c));
            if let Some((_, total)) = totals.iter_mut().find(|(tt, _)| *tt == t) {
                total.add(c);
            }
        }
        out.push('\n');
    }
    let _ = write!(out, "{:<58}", "TOTAL");
    for (_, c) in &totals {
        let _ = write!(out, " {:>18}", cell(*c));
    }
    out.push('\n');
    (out, totals)
}

fn cell(c: Counts) -> String {
    let mut s = format!("{}/{}", c.passed, c.run);
    if c.failed > 0 {
        let _ = write!(s, " F{}", c.failed);
    }
    if c.baseline_failed > 0 {
        let _ = write!(s, " B{}", c.baseline_failed);
    }
    s
}

/// One entry of the known-failures list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownFailure {
    /// The column.
    pub transform: Transform,
    /// The file.
    pub path: String,
    /// The line, or every failure of the file.
    pub line: Option<usize>,
    /// Why it fails.
    pub reason: String,
}

impl KnownFailure {
    fn covers(&self, failure: &Failure) -> bool {
        self.transform == failure.transform
            && self.path == failure.path
            && self.line.is_none_or(|l| l == failure.line)
    }

    fn key(&self) -> String {
        match self.line {
            Some(line) => format!("{} {}:{line}", self.transform.name(), self.path),
            None => format!("{} {}", self.transform.name(), self.path),
        }
    }
}

/// Parses the known-failures list: `COLUMN PATH[:LINE] REASON`, `#`
/// comments and blank lines ignored. An entry without a reason is an error.
pub fn parse_known(text: &str) -> Result<Vec<KnownFailure>, String> {
    let mut entries = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.splitn(3, char::is_whitespace);
        let (Some(column), Some(place), Some(reason)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(format!(
                "line {}: expected `COLUMN PATH[:LINE] REASON`",
                n + 1
            ));
        };
        let transform = Transform::from_name(column)
            .ok_or_else(|| format!("line {}: unknown column `{column}`", n + 1))?;
        let (path, at) = match place.rsplit_once(':') {
            Some((path, at)) => {
                let at = at
                    .parse()
                    .map_err(|_| format!("line {}: bad line number in `{place}`", n + 1))?;
                (path, Some(at))
            }
            None => (place, None),
        };
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(format!("line {}: an entry needs a reason", n + 1));
        }
        entries.push(KnownFailure {
            transform,
            path: path.to_string(),
            line: at,
            reason: reason.to_string(),
        });
    }
    Ok(entries)
}

/// Failures the list does not name, and entries that match no failure.
pub struct Verdict<'a> {
    /// Failures not in the list.
    pub unexpected: Vec<&'a Failure>,
    /// Entries whose failures are gone.
    pub stale: Vec<String>,
}

/// Judges `failures` against the list. Entries for files that did not run
/// (a filtered run) are not judged.
pub fn judge<'a>(failures: &'a [Failure], known: &[KnownFailure], ran: &[String]) -> Verdict<'a> {
    let unexpected = failures
        .iter()
        .filter(|f| !known.iter().any(|k| k.covers(f)))
        .collect();
    let stale = known
        .iter()
        .filter(|k| ran.contains(&k.path) && !failures.iter().any(|f| k.covers(f)))
        .map(|k| format!("{}  ({})", k.key(), k.reason))
        .collect();
    Verdict { unexpected, stale }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(line: usize) -> Failure {
        Failure {
            transform: Transform::Identity,
            path: "wasm-latest/a.wast".into(),
            line,
            kind: "assert_return",
            message: "x".into(),
        }
    }

    #[test]
    fn known_failures_are_judged_both_ways() {
        let known = parse_known(
            "# comment\n\
             identity wasm-latest/a.wast:3 reason one\n\
             identity wasm-latest/a.wast:9 now passes\n",
        )
        .expect("list parses");
        let failures = [failure(3), failure(5)];
        let ran = ["wasm-latest/a.wast".to_string()];
        let verdict = judge(&failures, &known, &ran);
        assert_eq!(verdict.unexpected, [&failures[1]]);
        assert_eq!(verdict.stale.len(), 1);
        assert!(verdict.stale[0].contains(":9"));
    }

    #[test]
    fn an_entry_needs_a_reason_and_a_known_column() {
        assert!(parse_known("identity wasm-latest/a.wast:3\n").is_err());
        assert!(parse_known("nonsense wasm-latest/a.wast:3 why\n").is_err());
        let whole = parse_known("as-builtin wasm-latest/a.wast every failure\n").expect("parses");
        assert_eq!(whole[0].line, None);
    }

    #[test]
    fn baseline_failures_are_not_counted_against_the_linker() {
        let check = |line, ok: bool| Check {
            line,
            kind: "assert_return",
            result: if ok { Ok(()) } else { Err("no".into()) },
        };
        let file = FileResult {
            path: "p".into(),
            columns: vec![
                (Transform::Baseline, vec![check(1, true), check(2, false)]),
                (Transform::Identity, vec![check(1, false), check(2, false)]),
            ],
        };
        let (counts, failures) = tally(&file);
        assert_eq!(counts[1].1.baseline_failed, 1);
        assert_eq!(counts[1].1.failed, 1);
        assert_eq!(
            failures.len(),
            2,
            "one baseline failure, one identity failure"
        );
    }
}
