//! Functions: calling Wasm from the host, and host functions Wasm calls.
//!
//! Both directions go through the per-signature trampolines of
//! [`crate::trampoline`] and the value array of [`ValRaw`] slots, so a
//! host function is just another function reference: a [`VMFuncRef`] whose
//! code is the host adapter and whose "vmctx" is the [`HostFuncCtx`] below.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::error::{Error, Trap};
use crate::store::Store;
use crate::values::{FuncType, Val, ValRaw};
use crate::vm::VMFuncRef;

/// The Rust side of a host function: arguments in, results or a trap out.
pub type HostFn = Arc<dyn Fn(&[Val]) -> Result<Vec<Val>, Trap>>;

/// A host function that also gets the store it runs in, so it can read the
/// caller's exported memory or call back into Wasm, as hosts that
/// introspect their caller do. The store is the one whose call is running;
/// it is handed out only for the duration of the host call.
pub type HostFnWithStore = Arc<dyn Fn(&mut Store, &[Val]) -> Result<Vec<Val>, Trap>>;

/// A function in a store: a Wasm export or a host function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Func(pub(crate) usize);

/// What the store keeps per function handle.
pub(crate) struct FuncData {
    pub funcref: *const VMFuncRef,
    pub ty: FuncType,
}

/// The context a host adapter passes to [`host_call`].
pub(crate) struct HostFuncCtx {
    pub ty: FuncType,
    pub func: HostImpl,
}

/// What a host function runs.
pub(crate) enum HostImpl {
    /// An embedder's function, called with typed values.
    Closure(HostFn),
    /// An embedder's function that also uses the store it runs in.
    WithStore(HostFnWithStore),
    /// An intrinsic's host implementation, called with the raw slots: the
    /// slow path of every intrinsic call when lowering is off, so it
    /// allocates nothing.
    Intrinsic {
        intrinsic: wasm_prelink_lowering::Intrinsic,
        store_data: u64,
    },
}

/// Runs an intrinsic's host implementation on the raw value slots.
fn intrinsic_call(
    intrinsic: wasm_prelink_lowering::Intrinsic,
    store_data: u64,
    values: &mut [ValRaw],
) -> u32 {
    let mut args = [0u64; 4];
    let count = intrinsic.params().len().min(args.len());
    for ((arg, slot), ty) in args.iter_mut().zip(values.iter()).zip(intrinsic.params()) {
        // Compiled code writes only an `i32`'s four bytes of its slot.
        *arg = match ty {
            wasm_prelink_lowering::ValType::I32 => u64::from(slot.0 as u32),
            wasm_prelink_lowering::ValType::I64 => slot.0 as u64,
        };
    }
    // SAFETY: intrinsics are imported only by trusted builtins (the linker
    // rejects them in apps), which vouch for the addresses they pass, as
    // they do for the lowered code.
    match unsafe { wasm_prelink_lowering::host::call(intrinsic, store_data, &args[..count]) } {
        Ok(result) => {
            if let (Some(value), Some(slot)) = (result, values.first_mut()) {
                *slot = ValRaw(u128::from(value));
            }
            0
        }
        Err(wasm_prelink_lowering::host::CallError::Trap(_)) => {
            crate::trap::set_host_error(Trap::MemoryOutOfBounds);
            1
        }
        Err(other) => {
            crate::trap::set_host_error(Trap::Host(other.to_string()));
            1
        }
    }
}

/// Called by host adapters: decodes the arguments, runs the host function
/// and encodes its results. Returns nonzero, with the trap recorded for
/// [`crate::trap::catch`], when the host function fails, returns values
/// of the wrong types, or panics (a panic must not unwind through compiled
/// frames).
pub(crate) extern "C" fn host_call(ctx: *const HostFuncCtx, values: *mut ValRaw) -> u32 {
    // SAFETY: adapters pass the `HostFuncCtx` their funcref was created
    // with, which the store keeps alive, and a value array with room for
    // `max(params, results)` slots.
    let ctx = unsafe { &*ctx };
    let slots = ctx.ty.params.len().max(ctx.ty.results.len());
    // SAFETY: see above.
    let values = unsafe { std::slice::from_raw_parts_mut(values, slots.max(1)) };
    if let HostImpl::Intrinsic {
        intrinsic,
        store_data,
    } = &ctx.func
    {
        return intrinsic_call(*intrinsic, *store_data, values);
    }
    let args: Vec<Val> = ctx
        .ty
        .params
        .iter()
        .zip(values.iter())
        .map(|(&ty, &raw)| Val::from_raw(raw, ty))
        .collect();
    let host = crate::trap::HostCall::enter();
    let outcome = catch_unwind(AssertUnwindSafe(|| match &ctx.func {
        HostImpl::Closure(func) => func(&args),
        HostImpl::WithStore(func) => crate::store::with_active_store(|store| func(store, &args)),
        HostImpl::Intrinsic { .. } => unreachable!("intrinsics returned above"),
    }))
    .unwrap_or_else(|_| Err(Trap::Host("host function panicked".to_owned())));
    // An interrupt that arrived while the host function ran stops the call
    // here: the Wasm it would return to may never reach another check.
    let outcome = if host.leave() {
        Err(Trap::Interrupt)
    } else {
        outcome
    };
    match outcome {
        Ok(results)
            if results.len() == ctx.ty.results.len()
                && results
                    .iter()
                    .zip(&ctx.ty.results)
                    .all(|(v, t)| v.ty() == *t) =>
        {
            for (slot, value) in values.iter_mut().zip(results) {
                *slot = value.to_raw();
            }
            0
        }
        Ok(results) => {
            let found: Vec<String> = results.iter().map(|v| v.ty().to_string()).collect();
            crate::trap::set_host_error(Trap::Host(format!(
                "host function of type {} returned ({})",
                ctx.ty,
                found.join(" ")
            )));
            1
        }
        Err(trap) => {
            crate::trap::set_host_error(trap);
            1
        }
    }
}

impl Func {
    /// A host function of type `ty`.
    pub fn new(
        store: &mut Store,
        ty: FuncType,
        func: impl Fn(&[Val]) -> Result<Vec<Val>, Trap> + 'static,
    ) -> Result<Func, Error> {
        store.new_host_func(ty, HostImpl::Closure(Arc::new(func)))
    }

    /// A host function of type `ty` that also gets the store it runs in
    /// (see [`HostFnWithStore`]).
    pub fn new_with_store(
        store: &mut Store,
        ty: FuncType,
        func: impl Fn(&mut Store, &[Val]) -> Result<Vec<Val>, Trap> + 'static,
    ) -> Result<Func, Error> {
        store.new_host_func(ty, HostImpl::WithStore(Arc::new(func)))
    }

    /// This function's type.
    pub fn ty<'s>(&self, store: &'s Store) -> &'s FuncType {
        &store.inner.funcs[self.0].ty
    }

    /// Calls the function. Arguments must match its type; a trap is
    /// returned as [`Error::Trap`].
    pub fn call(&self, store: &mut Store, args: &[Val]) -> Result<Vec<Val>, Error> {
        store.call_func(*self, args)
    }
}
