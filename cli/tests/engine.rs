//! `wasm-prelink run` on both engines: every invocation here runs once on
//! the reference runtime and once with `--engine wasmtime`, and the two
//! must agree on standard output, standard error, exit status and the host
//! buffer written afterwards. The reference engine is the oracle; these
//! tests prove the Wasmtime path (link, wrap, compile with the intrinsics
//! exposed, call through the component) changes nothing a user can see.

mod support;

use std::path::Path;
use support::{build_c_example, repo, scratch, wasm_prelink};

/// What one engine did.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    status: Option<i32>,
    stdout: String,
    stderr: String,
    buffer: Option<Vec<u8>>,
}

/// Runs `wasm-prelink run ARGS --engine ENGINE`, writing the host buffer
/// to a file of `dir` and reading it back.
fn run_on(engine: &str, dir: &Path, args: &[&str]) -> Outcome {
    let out = dir.join(format!("buffer-{engine}.bin"));
    let _ = std::fs::remove_file(&out);
    let output = wasm_prelink()
        .arg("run")
        .args(args)
        .args(["--engine", engine, "--host-buffer-out"])
        .arg(&out)
        .output()
        .expect("the binary runs");
    Outcome {
        status: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        buffer: std::fs::read(&out).ok(),
    }
}

/// Runs `args` on both engines, requires the same outcome, returns it.
fn same_on_both(dir: &Path, args: &[&str]) -> Outcome {
    let reference = run_on("reference", dir, args);
    let wasmtime = run_on("wasmtime", dir, args);
    assert_eq!(reference, wasmtime, "`run {}`", args.join(" "));
    reference
}

/// The host-buf example's app with its builtin, `export` and `extra`.
fn host_buf<'a>(export: &'a str, extra: &[&'a str]) -> Vec<String> {
    let mut args = vec![
        repo("examples/host-buf/app.wat"),
        "--builtin".to_owned(),
        format!("host-buf={}", repo("examples/host-buf/builtin.wat")),
        "--invoke".to_owned(),
        export.to_owned(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[test]
fn the_host_buffer_example_agrees() {
    let dir = scratch("host-buf");
    let input = dir.join("in.bin");
    std::fs::write(&input, [1u8, 2, 255, 7, 0, 9]).expect("write input");
    let input = input.to_string_lossy().into_owned();

    let checksum = same_on_both(
        &dir,
        &strs(&host_buf("checksum", &["--host-buffer", &input])),
    );
    assert_eq!(
        (checksum.status, checksum.stdout.as_str()),
        (Some(0), "274\n")
    );

    let increment = same_on_both(
        &dir,
        &strs(&host_buf("increment-all", &["--host-buffer", &input])),
    );
    assert_eq!(increment.status, Some(0));
    assert_eq!(
        increment.buffer.as_deref(),
        Some(&[2u8, 3, 0, 8, 1, 10][..])
    );

    let peek = same_on_both(
        &dir,
        &strs(&host_buf("peek", &["2", "--host-buffer", &input])),
    );
    assert_eq!(peek.stdout, "255\n");
}

#[test]
fn out_of_range_traps_alike_and_the_buffer_is_still_written() {
    let dir = scratch("trap");
    let input = dir.join("in.bin");
    std::fs::write(&input, [5u8; 10]).expect("write input");
    let input = input.to_string_lossy().into_owned();
    for index in ["10", "-1", "0xffffffffffffffff"] {
        let trap = same_on_both(
            &dir,
            &strs(&host_buf("peek", &[index, "--host-buffer", &input])),
        );
        assert_eq!(trap.status, Some(1));
        assert_eq!(
            trap.stderr,
            "error: `peek` trapped: out of bounds memory access\n"
        );
        assert_eq!(trap.buffer.as_deref(), Some(&[5u8; 10][..]));
    }
    // An empty buffer: every index is out of range.
    let empty = dir.join("empty.bin");
    std::fs::write(&empty, []).expect("write input");
    let trap = same_on_both(
        &dir,
        &strs(&host_buf(
            "peek",
            &["0", "--host-buffer", &empty.to_string_lossy()],
        )),
    );
    assert_eq!(trap.status, Some(1));
    assert_eq!(trap.buffer.as_deref(), Some(&[][..]));
}

#[test]
fn argument_errors_read_the_same() {
    let dir = scratch("arguments");
    for extra in [
        &["two"][..],
        &[][..],
        &["1", "2"][..],
        &["18446744073709551616"][..],
    ] {
        let outcome = same_on_both(&dir, &strs(&host_buf("peek", extra)));
        assert_eq!(outcome.status, Some(1));
        assert!(outcome.stderr.starts_with("error: "), "{}", outcome.stderr);
    }
    let missing = same_on_both(&dir, &strs(&host_buf("pek", &[])));
    assert_eq!(missing.status, Some(1));
    assert!(
        missing.stderr.contains("no function export `pek`"),
        "{}",
        missing.stderr
    );
}

/// A module with no builtins and no intrinsics: every number type as
/// parameter and result, and the traps Wasm itself raises.
const NUMBERS: &str = r#"(module
  (func (export "neg") (param i32) (result i32) (i32.sub (i32.const 0) (local.get 0)))
  (func (export "wide") (param i64) (result i64) (i64.mul (local.get 0) (i64.const 3)))
  (func (export "unsigned") (result i32) (i32.const 0xffff_fff0))
  (func (export "half") (param f32) (result f32) (f32.div (local.get 0) (f32.const 2)))
  (func (export "root") (param f64) (result f64) (f64.sqrt (local.get 0)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "nothing"))
  (func (export "stop") (unreachable))
  (func $deep (export "deep") (call $deep))
  (func (export "convert") (param f64) (result i32) (i32.trunc_f64_s (local.get 0))))"#;

#[test]
fn plain_modules_agree_on_values_and_traps() {
    let dir = scratch("numbers");
    let module = dir.join("numbers.wat");
    std::fs::write(&module, NUMBERS).expect("write module");
    let module = module.to_string_lossy().into_owned();
    let cases: &[(&str, &[&str], &str)] = &[
        ("neg", &["5"], "-5\n"),
        ("neg", &["-2147483648"], "-2147483648\n"),
        ("wide", &["0x7fffffffffffffff"], "9223372036854775805\n"),
        ("unsigned", &[], "-16\n"),
        ("half", &["3"], "1.5\n"),
        ("half", &["inf"], "inf\n"),
        ("root", &["2"], "1.4142135623730951\n"),
        ("root", &["-1"], "NaN\n"),
        ("div", &["7", "-2"], "-3\n"),
        ("nothing", &[], ""),
    ];
    for (export, args, expected) in cases {
        let mut all = vec![module.as_str(), "--invoke", export];
        all.extend_from_slice(args);
        let outcome = same_on_both(&dir, &all);
        assert_eq!(
            (outcome.status, outcome.stdout.as_str()),
            (Some(0), *expected)
        );
    }
    let traps: &[(&str, &[&str], &str)] = &[
        ("div", &["1", "0"], "integer divide by zero"),
        ("div", &["-2147483648", "-1"], "integer overflow"),
        ("stop", &[], "unreachable"),
        ("deep", &[], "call stack exhausted"),
        ("convert", &["nan"], "invalid conversion to integer"),
    ];
    for (export, args, trap) in traps {
        let mut all = vec![module.as_str(), "--invoke", export];
        all.extend_from_slice(args);
        let outcome = same_on_both(&dir, &all);
        assert_eq!(outcome.status, Some(1));
        assert_eq!(
            outcome.stderr,
            format!("error: `{export}` trapped: {trap}\n")
        );
    }
}

/// The clang-built C example of `examples/c-host-buf/`, linked with its C
/// builtin by `run` itself: every command agrees on both engines, state
/// carried in the buffer from one call to the next, and out of range it
/// traps on both. Needs clang for wasm32 and fails without it (see
/// `examples/c-host-buf/build.sh` for what to install).
#[test]
fn the_c_example_agrees() {
    let dir = scratch("c-example");
    let built = build_c_example(&dir, false);
    let app = built.join("app.wasm").to_string_lossy().into_owned();
    let builtin = format!("host-buf={}", built.join("builtin.wasm").display());
    // Blocks of noise, a gradient and runs, so every command has work.
    let mut input: Vec<u8> = (0..20_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    input.extend((0..20_000u32).map(|i| (i / 300) as u8));
    let buffer = dir.join("buffer.bin");
    std::fs::write(&buffer, &input).expect("write input");
    let commands: &[&[&str]] = &[
        &["crc32"],
        &["adler32"],
        &["histogram"],
        &["histogram_mode"],
        &["histogram_bin", "13"],
        &["filter", "0", "256"],
        &["filter", "1", "1024"],
        &["filter", "2", "777"],
        &["filter", "3", "4096"],
        &["filter", "9", "16"],
        &["rle_encode", "30000"],
        &["increment_all"],
        &["poke", "5", "200"],
        &["peek", "5"],
        &["length"],
    ];
    for command in commands {
        let mut args = vec![app.as_str(), "--builtin", &builtin, "--invoke"];
        args.extend_from_slice(command);
        let buffer_in = buffer.to_string_lossy().into_owned();
        args.extend(["--host-buffer", &buffer_in]);
        let outcome = same_on_both(&dir, &args);
        assert_eq!(outcome.status, Some(0), "{command:?}: {}", outcome.stderr);
        // The next command starts from what this one left.
        std::fs::write(&buffer, outcome.buffer.expect("a buffer")).expect("write buffer");
    }
    let buffer_in = buffer.to_string_lossy().into_owned();
    for index in ["40000", "18446744073709551615"] {
        let args = [
            app.as_str(),
            "--builtin",
            &builtin,
            "--invoke",
            "peek",
            index,
            "--host-buffer",
            &buffer_in,
        ];
        let trap = same_on_both(&dir, &args);
        assert_eq!(trap.status, Some(1));
        assert_eq!(
            trap.stderr,
            "error: `peek` trapped: out of bounds memory access\n"
        );
    }
}

/// A WASI command linked with a builtin that uses the intrinsics: on
/// Wasmtime it goes through the preview1 adapter with the caller's
/// standard streams and arguments and keeps its intrinsics import. The
/// standard adapter turns `proc_exit` into WASI 0.2's `exit`, which carries
/// success or failure only, so a non-zero status arrives as 1.
#[test]
fn a_wasi_command_runs_on_wasmtime_with_its_intrinsics() {
    let dir = scratch("wasi-command");
    let app = dir.join("app.wat");
    let builtin = dir.join("builtin.wat");
    std::fs::write(
        &app,
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "host-buf" "first" (func $first (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "first byte: ? args: ?\n")
  (func (export "_start")
    ;; The byte the builtin read through the intrinsics, as a digit.
    (i32.store8 (i32.const 28) (i32.add (i32.const 48) (call $first)))
    ;; The number of arguments: the program name and two more.
    (drop (call $args_sizes_get (i32.const 64) (i32.const 68)))
    (i32.store8 (i32.const 36) (i32.add (i32.const 48) (i32.load (i32.const 64))))
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 22))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $proc_exit (i32.const 3))))"#,
    )
    .expect("write app");
    std::fs::write(
        &builtin,
        r#"(module
  (import "unsafe-intrinsics" "store-data-address" (func $data (result i64)))
  (import "unsafe-intrinsics" "u64-native-load" (func $load64 (param i64) (result i64)))
  (import "unsafe-intrinsics" "u8-native-load" (func $load8 (param i64) (result i32)))
  (func (export "first") (result i32)
    (call $load8 (call $load64 (call $data)))))"#,
    )
    .expect("write builtin");
    let buffer = dir.join("buffer.bin");
    std::fs::write(&buffer, [7u8, 1, 2]).expect("write buffer");
    let output = wasm_prelink()
        .arg("run")
        .arg(&app)
        .arg("--builtin")
        .arg(format!("host-buf={}", builtin.display()))
        .arg("--host-buffer")
        .arg(&buffer)
        .args(["--engine", "wasmtime", "--invoke", "_start", "a", "b"])
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "first byte: 7 args: 3\n",
        "stderr: {stderr}"
    );
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert_eq!(stderr, "");
}
