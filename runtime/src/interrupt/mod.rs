//! Stopping Wasm that does not return.
//!
//! Two mechanisms, for two kinds of embedder:
//!
//! * [`epoch`]: Wasmtime's epoch interruption, with the same API
//!   ([`Config::epoch_interruption`](crate::Config::epoch_interruption),
//!   [`Engine::increment_epoch`](crate::Engine::increment_epoch),
//!   [`Store::set_epoch_deadline`](crate::Store::set_epoch_deadline)), so
//!   code written for one runtime drives the other. Compiled code checks
//!   the epoch at every function entry and loop header; a tight loop pays
//!   for that check in every iteration.
//! * [`handle`]: an [`InterruptHandle`](crate::InterruptHandle) that
//!   stops the call running in its store from another thread by a signal.
//!   Compiled code contains nothing for it, so it costs the hot loop
//!   nothing; it is what `wasm-prelink run --timeout` uses.
//!
//! Both end the call with [`Trap::Interrupt`](crate::Trap::Interrupt).

pub(crate) mod epoch;
pub(crate) mod handle;

pub(crate) use epoch::EpochCheck;
