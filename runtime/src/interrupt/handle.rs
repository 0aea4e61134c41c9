//! Interrupting a call from another thread by a signal, at no cost to
//! compiled code.
//!
//! An [`InterruptHandle`] holds a request flag and the thread, if any, that
//! is running Wasm of its store. [`InterruptHandle::interrupt`] sets the
//! flag and sends that thread the [`signal`] with `pthread_kill`. The trap
//! machinery's handler (`crate::trap`) looks at where the signal landed:
//!
//! * in compiled Wasm code: it clears the flag and unwinds to the call's
//!   entry exactly as a trap does, so the call returns
//!   [`Trap::Interrupt`](crate::Trap::Interrupt). Only compiled frames are
//!   skipped, and they hold no locks and own nothing; every Wasm
//!   instruction's effects are either complete or absent at a machine
//!   instruction boundary, so what the call wrote before it stopped stays
//!   written, as after any trap.
//! * anywhere else (a host function, a libcall, the runtime's own code
//!   around entering and leaving Wasm): it does nothing, because unwinding
//!   there would skip Rust frames. The request stays pending and is taken
//!   at the next point the runtime controls: when a host function returns
//!   to Wasm, the call traps there; when a call into Wasm begins, it traps
//!   before running anything.
//!
//! What is left is a window of a few instructions of runtime code between
//! those checks and compiled code, or a libcall that returns into a loop.
//! A signal landing there is not lost but deferred to the next check,
//! which a loop that makes no further calls never reaches; an embedder
//! that needs a bound therefore repeats `interrupt` until the call has
//! returned, as `wasm-prelink run --timeout` does every few milliseconds.
//! A request is consumed by the trap it causes; one made while no call
//! runs stops the next call at its start.
//!
//! The thread is registered under a mutex that `interrupt` holds while it
//! signals, so a signal is only ever sent to a thread inside a call of the
//! store (never to one that has exited). A signal can still arrive just
//! after the call returned; the handler then finds no pending request and
//! ignores it.
//!
//! Compared with [epochs](super::epoch), the price moves from every loop
//! iteration to each call into Wasm (a mutex lock and unlock, paid only by
//! stores that have handed out a handle) and to the interrupt itself.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// The signal an interrupt is delivered with: the first real-time signal
/// the C library leaves to applications, which neither the Rust runtime
/// nor Wasmtime use.
pub(crate) fn signal() -> libc::c_int {
    libc::SIGRTMIN()
}

/// Stops the Wasm call running in a [`Store`](crate::Store) from any thread
/// (see [`Store::interrupt_handle`](crate::Store::interrupt_handle)).
///
/// Cloning gives another handle to the same store.
#[derive(Clone, Debug)]
pub struct InterruptHandle {
    shared: Arc<Shared>,
}

/// What a store and its handles share.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// Set by `interrupt`, cleared by the trap that honours it.
    requested: AtomicBool,
    /// The thread running a call of the store, while one runs.
    running: Mutex<Option<libc::pthread_t>>,
}

impl InterruptHandle {
    /// Asks the store's running call to stop with
    /// [`Trap::Interrupt`](crate::Trap::Interrupt), or, when no call runs,
    /// the next call to stop before it starts.
    ///
    /// Wasm code stops at once. A host function is not stopped; the call
    /// traps when it returns. In the rare case the signal lands in runtime
    /// code (see the module documentation) the request waits for the next
    /// host-function return or call; call `interrupt` again, say every few
    /// milliseconds until the call has returned, when a bound matters.
    pub fn interrupt(&self) {
        self.shared.requested.store(true, Ordering::SeqCst);
        let running = lock(&self.shared.running);
        if let Some(thread) = *running {
            // SAFETY: `thread` is registered only while it runs a call of
            // the store, and it cannot deregister (so cannot exit) while
            // we hold the lock; the trap machinery installed the handler
            // before the handle existed.
            unsafe { libc::pthread_kill(thread, signal()) };
        }
    }
}

impl Shared {
    /// A new handle to this state.
    pub(crate) fn handle(self: &Arc<Self>) -> InterruptHandle {
        crate::trap::install_handlers();
        InterruptHandle {
            shared: Arc::clone(self),
        }
    }

    /// The flag the trap handler reads and clears.
    pub(crate) fn flag(&self) -> &AtomicBool {
        &self.requested
    }

    /// Takes a pending request, if any.
    pub(crate) fn take_request(&self) -> bool {
        self.requested.swap(false, Ordering::SeqCst)
    }

    /// Registers this thread as running a call until the guard is dropped.
    /// Host functions may call back into Wasm, so the previous registration
    /// (this same thread) is restored afterwards rather than cleared.
    pub(crate) fn enter(&self) -> Running<'_> {
        // SAFETY: `pthread_self` has no preconditions.
        let this = unsafe { libc::pthread_self() };
        let previous = lock(&self.running).replace(this);
        Running {
            shared: self,
            previous,
        }
    }
}

/// A call in progress (see [`Shared::enter`]).
pub(crate) struct Running<'a> {
    shared: &'a Shared,
    previous: Option<libc::pthread_t>,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        *lock(&self.shared.running) = self.previous;
    }
}

/// Locks `running`; a panic elsewhere while it was held (there is no code
/// that could panic there) leaves a value that is still right.
fn lock(running: &Mutex<Option<libc::pthread_t>>) -> MutexGuard<'_, Option<libc::pthread_t>> {
    running
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
