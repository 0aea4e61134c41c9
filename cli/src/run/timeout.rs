//! `--timeout SECONDS`: stopping a call that does not return.
//!
//! The engine-neutral half lives here: parsing the option, the watchdog,
//! and the message. A watchdog thread waits for the limit, then calls the
//! engine's `expire` every [`REPEAT`] until the run is over; the call
//! traps, `run` reports the timeout — after writing `--host-buffer-out`,
//! as after any trap. Each engine supplies `expire` and says which of its
//! errors is the interrupt:
//!
//! * the reference runtime: `InterruptHandle::interrupt`, a signal that
//!   stops compiled code wherever it is, so compiled code carries no
//!   checks and the timeout costs a hot loop nothing. The repetition is
//!   for the rare signal that lands in the runtime's own code, which only
//!   defers the request (see the runtime's `interrupt::handle`).
//! * Wasmtime: epoch interruption (`Config::epoch_interruption`,
//!   `Store::set_epoch_deadline(1)`, `Engine::increment_epoch`), Wasmtime's
//!   cheapest means, whose checks at loop headers cost a tight loop time.
//!   Advancing the epoch more than once is harmless.

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

/// How often the watchdog repeats `expire` once the limit has passed.
pub(crate) const REPEAT: Duration = Duration::from_millis(10);

/// A thread that calls `expire` once the limit has passed and again every
/// [`REPEAT`] until the watchdog is dropped (the run finished).
pub(crate) struct Watchdog {
    /// Dropping it wakes the thread early.
    cancel: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    pub fn start(limit: Duration, expire: impl Fn() + Send + 'static) -> Watchdog {
        let (cancel, cancelled) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let mut wait = limit;
            while let Err(mpsc::RecvTimeoutError::Timeout) = cancelled.recv_timeout(wait) {
                expire();
                wait = REPEAT;
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
    fn an_expired_watchdog_repeats_until_dropped() {
        let (fired, seen) = mpsc::channel();
        let watchdog = Watchdog::start(Duration::from_millis(1), move || {
            let _ = fired.send(());
        });
        assert_eq!(seen.recv(), Ok(()));
        assert_eq!(seen.recv(), Ok(()), "the watchdog fired only once");
        drop(watchdog);
        // Whatever fired before the drop is drained; nothing comes after.
        while seen.try_recv().is_ok() {}
        std::thread::sleep(REPEAT * 3);
        assert!(seen.try_recv().is_err());
    }
}
