//! The workload the project exists for: increment every byte of a
//! 100,000-byte host buffer through the `host-buf` API (`len`, `get`, `set`).
//!
//! Compared in one run:
//! * this runtime on the app linked with the builtin and inlined (stage 1),
//!   intrinsics lowered to native accesses (stage 2);
//! * the same with an interrupt handle out and a watchdog thread waiting
//!   to use it (`Store::interrupt_handle`, what `wasm-prelink run
//!   --timeout` does): nothing in the compiled code, a lock per call;
//! * the same with epoch interruption on (`Config::epoch_interruption`,
//!   Wasmtime's scheme): a load, a compare and a branch at the loop
//!   header;
//! * the same, with lowering off (intrinsics served by host functions);
//! * wasmtime 48 on the unlinked app, `get`/`set`/`len` as host functions
//!   (`func_wrap`);
//! * a native Rust loop with the same bounds checks.
//!
//! Each variant runs batches of calls for a fixed wall-clock budget; the
//! best batch (least disturbed by other load) and the median batch are
//! reported as ns/byte. With
//! `HOST_BUF_DISASM=1` the machine code of the linked `increment-all` is
//! printed too.
//!
//! `cargo bench -p runtime --bench host_buf --features compare-wasmtime`
//!
//! # The hot loop, and what it costs
//!
//! After inlining and lowering one byte of `increment-all` is 7 x86-64
//! instructions: the loop's `i < n` compare and exit branch, the byte
//! load, `lea` to add one, the byte store, the index increment and the jump
//! back. The runtime declares its store data a descriptor (see
//! `wasm_prelink_lowering::descriptor`), so the buffer pointer and length
//! are loaded once, before the loop, and the bounds check of `get` and
//! `set` is the loop's own exit test, which already compared the index with
//! that length. The loop is 28 bytes, and the runtime starts the function
//! where the loop fits one 64-byte line of the decoded-instruction cache
//! (the runtime's `placement`).
//!
//! Measured with this command on a shared 2-core AMD EPYC (Zen 3), load
//! average about 1.5, best batch in ns/byte, each line one run:
//!
//! | code | linked + inlined + lowered | native Rust |
//! |---|---|---|
//! | 25 instructions: two loads of pointer and length, two checks | 1.268 | 0.648 |
//! | 11 instructions: one load of each, one check | 0.618–0.626 | 0.53 |
//! | 7 instructions, loop across a line boundary | 0.618–0.698 | 0.53 |
//! | 7 instructions, loop inside one line | 0.450 | 0.530 |
//!
//! The 11- and 7-instruction loops took the same time wherever the loop
//! straddled a line boundary, which the 7-instruction one did or did not
//! depending on the code before it; placed inside one line it takes 0.450
//! ns/byte at every position tried. The native loop is 7 instructions too,
//! but different ones: its byte store might overwrite the pointer and
//! length as far as LLVM knows, so it reloads both in every iteration,
//! folding the length into the check's compare and the increment into one
//! `incb`.
//! What is left of Cranelift 0.112's code generation is the loop's shape: it
//! does not rotate the loop, so the exit test sits at the top and the back
//! edge is a jump of its own.

use std::hint::black_box;
use std::time::{Duration, Instant};

use wasm_prelink::{InlineMode, Linker as PreLinker};
use wasm_prelink_runtime::{Config, Engine, Linker, Module, Store, StoreData};

const BYTES: usize = 100_000;
const BUDGET: Duration = Duration::from_millis(1500);

fn example(file: &str) -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/host-buf/");
    std::fs::read(format!("{path}{file}")).expect("example file")
}

/// ns/byte of the best and of the median batch.
#[derive(Clone, Copy)]
struct Timing {
    best: f64,
    median: f64,
}

/// Runs `f` (one pass over the buffer) in batches for the budget.
fn measure(mut f: impl FnMut()) -> Timing {
    f();
    let mut batches = Vec::new();
    let started = Instant::now();
    while started.elapsed() < BUDGET {
        let batch = Instant::now();
        const PASSES: u32 = 20;
        for _ in 0..PASSES {
            f();
        }
        batches.push(batch.elapsed().as_nanos() as f64 / f64::from(PASSES) / BYTES as f64);
    }
    batches.sort_by(f64::total_cmp);
    Timing {
        best: batches[0],
        median: batches[batches.len() / 2],
    }
}

/// How a variant can be stopped.
#[derive(Clone, Copy, PartialEq)]
enum Interruption {
    None,
    Handle,
    Epoch,
}

fn ours(lowering: bool, interruption: Interruption) -> Timing {
    let epoch_interruption = interruption == Interruption::Epoch;
    let linked = PreLinker::new()
        .inline(InlineMode::Auto)
        .builtin("host-buf", example("builtin.wat"))
        .expect("builtin loads")
        .link(&example("app.wat"))
        .expect("app links");
    let disasm = std::env::var_os("HOST_BUF_DISASM").is_some();
    let config = Config::new()
        .lowering(lowering)
        .disassembly(disasm)
        .epoch_interruption(epoch_interruption);
    let engine = Engine::new(config).expect("engine");
    let module = Module::new(&engine, &linked.wasm).expect("module compiles");
    if disasm && lowering {
        println!(
            "--- increment-all, linked + inlined + lowered{} ---\n{}",
            if epoch_interruption {
                ", epoch checks"
            } else {
                ""
            },
            module.disassembly("increment-all").unwrap_or("(none)")
        );
    }
    let mut store = Store::new(&engine);
    store.set_host_buffer(vec![0; BYTES]);
    // A deadline that is never reached, as under a generous `--timeout`.
    store.set_epoch_deadline(u64::MAX / 2);
    let instance = Linker::new()
        .instantiate(&mut store, &module)
        .expect("instantiates");
    let func = instance.get_func(&store, "increment-all").expect("export");
    // A watchdog that never fires, as under a generous `--timeout`.
    let (cancel, cancelled) = std::sync::mpsc::channel::<()>();
    let watchdog = (interruption == Interruption::Handle).then(|| {
        let handle = store.interrupt_handle();
        std::thread::spawn(move || {
            if cancelled.recv().is_err() {
                handle.interrupt();
            }
        })
    });
    let timing = measure(|| {
        func.call(&mut store, &[]).expect("runs");
    });
    let _ = cancel.send(());
    if let Some(watchdog) = watchdog {
        watchdog.join().expect("watchdog");
    }
    assert!(store
        .host_buffer()
        .iter()
        .all(|&b| b == store.host_buffer()[0]));
    timing
}

fn wasmtime_host_calls() -> Timing {
    use wasmtime::{Caller, Engine, Linker, Module, Store};
    let engine = Engine::default();
    let module = Module::new(&engine, example("app.wat")).expect("app compiles");
    let mut linker: Linker<Vec<u8>> = Linker::new(&engine);
    linker
        .func_wrap("host-buf", "len", |caller: Caller<'_, Vec<u8>>| {
            caller.data().len() as u64 as i64
        })
        .expect("len")
        .func_wrap(
            "host-buf",
            "get",
            |caller: Caller<'_, Vec<u8>>, index: i64| -> wasmtime::Result<i32> {
                match caller.data().get(index as u64 as usize) {
                    Some(&b) => Ok(i32::from(b)),
                    None => Err(wasmtime::Error::msg("out of bounds")),
                }
            },
        )
        .expect("get")
        .func_wrap(
            "host-buf",
            "set",
            |mut caller: Caller<'_, Vec<u8>>, index: i64, value: i32| -> wasmtime::Result<()> {
                match caller.data_mut().get_mut(index as u64 as usize) {
                    Some(b) => {
                        *b = value as u8;
                        Ok(())
                    }
                    None => Err(wasmtime::Error::msg("out of bounds")),
                }
            },
        )
        .expect("set");
    let mut store = Store::new(&engine, vec![0u8; BYTES]);
    let instance = linker
        .instantiate(&mut store, &module)
        .expect("instantiates");
    let func = instance
        .get_typed_func::<(), ()>(&mut store, "increment-all")
        .expect("export");
    measure(|| func.call(&mut store, ()).expect("runs"))
}

/// The builtin's algorithm in Rust: every `get` and `set` reads the
/// buffer's pointer and length from the store-data descriptor and checks
/// the index, and the byte accesses are raw pointer accesses that may alias
/// the descriptor — as the lowered native accesses may — so the compiler
/// cannot hoist the descriptor reads or drop the checks either.
#[inline(never)]
fn native_increment_all(data: *const StoreData) -> Result<(), u64> {
    // SAFETY: `data` describes a live buffer of `len` bytes; every access is
    // checked against the length just read.
    unsafe {
        let len = (*data).len;
        let mut i = 0;
        while i < len {
            if i >= (*data).len {
                return Err(i);
            }
            let value = *((*data).ptr as *const u8).add(i as usize);
            if i >= (*data).len {
                return Err(i);
            }
            *((*data).ptr as *mut u8).add(i as usize) = value.wrapping_add(1);
            i += 1;
        }
    }
    Ok(())
}

fn native() -> Timing {
    let mut buffer = vec![0u8; BYTES];
    let data = StoreData {
        ptr: buffer.as_mut_ptr() as u64,
        len: buffer.len() as u64,
    };
    let data = black_box(&data as *const StoreData);
    let timing = measure(|| native_increment_all(data).expect("in bounds"));
    assert!(buffer.iter().all(|&b| b == buffer[0]));
    timing
}

fn main() {
    let lowered = ours(true, Interruption::None);
    let handle = ours(true, Interruption::Handle);
    let epoch = ours(true, Interruption::Epoch);
    let unlowered = ours(false, Interruption::None);
    let wasmtime = wasmtime_host_calls();
    let native = native();
    println!(
        "increment every byte of a {BYTES}-byte host buffer (ns/byte: best batch, median batch)"
    );
    for (what, t) in [
        ("wasm-prelink runtime, linked + inlined + lowered:", lowered),
        ("the same, with an interrupt handle (--timeout):  ", handle),
        ("the same, with epoch interruption:               ", epoch),
        (
            "wasm-prelink runtime, linked, lowering off:       ",
            unlowered,
        ),
        (
            "wasmtime 48, host functions (func_wrap):          ",
            wasmtime,
        ),
        ("native Rust loop, same bounds checks:             ", native),
    ] {
        println!("  {what} {:8.3} {:8.3}", t.best, t.median);
    }
    println!(
        "  ratios (best): wasmtime / ours = {:.1}x, ours / native = {:.2}x, interrupt handle / none = {:.3}x, epoch checks / none = {:.3}x",
        wasmtime.best / lowered.best,
        lowered.best / native.best,
        handle.best / lowered.best,
        epoch.best / lowered.best
    );
}
