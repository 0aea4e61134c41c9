//! Does the plugin cost translation time?
//!
//! Generates one large module — `FUNCTIONS` functions, each a loop of
//! ordinary arithmetic, linear-memory traffic, calls to a sibling function
//! and `INTRINSIC_CALLS` calls to intrinsics — and measures how long
//! cranelift-wasm takes to translate all of it to CLIF (translation only:
//! the plugin does not touch code generation) in three ways:
//!
//! * `plain`: the runtime's environment alone; intrinsics stay calls.
//! * `wrapper`: the same environment inside `LoweringEnv`, including
//!   building the `Lowering` from the module bytes.
//! * `entry point`: the runtime's `translate_call` calling a
//!   `FunctionLowering`'s `lower_call`, and `after_translate_function` its
//!   `finish`.
//!
//! Plus the wrapper with a 16-byte store-data descriptor declared (every
//! function then has its stores classified and its descriptor loads
//! versioned), and the same module with the intrinsic namespace renamed,
//! so no call is lowered, through the wrapper: the pure cost of the extra
//! lookup.
//!
//! Each configuration runs `REPETITIONS` times, interleaved, and the median
//! is reported. Plain `std::time`; run with
//! `cargo bench -p lowering --bench translate`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use support::{isa, translate, Mode, ModuleInfo};
use wasm_prelink_lowering::{Config, Lowering};

/// Functions in the generated module.
const FUNCTIONS: usize = 3000;
/// Intrinsic calls per function (the rest of the body is ordinary code).
const INTRINSIC_CALLS: usize = 6;
/// Timed runs per configuration.
const REPETITIONS: usize = 11;

fn module(namespace: &str) -> Vec<u8> {
    let mut wat = String::from("(module\n");
    wat.push_str(&format!(
        r#"(import "{namespace}" "store-data-address" (func $data (result i64)))
(import "{namespace}" "u32-native-load" (func $load (param i64) (result i32)))
(import "{namespace}" "u32-native-store" (func $store (param i64 i32)))
(import "{namespace}" "u8-checked-native-load" (func $get (param i64 i64 i64) (result i32)))
(memory 1)
"#
    ));
    for f in 0..FUNCTIONS {
        let callee = (f + 1) % FUNCTIONS;
        let mut intrinsics = String::new();
        for k in 0..INTRINSIC_CALLS {
            intrinsics.push_str(&match k % 3 {
                0 => format!(
                    "(local.set $acc (i32.add (local.get $acc) (call $load (i64.add (call $data) (i64.const {k})))))\n"
                ),
                1 => "(call $store (call $data) (local.get $acc))\n".to_owned(),
                _ => "(local.set $acc (i32.xor (local.get $acc) (call $get (call $data) (i64.extend_i32_u (local.get $i)) (i64.const 64))))\n".to_owned(),
            });
        }
        wat.push_str(&format!(
            r#"(func $f{f} (param $n i32) (result i32) (local $i i32) (local $acc i32)
  (block $done (loop $next
    (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
    (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 31)) (i32.load (i32.and (local.get $i) (i32.const 1020)))))
    (i32.store offset=4 (i32.and (local.get $acc) (i32.const 1020)) (local.get $i))
    (if (i32.eqz (i32.and (local.get $acc) (i32.const 7)))
      (then (local.set $acc (i32.rotl (local.get $acc) (i32.const 3))))
      (else (local.set $acc (i32.sub (local.get $acc) (local.get $n)))))
    {intrinsics}
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br $next)))
  (if (result i32) (i32.gt_u (local.get $n) (i32.const 1000))
    (then (call $f{callee} (i32.shr_u (local.get $n) (i32.const 1))))
    (else (local.get $acc))))
"#
        ));
    }
    wat.push(')');
    wat::parse_str(&wat).expect("generated module parses")
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let isa = isa("x86_64");
    let target = isa.frontend_config();
    let wasm = module("unsafe-intrinsics");
    let renamed = module("not-intrinsics");
    let info = ModuleInfo::parse(&wasm).expect("module info");
    println!(
        "module: {} KiB, {FUNCTIONS} functions, {} intrinsic calls",
        wasm.len() / 1024,
        FUNCTIONS * INTRINSIC_CALLS
    );

    let run = |which: usize| -> Duration {
        let start = Instant::now();
        let functions = match which {
            0 => translate(&wasm, &info, target, Mode::Plain),
            1 => {
                let lowering = Lowering::new(&wasm, &Config::new()).expect("valid");
                translate(&wasm, &info, target, Mode::Wrapper(&lowering))
            }
            2 => {
                let lowering = Lowering::new(&wasm, &Config::new()).expect("valid");
                translate(&wasm, &info, target, Mode::EntryPoint(&lowering))
            }
            3 => {
                let config = Config::new().store_data_descriptor(16);
                let lowering = Lowering::new(&wasm, &config).expect("valid");
                translate(&wasm, &info, target, Mode::Wrapper(&lowering))
            }
            _ => {
                let lowering = Lowering::new(&renamed, &Config::new()).expect("valid");
                translate(&renamed, &info, target, Mode::Wrapper(&lowering))
            }
        }
        .expect("translates");
        let elapsed = start.elapsed();
        assert_eq!(functions.len(), FUNCTIONS);
        elapsed
    };

    // Warm up caches and the allocator once per configuration.
    for which in 0..5 {
        run(which);
    }
    let mut samples = vec![Vec::new(); 5];
    for _ in 0..REPETITIONS {
        for (which, samples) in samples.iter_mut().enumerate() {
            samples.push(run(which));
        }
    }
    let names = [
        "plain (intrinsics stay calls)",
        "wrapper (LoweringEnv)",
        "entry point (FunctionLowering)",
        "wrapper, 16-byte descriptor",
        "wrapper, no intrinsics in module",
    ];
    let medians: Vec<Duration> = samples.into_iter().map(median).collect();
    for (name, median) in names.iter().zip(&medians) {
        let ratio = median.as_secs_f64() / medians[0].as_secs_f64();
        println!("{name:<36} median {median:>10.2?}  ({ratio:.3}x plain)");
    }
}
