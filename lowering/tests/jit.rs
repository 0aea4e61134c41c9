//! Lowered intrinsics, compiled with cranelift-jit and run against a real
//! host buffer, must do exactly what the host implementations do.
//!
//! Each intrinsic is wrapped in a Wasm function with a uniform native
//! signature (`vmctx` and four `i64`s in, one `i64` out: `i32` arguments are
//! wrapped, `i32` results zero-extended, no result reads as 0), translated
//! through `LoweringEnv`, optimized and compiled for the host. Every result
//! and every byte of the buffer is compared with `host::call` on an
//! identical buffer, so values, truncation, zero-extension and unaligned
//! addresses are checked against one definition.
//!
//! Out-of-bounds checked accesses must trap, and a trap in JIT code kills
//! the process (there is no runtime here to catch it). So each such case
//! re-runs this test binary, filtered to `trap_child_process`, with the case
//! in an environment variable; the child compiles and calls the function, and
//! the parent asserts that it died of the trap instruction's signal (SIGILL
//! on x86-64 and aarch64) after reaching the call, and that the host
//! implementation reports the same case as out of bounds.

mod support;

use std::os::unix::process::ExitStatusExt;
use std::process::Command;

use cranelift_codegen::Context;
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, Linkage, Module};
use support::{translate, Mode, ModuleInfo};
use wasm_prelink_lowering::{host, Config, Intrinsic, Lowering, Shape, ValType};

/// The vmctx `MiniEnv` expects: linear memory base, then store data.
#[repr(C)]
struct Vmctx {
    memory_base: u64,
    store_data: u64,
}

type Entry = unsafe extern "C" fn(*const Vmctx, i64, i64, i64, i64) -> i64;

/// A JIT-compiled wrapper around one intrinsic.
struct Compiled {
    module: Option<JITModule>,
    entry: Entry,
}

impl Drop for Compiled {
    fn drop(&mut self) {
        if let Some(module) = self.module.take() {
            // SAFETY: `entry` is not used after this.
            unsafe { module.free_memory() };
        }
    }
}

/// The Wasm wrapper giving `intrinsic` the uniform signature.
fn wrapper_wat(intrinsic: Intrinsic) -> String {
    let params: Vec<String> = intrinsic.params().iter().map(|p| p.to_string()).collect();
    let results: Vec<String> = intrinsic.results().iter().map(|r| r.to_string()).collect();
    let mut body = String::new();
    for (index, param) in intrinsic.params().iter().enumerate() {
        body.push_str(&format!("local.get {index} "));
        if *param == ValType::I32 {
            body.push_str("i32.wrap_i64 ");
        }
    }
    body.push_str("call $i ");
    body.push_str(match intrinsic.results() {
        [] => "i64.const 0",
        [ValType::I32] => "i64.extend_i32_u",
        _ => "",
    });
    format!(
        r#"(module
  (import "unsafe-intrinsics" "{}" (func $i (param {}) (result {})))
  (func (param i64 i64 i64 i64) (result i64) {body}))"#,
        intrinsic.name(),
        params.join(" "),
        results.join(" ")
    )
}

fn compile(intrinsic: Intrinsic, spectre: bool) -> Compiled {
    compile_wat(&wrapper_wat(intrinsic), spectre)
}

/// Compiles the first function of `wat`, which must have the uniform
/// signature.
fn compile_wat(wat: &str, spectre: bool) -> Compiled {
    let wasm = wat::parse_str(wat).expect("test module parses");
    let info = ModuleInfo::parse(&wasm).expect("module info");
    let config = Config::new().spectre_mitigation(spectre);
    let lowering = Lowering::new(&wasm, &config).expect("valid intrinsics");
    let isa = {
        use cranelift_codegen::settings::{self, Configurable};
        let mut flags = settings::builder();
        flags.set("opt_level", "speed").expect("known setting");
        cranelift_native::builder()
            .expect("host ISA")
            .finish(settings::Flags::new(flags))
            .expect("valid flags")
    };
    let functions = translate(
        &wasm,
        &info,
        isa.frontend_config(),
        Mode::Wrapper(&lowering),
    )
    .expect("translates");
    let mut module = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
    let func = functions.into_iter().next().expect("one function");
    let id = module
        .declare_function("entry", Linkage::Local, &func.signature)
        .expect("declares");
    let mut ctx = Context::for_function(func);
    module.define_function(id, &mut ctx).expect("compiles");
    module.finalize_definitions().expect("finalizes");
    let code = module.get_finalized_function(id);
    // SAFETY: the function was compiled with exactly this signature
    // (vmctx pointer, four i64, i64 result) in the host's calling convention.
    let entry = unsafe { std::mem::transmute::<*const u8, Entry>(code) };
    Compiled {
        module: Some(module),
        entry,
    }
}

impl Compiled {
    /// Calls the compiled function; `store_data` is what
    /// `store-data-address` yields.
    ///
    /// # Safety
    /// The arguments must denote valid memory for the intrinsic's access.
    unsafe fn call(&self, store_data: u64, args: &[u64]) -> i64 {
        let vmctx = Vmctx {
            memory_base: 0,
            store_data,
        };
        let arg = |i: usize| args.get(i).copied().unwrap_or(0) as i64;
        // SAFETY: forwarded to the caller.
        unsafe { (self.entry)(&vmctx, arg(0), arg(1), arg(2), arg(3)) }
    }
}

const BUFFER: usize = 32;
/// Bytes with the high bit set, so a sign-extension would show.
fn pattern() -> [u8; BUFFER] {
    core::array::from_fn(|i| 0xf0u8.wrapping_add((i as u8).wrapping_mul(0x3b)))
}
/// A value wider than every access, so truncation shows.
const WIDE: u64 = 0xfedc_ba98_8765_4321;

/// Runs `intrinsic` lowered and on the host with arguments built from each
/// buffer's base address, and compares results and buffers.
fn compare(compiled: &Compiled, intrinsic: Intrinsic, args: impl Fn(u64) -> Vec<u64>) {
    let mut lowered = pattern();
    let mut hosted = pattern();
    let lowered_base = lowered.as_mut_ptr() as u64;
    let hosted_base = hosted.as_mut_ptr() as u64;
    let lowered_args = args(lowered_base);
    // SAFETY: every case below stays inside its buffer (checked in-bounds
    // cases by construction, out-of-bounds ones run in a child process).
    let result = unsafe { compiled.call(lowered_base, &lowered_args) };
    // SAFETY: as for the compiled call, on the other buffer.
    let expected = unsafe { host::call(intrinsic, hosted_base, &args(hosted_base)) }
        .expect("in-bounds host call");
    let expected = match intrinsic {
        // The address differs between the two buffers; compare offsets.
        Intrinsic::StoreDataAddress => expected.map(|a| a - hosted_base + lowered_base),
        _ => expected,
    };
    assert_eq!(
        result as u64,
        expected.unwrap_or(0),
        "{intrinsic} {lowered_args:x?}"
    );
    assert_eq!(lowered, hosted, "{intrinsic} {lowered_args:x?}");
}

#[test]
fn plain_loads_and_stores_match_the_host() {
    for &intrinsic in Intrinsic::ALL {
        let size = u64::from(intrinsic.access_bytes());
        let compiled = compile(intrinsic, false);
        match Shape::of(intrinsic) {
            Shape::StoreDataAddress => compare(&compiled, intrinsic, |_| vec![]),
            // Every offset the access fits at: aligned and unaligned.
            Shape::Load { .. } => {
                for offset in 0..=BUFFER as u64 - size {
                    compare(&compiled, intrinsic, |base| vec![base + offset]);
                }
            }
            Shape::Store { .. } => {
                for offset in 0..=BUFFER as u64 - size {
                    compare(&compiled, intrinsic, |base| vec![base + offset, WIDE]);
                }
            }
            Shape::CheckedLoad { .. } | Shape::CheckedStore { .. } => {}
        }
    }
}

#[test]
fn narrow_loads_zero_extend_and_narrow_stores_truncate() {
    let mut buffer = [0xffu8; 16];
    let base = buffer.as_mut_ptr() as u64;
    // SAFETY: all accesses are within `buffer`.
    unsafe {
        assert_eq!(
            compile(Intrinsic::U8NativeLoad, false).call(0, &[base + 3]),
            0xff
        );
        assert_eq!(
            compile(Intrinsic::U16NativeLoad, false).call(0, &[base + 3]),
            0xffff
        );
        assert_eq!(
            compile(Intrinsic::U32NativeLoad, false).call(0, &[base + 3]),
            0xffff_ffff
        );
        compile(Intrinsic::U16NativeStore, false).call(0, &[base + 1, WIDE]);
    }
    assert_eq!(&buffer[..4], &[0xff, 0x21, 0x43, 0xff]);
}

/// In-bounds checked cases: `(offset, length)` with `base` the buffer.
fn in_bounds_cases(size: u64) -> Vec<(u64, u64)> {
    let length = 16;
    vec![
        (0, length),
        (1, length),
        (3, length),
        // The last valid position.
        (length - size, length),
        // Exactly one access long.
        (0, size),
        // The whole buffer, last valid position.
        (BUFFER as u64 - size, BUFFER as u64),
    ]
}

/// Out-of-bounds checked cases: `(offset, length)`.
fn out_of_bounds_cases(size: u64) -> Vec<(u64, u64)> {
    let length = 16;
    vec![
        // One past the last valid position.
        (length - size + 1, length),
        // Entirely past the end.
        (length, length),
        // Length too small for even one access.
        (0, size - 1),
        (0, 0),
        (size, 0),
        // `offset + size` overflows: must not wrap into bounds.
        (u64::MAX - (size - 1), u64::MAX),
        (u64::MAX, 16),
    ]
}

#[test]
fn checked_accesses_in_bounds_match_the_host() {
    for spectre in [false, true] {
        for &intrinsic in Intrinsic::ALL {
            let size = u64::from(intrinsic.access_bytes());
            let compiled = compile(intrinsic, spectre);
            let cases = in_bounds_cases(size);
            match Shape::of(intrinsic) {
                Shape::CheckedLoad { .. } => {
                    for (offset, length) in cases {
                        compare(&compiled, intrinsic, |base| vec![base, offset, length]);
                    }
                }
                Shape::CheckedStore { .. } => {
                    for (offset, length) in cases {
                        compare(&compiled, intrinsic, |base| {
                            vec![base, offset, length, WIDE]
                        });
                    }
                }
                _ => {}
            }
        }
    }
}

const CHILD_CASE: &str = "LOWERING_TRAP_CASE";
const REACHED: &str = "trap child: calling";

#[test]
fn checked_accesses_out_of_bounds_trap() {
    let exe = std::env::current_exe().expect("test binary path");
    for spectre in [false, true] {
        for &intrinsic in Intrinsic::ALL {
            if !matches!(
                Shape::of(intrinsic),
                Shape::CheckedLoad { .. } | Shape::CheckedStore { .. }
            ) {
                continue;
            }
            let size = u64::from(intrinsic.access_bytes());
            for (offset, length) in out_of_bounds_cases(size) {
                // The host implementation agrees that this is out of bounds.
                let mut buffer = [0u8; BUFFER];
                let base = buffer.as_mut_ptr() as u64;
                let args = [base, offset, length, WIDE];
                // SAFETY: the check fails before any access.
                let host = unsafe { host::call(intrinsic, 0, &args[..intrinsic.params().len()]) };
                assert!(
                    matches!(host, Err(host::CallError::Trap(_))),
                    "{intrinsic} {offset} {length}"
                );

                let case = format!("{}:{offset}:{length}:{spectre}", intrinsic.name());
                let output = Command::new(&exe)
                    .args([
                        "--exact",
                        "trap_child_process",
                        "--nocapture",
                        "--test-threads=1",
                    ])
                    .env(CHILD_CASE, &case)
                    .output()
                    .expect("child runs");
                let stderr = String::from_utf8_lossy(&output.stderr);
                assert!(
                    stderr.contains(REACHED),
                    "{case}: child did not reach the call: {stderr}"
                );
                assert_eq!(
                    output.status.signal(),
                    Some(libc_sigill()),
                    "{case}: expected the trap (SIGILL), got {:?}; stderr: {stderr}",
                    output.status
                );
            }
        }
    }
}

/// SIGILL, the signal Cranelift's trap instruction raises on x86-64 and
/// aarch64 Linux.
fn libc_sigill() -> i32 {
    4
}

/// Not a test of its own: the child half of
/// `checked_accesses_out_of_bounds_trap`, a no-op unless that test started
/// this process with a case to run.
#[test]
fn trap_child_process() {
    let Ok(case) = std::env::var(CHILD_CASE) else {
        return;
    };
    let mut parts = case.split(':');
    let mut next = || parts.next().expect("case has four fields");
    let intrinsic: Intrinsic = next().parse().expect("known intrinsic");
    let offset: u64 = next().parse().expect("offset");
    let length: u64 = next().parse().expect("length");
    let spectre: bool = next().parse().expect("flag");
    let compiled = compile(intrinsic, spectre);
    let mut buffer = [0u8; BUFFER];
    let base = buffer.as_mut_ptr() as u64;
    eprintln!("{REACHED}");
    // SAFETY: the bounds check traps before any access (that is what the
    // parent verifies).
    let result = unsafe { compiled.call(0, &[base, offset, length, WIDE]) };
    eprintln!("trap child: returned {result:#x} instead of trapping");
    std::process::exit(0);
}

/// Native loads of one address, with native stores to it in between: in
/// the same block, after a checked store's branch, and around a loop. A
/// repeated load may reuse an earlier one only when nothing in between can
/// have written, so every result here shows the stored values.
#[test]
fn repeated_loads_see_the_stores_in_between() {
    let wat = r#"(module
  (import "unsafe-intrinsics" "u64-native-load" (func $load (param i64) (result i64)))
  (import "unsafe-intrinsics" "u64-native-store" (func $store (param i64 i64)))
  (import "unsafe-intrinsics" "u8-checked-native-store"
    (func $store8 (param i64 i64 i64 i32)))
  (func (param $p i64) (param $mode i64) (param $n i64) (param i64) (result i64)
    (local $sum i64)
    ;; mode 0: load, store 5, load; mode 1: load, checked store of the low
    ;; byte, load; otherwise: `n` times, add the value to `sum` and store
    ;; the value plus one, reading it twice per iteration
    (if (i64.eq (local.get $mode) (i64.const 0))
      (then
        (local.set $sum (call $load (local.get $p)))
        (call $store (local.get $p) (i64.const 5))
        (return (i64.add (local.get $sum)
          (i64.mul (call $load (local.get $p)) (i64.const 1000))))))
    (if (i64.eq (local.get $mode) (i64.const 1))
      (then
        (local.set $sum (call $load (local.get $p)))
        (call $store8 (local.get $p) (i64.const 0) (i64.const 8) (i32.const 9))
        (return (i64.add (local.get $sum)
          (i64.mul (call $load (local.get $p)) (i64.const 1000))))))
    (block $done
      (loop $next
        (br_if $done (i64.eqz (local.get $n)))
        (local.set $sum (i64.add (local.get $sum) (call $load (local.get $p))))
        (call $store (local.get $p) (i64.add (call $load (local.get $p)) (i64.const 1)))
        (local.set $n (i64.sub (local.get $n) (i64.const 1)))
        (br $next)))
    (local.get $sum)))"#;
    for spectre in [false, true] {
        let compiled = compile_wat(wat, spectre);
        let run = |mode: u64, n: u64| {
            let mut cell: u64 = 1;
            let p = &mut cell as *mut u64 as u64;
            // SAFETY: every access is to `cell`, eight bytes at `p`.
            let result = unsafe { compiled.call(0, &[p, mode, n]) };
            (result, cell)
        };
        assert_eq!(run(0, 0), (1 + 5 * 1000, 5));
        assert_eq!(run(1, 0), (1 + 9 * 1000, 9));
        assert_eq!(run(2, 3), (1 + 2 + 3, 4));
    }
}
