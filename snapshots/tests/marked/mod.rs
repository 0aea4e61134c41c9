//! The count the marker suites (`runtime.rs`, `component.rs`) print after
//! their cases: how many linked runs agreed with the reference, and how
//! many cases a `*-unsupported.txt` covers.
//!
//! Each case is its own test on the harness's threads, so the outcomes are
//! gathered in a shared [`Tally`] and read once every case has run.

use snapshots::marker::{Outcome, MODES};
use std::sync::Mutex;

/// What the cases that ran did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    /// Cases that ran.
    pub cases: usize,
    /// Cases that agreed in every inline mode.
    pub agreed: usize,
    /// Cases with a marker.
    pub unsupported: usize,
    /// Linked runs (one case in one mode) that agreed.
    pub runs: usize,
    /// Cases that failed.
    pub failed: usize,
}

/// The outcomes of the cases, recorded from any thread.
#[derive(Default)]
pub struct Tally(Mutex<Counts>);

impl Tally {
    /// Counts one case's `outcome` and hands on whether it failed.
    pub fn record(&self, outcome: Result<Outcome, String>) -> Result<(), String> {
        // Nothing below panics, so a poisoned lock still holds whole counts.
        let mut counts = self.0.lock().unwrap_or_else(|p| p.into_inner());
        counts.cases += 1;
        match outcome {
            Ok(Outcome::Agreed) => {
                counts.agreed += 1;
                counts.runs += MODES.len();
                Ok(())
            }
            Ok(Outcome::Unsupported { agreed }) => {
                counts.unsupported += 1;
                counts.runs += agreed;
                Ok(())
            }
            Err(problem) => {
                counts.failed += 1;
                Err(problem)
            }
        }
    }

    /// The counts so far.
    pub fn counts(&self) -> Counts {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
