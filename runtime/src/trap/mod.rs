//! Turning hardware faults and trap instructions in compiled code into
//! [`Trap`] errors.
//!
//! Compiled code traps in three ways: a load or store touching a guard page
//! (`SIGSEGV`/`SIGBUS`), a trap instruction (`ud2` on x86-64, `udf` on
//! AArch64: `SIGILL`), and on x86-64 a hardware division fault (`SIGFPE`).
//! Every call from the host into Wasm goes through [`catch`], which arms a
//! `sigsetjmp` point (in `helpers.c`) and publishes, in a thread-local, the
//! code ranges that may trap. The signal handler looks the faulting program
//! counter up in Cranelift's trap records of those ranges; on a hit it
//! records the trap code and `siglongjmp`s back, so [`catch`] returns the
//! trap. A `SIGSEGV`/`SIGBUS` at any other pc of compiled Wasm code is a
//! native intrinsic's load or store gone wild (a bug in trusted builtin
//! code): it unwinds the same way and becomes a
//! [`NativeAccessFault`](Trap::NativeAccessFault) naming the address. A
//! fault anywhere else is not ours: the handler passes it to the
//! handler installed before it (another engine's, say), or, when there was
//! none, restores the default and returns, so the fault recurs and crashes
//! as it would without this runtime.
//!
//! Only compiled frames are skipped by the jump: host functions report
//! errors by return value (the [`HOST_TRAP`](crate::trampoline::HOST_TRAP)
//! code), and libcalls by status, so no Rust frame is ever unwound.
//!
//! The thread-local is the one piece of global state: a signal handler has
//! no other way to find the interrupted call. It is a stack (each entry
//! points to the previous one), so host functions may call back into Wasm.
//!
//! The same handler serves interrupts ([`crate::interrupt::handle`]): the
//! interrupt signal unwinds in the same way when it lands in compiled Wasm
//! code while the call's store has a request pending, and is otherwise left
//! for the runtime's next check. While a host function runs, its call is
//! marked (see [`HostCall`]), so the handler does not even look at the code
//! registry, which such a function may be changing.
//!
//! Stack overflow is not a fault here: compiled functions compare the stack
//! pointer against a limit in their prologue ([`stack_limit`]) and trap
//! with an ordinary trap instruction while there is still stack left.

use std::cell::Cell;
use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

use cranelift_codegen::ir::TrapCode;

use crate::error::Trap;

extern "C" {
    fn wasm_prelink_catch(
        body: unsafe extern "C" fn(*mut c_void, *mut c_void),
        arg: *mut c_void,
    ) -> i32;
    fn wasm_prelink_unwind(buf: *mut c_void) -> !;
}

/// Something that can say which trap, if any, a program counter stands for.
pub(crate) trait TrapLookup {
    /// The trap code of the instruction at `pc`, if it is a trap site of
    /// code this lookup knows.
    fn lookup(&self, pc: usize) -> Option<TrapCode>;

    /// Whether `pc` lies in the compiled code of a Wasm function this
    /// lookup knows (trap site or not).
    fn is_wasm_code(&self, pc: usize) -> bool;
}

/// The state of one host-to-Wasm call, published to the signal handler.
struct CallState<'a> {
    jmp_buf: Cell<*mut c_void>,
    code: &'a dyn TrapLookup,
    trap: Cell<Option<TrapCode>>,
    /// The address of a native access fault, when that is what ended the
    /// call.
    fault: Cell<Option<u64>>,
    host_error: Cell<Option<Trap>>,
    /// The interrupt request flag of the call's store, when it has handed
    /// out an interrupt handle.
    interrupt: Option<&'a AtomicBool>,
    /// How many host functions of this call are running (nested ones
    /// included): the interrupt signal must not unwind through them.
    in_host: Cell<u32>,
    previous: *const CallState<'static>,
}

thread_local! {
    static CURRENT: Cell<*const CallState<'static>> = const { Cell::new(std::ptr::null()) };
    static STACK_LIMIT: Cell<usize> = const { Cell::new(0) };
}

/// Records the error of a host function called from Wasm, which then traps
/// with `HOST_TRAP`; [`catch`] returns it.
pub(crate) fn set_host_error(trap: Trap) {
    let state = CURRENT.with(Cell::get);
    // SAFETY: a non-null `CURRENT` points to the `CallState` of a `catch`
    // frame still on this thread's stack.
    if let Some(state) = unsafe { state.as_ref() } {
        state.host_error.set(Some(trap));
    }
}

/// A host function of the current call is running, until this is dropped.
///
/// Dropping it answers whether an interrupt was requested meanwhile (and
/// takes the request): the host adapter then traps instead of returning to
/// Wasm that might never reach another check.
pub(crate) struct HostCall {
    state: *const CallState<'static>,
}

impl HostCall {
    /// Marks the innermost call of this thread as running host code.
    pub(crate) fn enter() -> HostCall {
        let state = CURRENT.with(Cell::get);
        // SAFETY: a non-null `CURRENT` is a live `CallState` (see `catch`),
        // and it stays live for the host function, which runs inside it.
        if let Some(state) = unsafe { state.as_ref() } {
            state.in_host.set(state.in_host.get() + 1);
        }
        HostCall { state }
    }

    /// Leaves host code; true when an interrupt was requested, which this
    /// consumes.
    pub(crate) fn leave(self) -> bool {
        // SAFETY: as in `enter`: the call outlives its host functions.
        let Some(state) = (unsafe { self.state.as_ref() }) else {
            return false;
        };
        state.in_host.set(state.in_host.get() - 1);
        state
            .interrupt
            .is_some_and(|flag| flag.swap(false, Ordering::SeqCst))
    }
}

/// Runs `f` (which enters compiled code) and returns the trap it raised.
///
/// `code` must know every code range `f` may run; `interrupt` is the flag
/// of the store's interrupt handles, if it has any.
pub(crate) fn catch<F: FnOnce()>(
    code: &dyn TrapLookup,
    interrupt: Option<&AtomicBool>,
    f: F,
) -> Result<(), Trap> {
    install_handlers();
    let state = CallState {
        jmp_buf: Cell::new(std::ptr::null_mut()),
        code,
        trap: Cell::new(None),
        fault: Cell::new(None),
        host_error: Cell::new(None),
        interrupt,
        in_host: Cell::new(0),
        previous: CURRENT.with(Cell::get),
    };
    let mut payload = (Some(f), &state as *const CallState<'_>);

    unsafe extern "C" fn body<F: FnOnce()>(arg: *mut c_void, buf: *mut c_void) {
        // SAFETY: `arg` is the `payload` of the `catch` frame below us.
        let payload = unsafe { &mut *(arg as *mut (Option<F>, *const CallState<'_>)) };
        // SAFETY: the state outlives this call; see `catch`.
        unsafe { (*payload.1).jmp_buf.set(buf) };
        if let Some(f) = payload.0.take() {
            f();
        }
    }

    // The handler reads `state` only while it is `CURRENT`, i.e. during
    // the call below, so erasing its lifetime is sound.
    CURRENT.with(|c| c.set((&state as *const CallState<'_>).cast()));
    // SAFETY: `body::<F>` matches the C prototype and `payload` lives
    // across the call. If a trap jumps back, `f`'s frame (compiled code and
    // the trampoline) is abandoned; it owns nothing that needs dropping.
    let jumped =
        unsafe { wasm_prelink_catch(body::<F>, (&mut payload as *mut (Option<F>, _)).cast()) };
    CURRENT.with(|c| c.set(state.previous));
    if jumped == 0 {
        return Ok(());
    }
    if let Some(address) = state.fault.get() {
        return Err(Trap::NativeAccessFault { address });
    }
    Err(match state.trap.get() {
        Some(crate::trampoline::HOST_TRAP) => state
            .host_error
            .take()
            .unwrap_or_else(|| Trap::Host("host function failed".to_owned())),
        Some(code) => Trap::from_code(code),
        None => Trap::Host("unknown trap".to_owned()),
    })
}

/// The stack limit for Wasm on this thread: the lowest address of the
/// thread's stack plus [`STACK_RESERVE`], computed once per thread.
pub(crate) fn stack_limit() -> usize {
    STACK_LIMIT.with(|limit| {
        if limit.get() == 0 {
            limit.set(thread_stack_low() + STACK_RESERVE);
        }
        limit.get()
    })
}

/// Stack kept free below the Wasm limit for host functions, libcalls and
/// the signal handler that run when Wasm is at its deepest.
const STACK_RESERVE: usize = 256 * 1024;

fn thread_stack_low() -> usize {
    // SAFETY: `attr` is initialized by `pthread_getattr_np` before use and
    // destroyed after; the out-pointers are valid locals.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return fallback_stack_low();
        }
        let mut addr: *mut c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let rc = libc::pthread_attr_getstack(&attr, &mut addr, &mut size);
        libc::pthread_attr_destroy(&mut attr);
        if rc != 0 || addr.is_null() {
            return fallback_stack_low();
        }
        addr as usize
    }
}

/// Without thread attributes, assume 1 MiB below the current frame.
fn fallback_stack_low() -> usize {
    let here = 0u8;
    (&here as *const u8 as usize).saturating_sub(1 << 20)
}

const SIGNALS: [libc::c_int; 5] = [
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGILL,
    libc::SIGFPE,
    libc::SIGTRAP,
];

/// The dispositions found before ours, restored for faults that are not
/// Wasm traps. Written once, before the handlers are installed.
static mut PREVIOUS: [std::mem::MaybeUninit<libc::sigaction>; 5] =
    [const { std::mem::MaybeUninit::uninit() }; 5];
/// The disposition of the interrupt signal found before ours.
static mut PREVIOUS_INTERRUPT: std::mem::MaybeUninit<libc::sigaction> =
    std::mem::MaybeUninit::uninit();
static INSTALL: Once = Once::new();

/// Installs the handlers of traps and of interrupts, once per process.
pub(crate) fn install_handlers() {
    INSTALL.call_once(|| {
        // SAFETY: as below, for the interrupt signal. `SA_RESTART` makes
        // a system call of a host function that the signal interrupts
        // resume instead of failing with `EINTR`; `SA_NODEFER` keeps the
        // signal unblocked after the handler jumps away (the jump does not
        // restore the mask).
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = interrupt_handler as *const () as usize;
            action.sa_flags =
                libc::SA_SIGINFO | libc::SA_NODEFER | libc::SA_ONSTACK | libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            let previous = std::ptr::addr_of_mut!(PREVIOUS_INTERRUPT);
            libc::sigaction(
                crate::interrupt::handle::signal(),
                &action,
                (*previous).as_mut_ptr(),
            );
        }
        for (i, &signal) in SIGNALS.iter().enumerate() {
            // SAFETY: `PREVIOUS` is written only here, inside `Once`, before
            // the handler that reads it is installed.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = handler as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER | libc::SA_ONSTACK;
                libc::sigemptyset(&mut action.sa_mask);
                let previous = std::ptr::addr_of_mut!(PREVIOUS[i]);
                libc::sigaction(signal, &action, (*previous).as_mut_ptr());
            }
        }
    });
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
unsafe fn program_counter(context: *mut c_void) -> usize {
    // SAFETY: the kernel passes a `ucontext_t` to `SA_SIGINFO` handlers.
    unsafe {
        (*(context as *const libc::ucontext_t)).uc_mcontext.gregs[libc::REG_RIP as usize] as usize
    }
}

#[cfg(all(target_os = "linux", target_arch = "aarch64"))]
unsafe fn program_counter(context: *mut c_void) -> usize {
    // SAFETY: the kernel passes a `ucontext_t` to `SA_SIGINFO` handlers.
    unsafe { (*(context as *const libc::ucontext_t)).uc_mcontext.pc as usize }
}

extern "C" fn handler(signal: libc::c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
    let state = CURRENT.with(Cell::get);
    // SAFETY: a non-null `CURRENT` is a live `CallState` (see `catch`); the
    // context is the kernel's.
    unsafe {
        if let Some(state) = state.as_ref() {
            let pc = program_counter(context);
            if let Some(code) = state.code.lookup(pc) {
                state.trap.set(Some(code));
                wasm_prelink_unwind(state.jmp_buf.get());
            }
            if is_access_fault(signal) && state.code.is_wasm_code(pc) {
                state.fault.set(Some((*info).si_addr() as u64));
                wasm_prelink_unwind(state.jmp_buf.get());
            }
        }
        if let Some(i) = SIGNALS.iter().position(|&s| s == signal) {
            forward(
                signal,
                &*(*std::ptr::addr_of!(PREVIOUS[i])).as_ptr(),
                info,
                context,
            );
        }
    }
}

/// The handler of the interrupt signal (see [`crate::interrupt::handle`]).
extern "C" fn interrupt_handler(
    signal: libc::c_int,
    info: *mut libc::siginfo_t,
    context: *mut c_void,
) {
    let state = CURRENT.with(Cell::get);
    // SAFETY: as in `handler`. The code registry is only consulted while no
    // host function runs, so nothing is changing it.
    unsafe {
        if let Some(state) = state.as_ref() {
            if let Some(flag) = state.interrupt {
                if state.in_host.get() == 0
                    && flag.load(Ordering::SeqCst)
                    && state.code.is_wasm_code(program_counter(context))
                {
                    flag.store(false, Ordering::SeqCst);
                    state.trap.set(Some(TrapCode::Interrupt));
                    wasm_prelink_unwind(state.jmp_buf.get());
                }
                // Ours, to be taken at the runtime's next check.
                return;
            }
        }
        // Not a call that can be interrupted: the signal may be another
        // library's. A default or ignored disposition is not put back, as
        // it is for faults: a late interrupt signal must never kill the
        // process.
        let previous = &*(*std::ptr::addr_of!(PREVIOUS_INTERRUPT)).as_ptr();
        let action = previous.sa_sigaction;
        if action != libc::SIG_DFL && action != libc::SIG_IGN {
            forward(signal, previous, info, context);
        }
    }
}

/// Whether `signal` reports a bad memory access.
///
/// Such a fault at a pc inside compiled Wasm code that is *not* a trap site
/// can only come from a load or store the runtime did not bounds-check or
/// guard: a native intrinsic lowered into the function (every linear-memory
/// access is a trap site, so its guard-page hits were handled above). The
/// faulting code is Wasm, so unwinding to the call entry skips only JIT
/// frames, exactly as for a trap; the fault is reported as
/// [`Trap::NativeAccessFault`] instead of killing the process. A fault in
/// host code (an intrinsic's host implementation, say) is not ours to
/// judge and still goes to the previous handler.
fn is_access_fault(signal: libc::c_int) -> bool {
    signal == libc::SIGSEGV || signal == libc::SIGBUS
}

/// Hands a signal that is not a Wasm trap to the handler installed before
/// ours, as if this runtime were not there.
///
/// Another engine in the process (wasmtime, say) or the Rust runtime may
/// have installed one, and its faults keep arriving here: calling it keeps
/// both working, whereas putting its disposition back would leave our own
/// traps to a handler that does not know them. Only a default or ignored
/// disposition is put back, so the instruction faults again when we return
/// and the process dies the way it would have without this runtime.
///
/// # Safety
///
/// Called from the signal handler with the kernel's arguments; `previous`
/// is the disposition `install_handlers` saved for `signal`.
unsafe fn forward(
    signal: libc::c_int,
    previous: &libc::sigaction,
    info: *mut libc::siginfo_t,
    context: *mut c_void,
) {
    let action = previous.sa_sigaction;
    if action == libc::SIG_DFL || action == libc::SIG_IGN {
        // SAFETY: restoring a disposition the kernel gave us.
        unsafe { libc::sigaction(signal, previous, std::ptr::null_mut()) };
    } else if previous.sa_flags & libc::SA_SIGINFO != 0 {
        // SAFETY: with `SA_SIGINFO` the saved address is a three-argument
        // handler, which we call as the kernel would.
        let handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut c_void) =
            unsafe { std::mem::transmute(action) };
        handler(signal, info, context);
    } else {
        // SAFETY: without `SA_SIGINFO` it is a one-argument handler.
        let handler: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(action) };
        handler(signal);
    }
}
