//! `wasm-prelink run` as a user meets it: results on stdout, the host
//! buffer in and out, traps and bad arguments as one-line errors with exit
//! status 1.

mod support;

use std::path::Path;
use std::process::Output;
use support::{assert_error, example, prelink, scratch, stdout, wasm_prelink};

/// Runs the host-buf example's `export` with `extra` arguments.
fn run(export: &str, extra: &[&str]) -> Output {
    let builtin = format!("host-buf={}", example("builtin.wat"));
    wasm_prelink()
        .args([
            "run",
            &example("app.wat"),
            "--builtin",
            &builtin,
            "--invoke",
            export,
        ])
        .args(extra)
        .output()
        .expect("the binary runs")
}

#[test]
fn results_and_the_host_buffer_round_trip() {
    let dir = scratch("round-trip");
    let input = dir.join("in.bin");
    let output = dir.join("out.bin");
    std::fs::write(&input, [1u8, 2, 255, 7]).expect("write input");

    let checksum = run("checksum", &["--host-buffer", &input.to_string_lossy()]);
    assert!(checksum.status.success());
    assert_eq!(stdout(&checksum), "265\n");

    let increment = run(
        "increment-all",
        &[
            "--host-buffer",
            &input.to_string_lossy(),
            "--host-buffer-out",
            &output.to_string_lossy(),
        ],
    );
    assert!(increment.status.success());
    assert_eq!(stdout(&increment), "");
    assert_eq!(std::fs::read(&output).expect("output"), [2u8, 3, 0, 8]);

    let peek = run("peek", &["2", "--host-buffer", &output.to_string_lossy()]);
    assert_eq!(stdout(&peek), "0\n");
}

#[test]
fn the_default_host_buffer_is_64_kib_of_zeros() {
    let dir = scratch("default");
    let output = dir.join("out.bin");
    let result = run(
        "increment-all",
        &["--host-buffer-out", &output.to_string_lossy()],
    );
    assert!(result.status.success());
    assert_eq!(std::fs::read(&output).expect("output"), vec![1u8; 65536]);
    assert_eq!(stdout(&run("peek", &["65535"])), "0\n");
}

#[test]
fn a_trap_names_the_export_and_its_kind() {
    assert_error(
        &run("peek", &["65536"]),
        "error: `peek` trapped: out of bounds memory access",
    );
    assert_error(
        &run("peek", &["-1"]),
        "error: `peek` trapped: out of bounds memory access",
    );
}

#[test]
fn traps_of_plain_modules_report_their_kind() {
    let dir = scratch("plain");
    let module = dir.join("m.wat");
    std::fs::write(
        &module,
        r#"(module
          (func (export "div") (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
          (func (export "boom") unreachable)
          (func (export "pair") (result i64 f64) (i64.const -5) (f64.const 0.5)))"#,
    )
    .expect("write module");
    let prelink = |args: &[&str]| {
        wasm_prelink()
            .arg("run")
            .arg(&module)
            .args(args)
            .output()
            .expect("the binary runs")
    };
    assert_eq!(stdout(&prelink(&["--invoke", "div", "7", "2"])), "3\n");
    assert_eq!(stdout(&prelink(&["--invoke", "pair"])), "-5\n0.5\n");
    assert_error(
        &prelink(&["--invoke", "div", "1", "0"]),
        "error: `div` trapped: integer divide by zero",
    );
    assert_error(
        &prelink(&["--invoke", "boom"]),
        "error: `boom` trapped: unreachable",
    );
}

#[test]
fn bad_arguments_are_errors_that_name_them() {
    assert_error(
        &run("pek", &[]),
        "error: the module has no function export `pek` (it exports `increment-all`, `checksum`, `peek`)",
    );
    assert_error(
        &run("peek", &[]),
        "error: `peek` has type (func (param i64) (result i32)) and takes 1 argument(s), 0 given",
    );
    assert_error(
        &run("peek", &["1", "2"]),
        "error: `peek` has type (func (param i64) (result i32)) and takes 1 argument(s), 2 given",
    );
    assert_error(
        &run("peek", &["one"]),
        "error: argument 1 of `peek` must be i64, `one` is not",
    );
    assert_error(
        &run("peek", &["1.5"]),
        "error: argument 1 of `peek` must be i64, `1.5` is not",
    );
}

#[test]
fn missing_files_are_errors_that_name_them() {
    let output = wasm_prelink()
        .args(["run", "no-such-module.wasm", "--invoke", "f"])
        .output()
        .expect("the binary runs");
    assert_error(
        &output,
        "error: cannot read the module: cannot read `no-such-module.wasm`: No such file or directory (os error 2)",
    );
    assert_error(
        &run("checksum", &["--host-buffer", "no-such-buffer.bin"]),
        "error: cannot read host buffer `no-such-buffer.bin`: No such file or directory (os error 2)",
    );
    let builtin_missing = wasm_prelink()
        .args([
            "run",
            &example("app.wat"),
            "--builtin",
            "host-buf=nope.wat",
            "--invoke",
            "checksum",
        ])
        .output()
        .expect("the binary runs");
    assert_error(
        &builtin_missing,
        "error: cannot read builtin `host-buf`: cannot read `nope.wat`: No such file or directory (os error 2)",
    );
}

#[test]
fn an_unlinked_app_reports_its_missing_import() {
    let output = wasm_prelink()
        .args(["run", &example("app.wat"), "--invoke", "checksum"])
        .output()
        .expect("the binary runs");
    assert_error(
        &output,
        &format!(
            "error: cannot instantiate `{}`: unknown import `host-buf::get`",
            example("app.wat")
        ),
    );
}

/// A plain module that imports intrinsics itself: it reads the length of
/// the host buffer through `store-data-address` and `u64-native-load`.
const SELF_SERVED: &str = r#"(module
  (import "unsafe-intrinsics" "store-data-address" (func $sda (result i64)))
  (import "unsafe-intrinsics" "u64-native-load" (func $load (param i64) (result i64)))
  (func (export "len") (result i64)
    (call $load (i64.add (call $sda) (i64.const 8)))))"#;

#[test]
fn a_plain_module_importing_intrinsics_runs_only_when_allowed() {
    let dir = scratch("self-served");
    let module = dir.join("m.wat");
    std::fs::write(&module, SELF_SERVED).expect("write module");
    let path = module.to_string_lossy();
    assert_error(
        &prelink(&["run", &path, "--invoke", "len"], &dir),
        &format!(
            "error: `{path}` imports the intrinsics `unsafe-intrinsics::store-data-address`, \
             `unsafe-intrinsics::u64-native-load`, and `run` serves intrinsics only to a module \
             it links itself; pass `--allow-intrinsics` if you trust this module"
        ),
    );
    let allowed = prelink(
        &["run", &path, "--allow-intrinsics", "--invoke", "len"],
        &dir,
    );
    assert!(allowed.status.success(), "{allowed:?}");
    assert_eq!(stdout(&allowed), "65536\n");
}

#[test]
fn a_prelinked_module_runs_only_when_allowed() {
    let dir = scratch("prelinked");
    let linked = dir.join("linked.wasm");
    let builtin = format!("host-buf={}", example("builtin.wat"));
    let link = prelink(
        &[
            "link",
            &example("app.wat"),
            "--builtin",
            &builtin,
            "-o",
            &linked.to_string_lossy(),
        ],
        &dir,
    );
    assert!(link.status.success(), "{link:?}");
    let input = dir.join("in.bin");
    std::fs::write(&input, [1u8, 2, 255, 7]).expect("write input");
    let path = linked.to_string_lossy();
    let buffer = input.to_string_lossy();

    let refused = prelink(
        &[
            "run",
            &path,
            "--host-buffer",
            &buffer,
            "--invoke",
            "checksum",
        ],
        &dir,
    );
    let message = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "stderr: {message}");
    assert!(refused.stdout.is_empty());
    assert!(
        message.starts_with(&format!("error: `{path}` imports the intrinsic")),
        "{message}"
    );
    assert!(message.contains("`unsafe-intrinsics::"), "{message}");
    assert!(message.contains("`--allow-intrinsics`"), "{message}");

    let allowed = prelink(
        &[
            "run",
            &path,
            "--allow-intrinsics",
            "--host-buffer",
            &buffer,
            "--invoke",
            "checksum",
        ],
        &dir,
    );
    assert!(allowed.status.success(), "{allowed:?}");
    assert_eq!(stdout(&allowed), "265\n");
}

#[test]
fn an_app_importing_intrinsics_is_refused_even_with_builtins() {
    let dir = scratch("app-intrinsics");
    let app = dir.join("app.wat");
    std::fs::write(
        &app,
        r#"(module
          (import "host-buf" "len" (func $len (result i64)))
          (import "unsafe-intrinsics" "u8-native-load" (func $load (param i64) (result i32)))
          (func (export "peek") (param i64) (result i32) (call $load (local.get 0))))"#,
    )
    .expect("write app");
    let path = app.to_string_lossy();
    let builtin = format!("host-buf={}", example("builtin.wat"));
    for allow in [&[][..], &["--allow-intrinsics"][..]] {
        let output = wasm_prelink()
            .args(["run", &path, "--builtin", &builtin])
            .args(allow)
            .args(["--invoke", "peek", "0"])
            .output()
            .expect("the binary runs");
        assert_error(
            &output,
            &format!(
                "error: cannot link `{path}`: import `unsafe-intrinsics::u8-native-load` of the app \
                 is from the intrinsics namespace `unsafe-intrinsics`, which only builtins may import"
            ),
        );
    }
}

#[test]
fn a_builtin_leaking_an_intrinsic_is_refused() {
    let dir = scratch("leak");
    let app = dir.join("app.wat");
    let builtin = dir.join("leaky.wat");
    std::fs::write(
        &app,
        r#"(module
          (type $load (func (param i64) (result i64)))
          (import "leaky" "tab" (table 1 funcref))
          (func (export "peek") (param i64) (result i64)
            (call_indirect (type $load) (local.get 0) (i32.const 0))))"#,
    )
    .expect("write app");
    std::fs::write(
        &builtin,
        r#"(module
          (import "unsafe-intrinsics" "u64-native-load" (func $load (param i64) (result i64)))
          (table (export "tab") 1 funcref)
          (elem (i32.const 0) func $load))"#,
    )
    .expect("write builtin");
    let path = app.to_string_lossy();
    let spec = format!("leaky={}", builtin.to_string_lossy());
    assert_error(
        &prelink(&["run", &path, "--builtin", &spec, "--invoke", "peek", "0"], &dir),
        &format!(
            "error: cannot link `{path}` with builtin `leaky` from `{}`: the app could obtain an \
             intrinsic: export `tab` of \
             builtin `leaky` is `(table 1 funcref)`, which can carry function references, and \
             builtin `leaky` takes a reference to the intrinsic `unsafe-intrinsics::u64-native-load`",
            builtin.display()
        ),
    );
}

/// A builtin that writes the host buffer natively, then never returns, and
/// one that loads from any address it is given (a buggy trusted builtin).
const RUNAWAY_BUILTIN: &str = r#"(module
  (import "unsafe-intrinsics" "store-data-address" (func $sda (result i64)))
  (import "unsafe-intrinsics" "u64-native-load" (func $load (param i64) (result i64)))
  (import "unsafe-intrinsics" "u8-native-store" (func $store8 (param i64 i32)))
  (func (export "mark-and-spin")
    (call $store8 (call $load (call $sda)) (i32.const 0x5a))
    (loop $l (br $l)))
  (func (export "peek") (param i64) (result i64) (call $load (local.get 0))))"#;

const RUNAWAY_APP: &str = r#"(module
  (import "runaway" "mark-and-spin" (func $mark-and-spin))
  (import "runaway" "peek" (func $peek (param i64) (result i64)))
  (func (export "spin") (loop $l (br $l)))
  (func (export "in-builtin") (call $mark-and-spin))
  (func $recurse (export "recurse") (param i32) (result i32)
    (i32.add (call $recurse (local.get 0)) (i32.const 1)))
  (func (export "wild") (result i64) (call $peek (i64.const 8)))
  (func (export "quick") (result i32) (i32.const 5)))"#;

/// Runs `export` of the runaway app linked with its builtin.
fn run_runaway(dir: &Path, export: &str, extra: &[&str]) -> Output {
    let app = dir.join("app.wat");
    let builtin = dir.join("builtin.wat");
    std::fs::write(&app, RUNAWAY_APP).expect("write app");
    std::fs::write(&builtin, RUNAWAY_BUILTIN).expect("write builtin");
    wasm_prelink()
        .arg("run")
        .arg(&app)
        .arg("--builtin")
        .arg(format!("runaway={}", builtin.display()))
        .args(["--invoke", export])
        .args(extra)
        .output()
        .expect("the binary runs")
}

/// Both engines interrupt code the same way (epochs) and word it alike.
const ENGINES: [&str; 2] = ["reference", "wasmtime"];

#[test]
fn a_timeout_stops_an_endless_loop() {
    let dir = scratch("timeout-loop");
    for engine in ENGINES {
        assert_error(
            &run_runaway(&dir, "spin", &["--timeout", "0.2", "--engine", engine]),
            "error: `spin` did not finish within the timeout of 0.2 seconds (`--timeout 0.2`)",
        );
        // A call that returns is unaffected by the option.
        let quick = run_runaway(&dir, "quick", &["--timeout", "30", "--engine", engine]);
        assert!(
            quick.status.success(),
            "{engine}: {}",
            String::from_utf8_lossy(&quick.stderr)
        );
        assert_eq!(stdout(&quick), "5\n", "{engine}");
    }
}

#[test]
fn a_timeout_stops_a_loop_inside_a_builtin_and_the_buffer_is_still_written() {
    let dir = scratch("timeout-builtin");
    for engine in ENGINES {
        let out = dir.join(format!("out-{engine}.bin"));
        assert_error(
            &run_runaway(
                &dir,
                "in-builtin",
                &[
                    "--timeout",
                    "0.2",
                    "--host-buffer-out",
                    &out.to_string_lossy(),
                    "--engine",
                    engine,
                ],
            ),
            "error: `in-builtin` did not finish within the timeout of 0.2 seconds (`--timeout 0.2`)",
        );
        let buffer = std::fs::read(&out).expect("the host buffer was written");
        assert_eq!(buffer.len(), 65536, "{engine}");
        assert_eq!(buffer[0], 0x5a, "{engine}");
    }
}

#[test]
fn an_endless_recursion_under_a_timeout_overflows_the_stack() {
    let dir = scratch("timeout-recursion");
    assert_error(
        &run_runaway(&dir, "recurse", &["0", "--timeout", "60"]),
        "error: `recurse` trapped: call stack exhausted",
    );
}

#[test]
fn a_timeout_stops_a_start_function_that_does_not_return() {
    let dir = scratch("timeout-start");
    let module = dir.join("m.wat");
    std::fs::write(
        &module,
        r#"(module (func $spin (loop $l (br $l))) (start $spin) (func (export "f")))"#,
    )
    .expect("write module");
    for engine in ENGINES {
        let output = wasm_prelink()
            .arg("run")
            .arg(&module)
            .args(["--invoke", "f", "--timeout", "0.1", "--engine", engine])
            .output()
            .expect("the binary runs");
        assert_error(
            &output,
            "error: instantiating the module did not finish within the timeout of 0.1 seconds (`--timeout 0.1`)",
        );
    }
}

#[test]
fn bad_timeouts_are_refused() {
    let dir = scratch("timeout-bad");
    assert_error(
        &run_runaway(&dir, "quick", &["--timeout", "0"]),
        "error: `--timeout 0`: the timeout must be more than 0 seconds, not `0`",
    );
    assert_error(
        &run_runaway(&dir, "quick", &["--timeout", "soon"]),
        "error: `--timeout soon`: `soon` is not a number of seconds",
    );
}

#[test]
fn a_wild_native_access_in_a_builtin_is_a_trap_not_a_crash() {
    let dir = scratch("native-fault");
    assert_error(
        &run_runaway(&dir, "wild", &[]),
        "error: `wild` trapped: native access fault at address 0x8: a native load or store of \
         trusted builtin code touched unmapped memory",
    );
}
