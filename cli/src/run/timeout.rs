//! `--timeout SECONDS`: stopping a call that does not return.
//!
//! The time limit is enforced the way Wasmtime enforces one (epoch
//! interruption): compiled code checks an engine-wide epoch against the
//! store's deadline at every function entry and loop header, and a
//! watchdog thread advances the epoch once the limit has passed; the next
//! check traps, the call returns the trap, and `run` reports the timeout —
//! after writing `--host-buffer-out`, as after any trap. The engine-neutral
//! half lives here: parsing the option, the watchdog, and the message. An
//! engine supplies the two things it alone knows: how to advance its epoch
//! (the watchdog's `expire`; for Wasmtime, `Engine::increment_epoch` with
//! `Config::epoch_interruption` and `Store::set_epoch_deadline(1)`, exactly
//! as for the reference runtime) and which of its errors is the interrupt.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

/// A `--timeout` value: the limit and its text as the user wrote it, for
/// the message.
#[derive(Clone, Debug)]
pub(crate) struct Timeout {
    pub limit: Duration,
    text: String,
}

/// Parses `--timeout`'s value: a positive number of seconds, fractions
/// allowed.
pub(crate) fn parse(text: &str) -> Result<Timeout, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    // Written so that NaN is refused too.
    if seconds.is_nan() || seconds <= 0.0 {
        return Err(format!(
            "the timeout must be more than 0 seconds, not `{text}`"
        ));
    }
    let limit = Duration::try_from_secs_f64(seconds)
        .map_err(|_| format!("`{text}` seconds is more than a timeout can be"))?;
    Ok(Timeout {
        limit,
        text: text.to_owned(),
    })
}

impl Timeout {
    /// The error of a call (or an instantiation, `what`) that the limit
    /// stopped.
    pub fn expired(&self, what: &str) -> anyhow::Error {
        anyhow::anyhow!(
            "{what} did not finish within the timeout of {} seconds (`--timeout {}`)",
            self.text,
            self.text
        )
    }
}

/// A thread that calls `expire` once the limit has passed, unless the
/// watchdog is dropped first (the run finished).
pub(crate) struct Watchdog {
    /// Dropping it wakes the thread early.
    cancel: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    pub fn start(limit: Duration, expire: impl FnOnce() + Send + 'static) -> Watchdog {
        let (cancel, cancelled) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = cancelled.recv_timeout(limit) {
                expire();
            }
        });
        Watchdog {
            cancel: Some(cancel),
            thread: Some(thread),
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        drop(self.cancel.take());
        if let Some(thread) = self.thread.take() {
            // The thread only waits and advances an epoch; it cannot panic
            // in a way worth reporting over the run's own outcome.
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_parse_with_fractions_and_refuse_the_rest() {
        assert_eq!(parse("2").map(|t| t.limit), Ok(Duration::from_secs(2)));
        assert_eq!(
            parse("0.25").map(|t| t.limit),
            Ok(Duration::from_millis(250))
        );
        assert!(parse("0").is_err());
        assert!(parse("-1").is_err());
        assert!(parse("nan").is_err());
        assert!(parse("inf").is_err());
        assert!(parse("1e300").is_err());
        assert!(parse("ten").is_err());
    }

    #[test]
    fn a_dropped_watchdog_never_fires() {
        let (fired, seen) = mpsc::channel();
        drop(Watchdog::start(Duration::from_secs(3600), move || {
            let _ = fired.send(());
        }));
        assert!(seen.try_recv().is_err());
    }

    #[test]
    fn an_expired_watchdog_fires_once() {
        let (fired, seen) = mpsc::channel();
        let watchdog = Watchdog::start(Duration::from_millis(1), move || {
            let _ = fired.send(());
        });
        assert_eq!(seen.recv(), Ok(()));
        drop(watchdog);
        assert!(seen.try_recv().is_err());
    }
}
