//! What the runtime does with code that would otherwise take the process
//! down or run forever: initializer expressions it must not skip, native
//! faults in lowered intrinsics, epoch interruption, and function bodies
//! too deep to compile within bounded memory.
//!
//! Tests that could kill the process when the runtime is wrong (a native
//! fault, an allocation failure) run in a child process: the test binary
//! runs itself with `CHILD` naming the scenario, and the parent checks what
//! the child printed and how it exited.

use std::process::Command;
use std::time::Duration;

use wasm_prelink_runtime::{Config, Engine, Error, Linker, Module, Store, Trap, Val};

/// Names the scenario a child process runs.
const CHILD: &str = "WASM_PRELINK_RUNTIME_ROBUSTNESS_CHILD";

fn compile(engine: &Engine, wat: &str) -> Module {
    let wasm = wat::parse_str(wat).expect("test module parses");
    Module::new(engine, &wasm).expect("test module compiles")
}

/// Runs the test `name` of this binary in a child with `CHILD=name`;
/// returns its stdout and whether it exited successfully.
fn run_child(name: &str) -> (String, std::process::ExitStatus) {
    let output = Command::new(std::env::current_exe().expect("test binary path"))
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, name)
        .output()
        .expect("the test binary runs");
    (
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
        output.status,
    )
}

fn in_child(name: &str) -> bool {
    std::env::var(CHILD).as_deref() == Ok(name)
}

// ---------------------------------------------------------------------
// Initializers

#[test]
fn table_initializer_expressions_fill_every_slot() {
    let engine = Engine::new(Config::new()).expect("engine");
    let module = compile(
        &engine,
        r#"(module
        (type $thunk (func (result i32)))
        (import "env" "f" (global $imported funcref))
        (func $k (result i32) (i32.const 42))
        (func $m (result i32) (i32.const 43))
        (table $own 2 funcref (ref.func $k))
        (table $from-global 3 funcref (global.get $imported))
        (func (export "own") (param i32) (result i32)
          (call_indirect $own (type $thunk) (local.get 0)))
        (func (export "from-global") (param i32) (result i32)
          (call_indirect $from-global (type $thunk) (local.get 0)))
        (func (export "m") (result i32) (i32.const 43))
        (global (export "m-ref") funcref (ref.func $m)))"#,
    );
    // The imported global holds a function of another instance.
    let donor = compile(
        &engine,
        r#"(module (func $seven (result i32) (i32.const 7))
           (global (export "f") funcref (ref.func $seven)))"#,
    );
    let mut store = Store::new(&engine);
    let donor = Linker::new()
        .instantiate(&mut store, &donor)
        .expect("donor instantiates");
    let global = donor.get_export(&store, "f").expect("export");
    let mut linker = Linker::new();
    linker.define("env", "f", global);
    let instance = linker
        .instantiate(&mut store, &module)
        .expect("module instantiates");
    for slot in 0..2 {
        assert_eq!(
            instance
                .call(&mut store, "own", &[Val::I32(slot)])
                .expect("calls $k"),
            [Val::I32(42)]
        );
    }
    for slot in 0..3 {
        assert_eq!(
            instance
                .call(&mut store, "from-global", &[Val::I32(slot)])
                .expect("calls the donor's function"),
            [Val::I32(7)]
        );
    }
}

// ---------------------------------------------------------------------
// Native faults

/// A builtin-style function that loads from any native address.
const WILD_LOAD: &str = r#"(module
    (import "unsafe-intrinsics" "u64-native-load" (func $load (param i64) (result i64)))
    (memory 1)
    (func (export "load") (param i64) (result i64) (call $load (local.get 0)))
    (func (export "oob") (result i32) (i32.load (i32.const 70000))))"#;

#[test]
fn a_native_fault_in_lowered_code_is_a_trap_naming_the_address() {
    let name = "a_native_fault_in_lowered_code_is_a_trap_naming_the_address";
    if in_child(name) {
        let engine = Engine::new(Config::new()).expect("engine");
        let module = compile(&engine, WILD_LOAD);
        let mut store = Store::new(&engine);
        let instance = Linker::new()
            .instantiate(&mut store, &module)
            .expect("instantiates");
        // The first page is never mapped on Linux.
        let fault = instance.call(&mut store, "load", &[Val::I64(8)]);
        println!("first: {fault:?}");
        // The runtime is still usable: a guard-page hit in linear memory
        // stays an out-of-bounds trap, and a good address still loads.
        let oob = instance.call(&mut store, "oob", &[]);
        println!("oob: {oob:?}");
        let cell = 0x1122_3344_5566_7788u64;
        let good = instance.call(&mut store, "load", &[Val::I64(&cell as *const u64 as i64)]);
        println!("good: {good:?}");
        return;
    }
    let (output, status) = run_child(name);
    assert!(status.success(), "the child died: {status}\n{output}");
    assert!(
        output.contains("first: Err(Trap(NativeAccessFault { address: 8 }))"),
        "{output}"
    );
    assert!(
        output.contains("oob: Err(Trap(MemoryOutOfBounds))"),
        "{output}"
    );
    assert!(
        output.contains(&format!("good: Ok([I64({})])", 0x1122_3344_5566_7788i64)),
        "{output}"
    );
}

#[test]
fn the_fault_message_names_native_memory_and_the_address() {
    let message = Error::Trap(Trap::NativeAccessFault { address: 0x10 }).to_string();
    assert_eq!(
        message,
        "wasm trap: native access fault at address 0x10: a native load or store of trusted \
         builtin code touched unmapped memory"
    );
}

// ---------------------------------------------------------------------
// Epoch interruption

/// Instantiates `wat` with epoch interruption, a deadline one tick away and
/// a thread that advances the epoch until the call returns; returns what
/// calling `export` gave.
fn call_until_interrupted(wat: &str, export: &str, args: &[Val]) -> Result<Vec<Val>, Error> {
    let engine = Engine::new(Config::new().epoch_interruption(true)).expect("engine");
    let module = compile(&engine, wat);
    let mut store = Store::new(&engine);
    store.set_epoch_deadline(1);
    let instance = Linker::new()
        .instantiate(&mut store, &module)
        .expect("instantiates");
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let ticker = {
        let engine = engine.clone();
        std::thread::spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                finished.recv_timeout(Duration::from_millis(5))
            {
                engine.increment_epoch();
            }
        })
    };
    let result = instance.call(&mut store, export, args);
    drop(done);
    ticker.join().expect("ticker thread");
    result
}

fn assert_interrupted(result: Result<Vec<Val>, Error>) {
    match result {
        Err(Error::Trap(Trap::Interrupt)) => {}
        other => panic!("expected an interrupt, got {other:?}"),
    }
}

#[test]
fn an_empty_endless_loop_is_interrupted() {
    assert_interrupted(call_until_interrupted(
        r#"(module (func (export "spin") (loop $l (br $l))))"#,
        "spin",
        &[],
    ));
}

#[test]
fn a_loop_that_only_reads_memory_is_interrupted() {
    // Nothing in the loop stores, so only the epoch check's own design
    // keeps Cranelift from reusing the epoch loaded at function entry.
    assert_interrupted(call_until_interrupted(
        r#"(module (memory 1)
          (func (export "spin") (result i32) (local $sum i32)
            (loop $l
              (local.set $sum (i32.add (local.get $sum) (i32.load (i32.const 16))))
              (br_if $l (i32.eqz (i32.load (i32.const 0)))))
            (local.get $sum)))"#,
        "spin",
        &[],
    ));
}

#[test]
fn an_endless_tail_call_recursion_is_interrupted() {
    // `return_call` reuses the frame, so only the entry check stops it.
    assert_interrupted(call_until_interrupted(
        r#"(module (func $f (export "spin") (param i32) (result i32)
             (return_call $f (i32.add (local.get 0) (i32.const 1)))))"#,
        "spin",
        &[Val::I32(0)],
    ));
}

#[test]
fn a_loop_over_lowered_intrinsics_is_interrupted() {
    assert_interrupted(call_until_interrupted(
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
    ));
}

#[test]
fn code_that_finishes_before_the_deadline_is_not_interrupted() {
    let engine = Engine::new(Config::new().epoch_interruption(true)).expect("engine");
    let module = compile(
        &engine,
        r#"(module (func (export "count") (param i32) (result i32) (local $i i32)
             (loop $l
               (local.set $i (i32.add (local.get $i) (i32.const 1)))
               (br_if $l (i32.lt_u (local.get $i) (local.get 0))))
             (local.get $i)))"#,
    );
    let mut store = Store::new(&engine);
    // Without a deadline nothing is interrupted, however the epoch moves.
    let instance = Linker::new()
        .instantiate(&mut store, &module)
        .expect("instantiates");
    engine.increment_epoch();
    assert_eq!(
        instance
            .call(&mut store, "count", &[Val::I32(100_000)])
            .expect("runs"),
        [Val::I32(100_000)]
    );
    // A deadline ahead of the epoch lets it run too; once the epoch
    // reaches it, the next call traps at its entry.
    store.set_epoch_deadline(2);
    engine.increment_epoch();
    assert_eq!(
        instance
            .call(&mut store, "count", &[Val::I32(1000)])
            .expect("runs"),
        [Val::I32(1000)]
    );
    engine.increment_epoch();
    assert_interrupted(instance.call(&mut store, "count", &[Val::I32(1)]));
}

// ---------------------------------------------------------------------
// Limits on what is compiled

/// A module whose one function nests `depth` `if`s.
fn nested_ifs(depth: usize) -> Vec<u8> {
    let mut code = vec![0x00]; // no locals
    for _ in 0..depth {
        code.extend([0x41, 0x01, 0x04, 0x40]); // i32.const 1, if (empty type)
    }
    code.extend(std::iter::repeat_n(0x0b, depth + 1));
    let mut body = Vec::new();
    leb(&mut body, code.len() as u64);
    body.extend(code);
    let mut module = b"\0asm\x01\0\0\0".to_vec();
    section(&mut module, 1, &[1, 0x60, 0, 0]); // type: () -> ()
    section(&mut module, 3, &[1, 0]); // one function of type 0
    section(&mut module, 7, &[1, 1, b'f', 0, 0]); // export "f"
    let mut code_section = vec![1];
    code_section.extend(body);
    section(&mut module, 10, &code_section);
    module
}

fn leb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn section(module: &mut Vec<u8>, id: u8, contents: &[u8]) {
    module.push(id);
    leb(module, contents.len() as u64);
    module.extend_from_slice(contents);
}

#[test]
fn a_million_nested_ifs_are_refused_under_a_memory_cap() {
    let name = "a_million_nested_ifs_are_refused_under_a_memory_cap";
    if in_child(name) {
        // The cap the issue was reported under: 4 GB of address space.
        let cap = 4_000_000 * 1024;
        let limit = libc::rlimit {
            rlim_cur: cap,
            rlim_max: cap,
        };
        // SAFETY: plain system call with a valid pointer.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) }, 0);
        let engine = Engine::new(Config::new()).expect("engine");
        let wasm = nested_ifs(1_000_000);
        println!("module size: {}", wasm.len());
        match Module::new(&engine, &wasm) {
            Ok(_) => println!("compiled"),
            Err(e) => println!("refused: {e}"),
        }
        return;
    }
    let (output, status) = run_child(name);
    assert!(status.success(), "the child died: {status}\n{output}");
    assert!(
        output.contains(
            "refused: cannot compile the module: function 0 nests control blocks 10001 deep, \
             more than the 10000 levels the runtime compiles"
        ),
        "{output}"
    );
}

#[test]
fn nesting_up_to_the_limit_compiles_and_runs() {
    let engine = Engine::new(Config::new()).expect("engine");
    // The function body is one level, so 9,999 `if`s reach the limit.
    let module = Module::new(&engine, &nested_ifs(9_999)).expect("compiles");
    let mut store = Store::new(&engine);
    let instance = Linker::new()
        .instantiate(&mut store, &module)
        .expect("instantiates");
    assert_eq!(instance.call(&mut store, "f", &[]).expect("runs"), []);
}
