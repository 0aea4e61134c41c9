//! Interrupt handles: a call stopped from another thread by a signal, with
//! nothing compiled into the code (the engines here have epoch
//! interruption off).
//!
//! Each endless loop is stopped by one `interrupt`, sent once the call is
//! surely running, so the tests show that the signal alone stops compiled
//! code; the paths that defer a request (a host function running, no call
//! running) are tested on their own.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use wasm_prelink_runtime::{
    Config, Engine, Error, Extern, Func, FuncType, Instance, InterruptHandle, Linker, Module,
    Store, Trap, Val,
};

fn engine() -> Engine {
    Engine::new(Config::new()).expect("engine")
}

fn instantiate(store: &mut Store, linker: &Linker, wat: &str) -> Instance {
    let bytes = wat::parse_str(wat).expect("test module parses");
    let module = Module::new(store.engine(), &bytes).expect("compiles");
    linker.instantiate(store, &module).expect("instantiates")
}

/// Calls `export` while another thread interrupts the store once, after
/// `delay`; returns the call's result.
fn call_interrupted_once(
    store: &mut Store,
    instance: &Instance,
    export: &str,
    args: &[Val],
    delay: Duration,
) -> Result<Vec<Val>, Error> {
    let handle = store.interrupt_handle();
    let interrupter = std::thread::spawn(move || {
        std::thread::sleep(delay);
        handle.interrupt();
    });
    let result = instance.call(store, export, args);
    interrupter.join().expect("interrupting thread");
    result
}

fn assert_interrupted(result: Result<Vec<Val>, Error>) {
    match result {
        Err(Error::Trap(Trap::Interrupt)) => {}
        other => panic!("expected an interrupt, got {other:?}"),
    }
}

/// Runs an endless `export` of `wat` and interrupts it once.
fn spin_and_interrupt(wat: &str, export: &str, args: &[Val]) {
    let mut store = Store::new(&engine());
    let instance = instantiate(&mut store, &Linker::new(), wat);
    assert_interrupted(call_interrupted_once(
        &mut store,
        &instance,
        export,
        args,
        Duration::from_millis(50),
    ));
}

#[test]
fn one_interrupt_stops_an_empty_endless_loop() {
    spin_and_interrupt(
        r#"(module (func (export "spin") (loop $l (br $l))))"#,
        "spin",
        &[],
    );
}

#[test]
fn one_interrupt_stops_a_loop_that_only_reads_memory() {
    spin_and_interrupt(
        r#"(module (memory 1)
          (func (export "spin") (result i32) (local $sum i32)
            (loop $l
              (local.set $sum (i32.add (local.get $sum) (i32.load (i32.const 16))))
              (br_if $l (i32.eqz (i32.load (i32.const 0)))))
            (local.get $sum)))"#,
        "spin",
        &[],
    );
}

#[test]
fn one_interrupt_stops_an_endless_tail_call_recursion() {
    spin_and_interrupt(
        r#"(module (func $f (export "spin") (param i32) (result i32)
             (return_call $f (i32.add (local.get 0) (i32.const 1)))))"#,
        "spin",
        &[Val::I32(0)],
    );
}

#[test]
fn one_interrupt_stops_a_loop_over_lowered_intrinsics() {
    spin_and_interrupt(
        r#"(module
          (import "unsafe-intrinsics" "store-data-address" (func $sda (result i64)))
          (import "unsafe-intrinsics" "u64-native-load" (func $load (param i64) (result i64)))
          (func (export "spin") (result i64) (local $sum i64)
            (loop $l
              (local.set $sum (i64.add (local.get $sum) (call $load (call $sda))))
              (br $l))
            (local.get $sum)))"#,
        "spin",
        &[],
    );
}

/// A module counting its runs in an exported global; `run` bumps it and
/// returns it.
const COUNTER: &str = r#"(module
  (global $runs (export "runs") (mut i32) (i32.const 0))
  (func (export "run") (result i32)
    (global.set $runs (i32.add (global.get $runs) (i32.const 1)))
    (global.get $runs)))"#;

fn runs(store: &mut Store, instance: &Instance) -> i32 {
    match instance.get_export(store, "runs") {
        Some(Extern::Global(global)) => match global.get(store) {
            Val::I32(n) => n,
            other => panic!("`runs` holds {other:?}"),
        },
        other => panic!("no global `runs`: {other:?}"),
    }
}

#[test]
fn a_request_made_between_calls_stops_the_next_call_before_it_runs() {
    let mut store = Store::new(&engine());
    let instance = instantiate(&mut store, &Linker::new(), COUNTER);
    let handle = store.interrupt_handle();
    handle.interrupt();
    assert_interrupted(instance.call(&mut store, "run", &[]));
    assert_eq!(runs(&mut store, &instance), 0, "the stopped call ran");
    // The trap consumed the request: the following call runs.
    assert_eq!(
        instance.call(&mut store, "run", &[]).expect("runs"),
        vec![Val::I32(1)]
    );
}

#[test]
fn a_store_without_requests_runs_normally_with_handles_out() {
    let mut store = Store::new(&engine());
    let instance = instantiate(&mut store, &Linker::new(), COUNTER);
    let _handles: Vec<InterruptHandle> = (0..3).map(|_| store.interrupt_handle()).collect();
    for n in 1..=3 {
        assert_eq!(
            instance.call(&mut store, "run", &[]).expect("runs"),
            vec![Val::I32(n)]
        );
    }
}

/// A module whose `run` calls the host function `host.wait`, then stores
/// 1 at address 0, then loops forever.
const WAITS_THEN_SPINS: &str = r#"(module
  (import "host" "wait" (func $wait))
  (memory (export "memory") 1)
  (func (export "run")
    (call $wait)
    (i32.store (i32.const 0) (i32.const 1))
    (loop $l (br $l))))"#;

#[test]
fn an_interrupt_during_a_host_function_stops_the_call_when_it_returns() {
    let mut store = Store::new(&engine());
    let handle = store.interrupt_handle();
    let (entered, host_entered) = mpsc::channel::<()>();
    let returned = Arc::new(AtomicU32::new(0));
    let wait = {
        let returned = Arc::clone(&returned);
        Func::new(&mut store, FuncType::new([], []), move |_| {
            let _ = entered.send(());
            // Long enough for the interrupt to arrive while we are here.
            std::thread::sleep(Duration::from_millis(200));
            returned.fetch_add(1, Ordering::SeqCst);
            Ok(vec![])
        })
        .expect("host function")
    };
    let mut linker = Linker::new();
    linker.define("host", "wait", Extern::Func(wait));
    let instance = instantiate(&mut store, &linker, WAITS_THEN_SPINS);
    let interrupter = std::thread::spawn(move || {
        host_entered.recv().expect("the host function runs");
        handle.interrupt();
    });
    assert_interrupted(instance.call(&mut store, "run", &[]));
    interrupter.join().expect("interrupting thread");
    assert_eq!(
        returned.load(Ordering::SeqCst),
        1,
        "the host function finished"
    );
    let memory = match instance.get_export(&store, "memory") {
        Some(Extern::Memory(memory)) => memory,
        other => panic!("no memory: {other:?}"),
    };
    assert_eq!(
        memory.data(&store)[0],
        0,
        "Wasm after the host function ran although the call was interrupted"
    );
}

#[test]
fn a_host_function_interrupting_its_own_call_stops_it_on_return() {
    let mut store = Store::new(&engine());
    let handle = store.interrupt_handle();
    let wait = Func::new(&mut store, FuncType::new([], []), move |_| {
        handle.interrupt();
        Ok(vec![])
    })
    .expect("host function");
    let mut linker = Linker::new();
    linker.define("host", "wait", Extern::Func(wait));
    let instance = instantiate(&mut store, &linker, WAITS_THEN_SPINS);
    assert_interrupted(instance.call(&mut store, "run", &[]));
}

#[test]
fn an_interrupt_stops_wasm_a_host_function_called_back_into() {
    // `outer` calls the host, which calls `spin` of the same instance
    // back; the interrupt stops `spin`, the host function returns its
    // trap, and `outer` traps with it.
    let mut store = Store::new(&engine());
    let callback = Func::new_with_store(&mut store, FuncType::new([], []), |store, _| {
        let spin = match store_export(store, "spin") {
            Some(func) => func,
            None => return Err(Trap::Host("no `spin`".to_owned())),
        };
        match spin.call(store, &[]) {
            Ok(_) => Ok(vec![]),
            Err(Error::Trap(trap)) => Err(trap),
            Err(other) => Err(Trap::Host(other.to_string())),
        }
    })
    .expect("host function");
    let mut linker = Linker::new();
    linker.define("host", "callback", Extern::Func(callback));
    let instance = instantiate(
        &mut store,
        &linker,
        r#"(module
          (import "host" "callback" (func $callback))
          (func (export "spin") (loop $l (br $l)))
          (func (export "outer") (call $callback)))"#,
    );
    SPIN.with(|slot| *slot.borrow_mut() = Some(instance));
    let result = call_interrupted_once(
        &mut store,
        &instance,
        "outer",
        &[],
        Duration::from_millis(50),
    );
    match result {
        Err(Error::Trap(Trap::Interrupt)) => {}
        Err(Error::Trap(Trap::Host(message))) if message.contains("interrupted") => {}
        other => panic!("expected the interrupt to reach `outer`, got {other:?}"),
    }
}

thread_local! {
    /// The instance whose `spin` the callback calls (host functions have
    /// no other way to reach an instance created after them).
    static SPIN: std::cell::RefCell<Option<Instance>> = const { std::cell::RefCell::new(None) };
}

fn store_export(store: &mut Store, name: &str) -> Option<Func> {
    let instance = SPIN.with(|slot| *slot.borrow())?;
    match instance.get_export(store, name) {
        Some(Extern::Func(func)) => Some(func),
        _ => None,
    }
}
