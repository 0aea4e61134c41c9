//! The command line as a user meets it: exit codes, messages that name the
//! input and the item, and output files that are written whole or not at all.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn example(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/host-buf")
        .join(file)
}

fn prelink(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wasm-prelink"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A scratch directory holding the example's inputs and whatever a test adds.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wasm-prelink-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::copy(example("app.wat"), dir.join("app.wat")).expect("copy app");
    std::fs::copy(example("builtin.wat"), dir.join("builtin.wat")).expect("copy builtin");
    dir
}

/// Asserts a failed run: exit status 1, every `needle` in the message, no
/// output file and no leftover temporary file.
fn assert_fails(output: &Output, dir: &Path, needles: &[&str]) {
    let message = stderr(output);
    assert_eq!(output.status.code(), Some(1), "stderr: {message}");
    assert!(message.starts_with("error: "), "stderr: {message}");
    for needle in needles {
        assert!(
            message.contains(needle),
            "`{needle}` missing from: {message}"
        );
    }
    assert!(!message.contains("panicked"), "stderr: {message}");
    assert!(!dir.join("out.wasm").exists(), "a failed link wrote output");
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".pending"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary files left behind: {leftovers:?}"
    );
}

#[test]
fn links_the_example_into_a_valid_module() {
    let dir = scratch("example");
    let output = prelink(
        &[
            "link",
            "app.wat",
            "--builtin",
            "host-buf=builtin.wat",
            "-o",
            "out.wasm",
            "--stats",
        ],
        &dir,
    );
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let wasm = std::fs::read(dir.join("out.wasm")).expect("output written");
    wasmparser::Validator::new_with_features(wasm_prelink::validate::features())
        .validate_all(&wasm)
        .expect("output validates");
    let stats = stderr(&output);
    assert!(stats.contains("imports:  3 resolved"), "stats: {stats}");
    assert!(stats.contains("bytes in"), "stats: {stats}");
    // No import of `host-buf` survives; the intrinsics do.
    let text = wasmprinter::print_bytes(&wasm).expect("prints");
    assert!(!text.contains("(import \"host-buf\""), "{text}");
    assert!(
        text.contains("(import \"unsafe-intrinsics\" \"u8-checked-native-load\""),
        "{text}"
    );
}

#[test]
fn prints_text_with_wat_and_reads_stdin() {
    let dir = scratch("stdin");
    let output = Command::new(env!("CARGO_BIN_EXE_wasm-prelink"))
        .args([
            "link",
            "-",
            "--builtin",
            "host-buf=builtin.wat",
            "--wat",
            "--inline",
            "none",
        ])
        .current_dir(&dir)
        .stdin(std::fs::File::open(dir.join("app.wat")).expect("app"))
        .output()
        .expect("runs");
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let text = String::from_utf8(output.stdout).expect("text output");
    assert!(text.starts_with("(module"), "{text}");
    assert!(
        text.contains("$host-buf::get"),
        "builtin names carry their origin: {text}"
    );
}

#[test]
fn writes_binary_to_a_pipe() {
    let dir = scratch("pipe");
    let output = prelink(
        &["link", "app.wat", "--builtin", "host-buf=builtin.wat"],
        &dir,
    );
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert!(output.stdout.starts_with(b"\0asm"));
}

#[test]
fn identical_inputs_give_identical_bytes() {
    let dir = scratch("determinism");
    let first = prelink(
        &["link", "app.wat", "--builtin", "host-buf=builtin.wat"],
        &dir,
    );
    let second = prelink(
        &["link", "app.wat", "--builtin", "host-buf=builtin.wat"],
        &dir,
    );
    assert!(first.status.success() && second.status.success());
    assert_eq!(first.stdout, second.stdout);
}

#[test]
fn missing_file_names_the_file() {
    let dir = scratch("missing");
    let output = prelink(
        &[
            "link",
            "app.wat",
            "--builtin",
            "host-buf=nope.wat",
            "-o",
            "out.wasm",
        ],
        &dir,
    );
    assert_fails(&output, &dir, &["builtin `host-buf`", "`nope.wat`"]);
    let output = prelink(&["link", "gone.wat", "-o", "out.wasm"], &dir);
    assert_fails(&output, &dir, &["`gone.wat`"]);
}

#[test]
fn malformed_builtin_spec() {
    let dir = scratch("spec");
    let output = prelink(
        &[
            "link",
            "app.wat",
            "--builtin",
            "builtin.wat",
            "-o",
            "out.wasm",
        ],
        &dir,
    );
    assert_fails(
        &output,
        &dir,
        &["`--builtin builtin.wat` must be NAME=FILE"],
    );
    let output = prelink(
        &[
            "link",
            "app.wat",
            "--builtin",
            "=builtin.wat",
            "-o",
            "out.wasm",
        ],
        &dir,
    );
    assert_fails(&output, &dir, &["empty builtin name"]);
}

#[test]
fn invalid_text_names_the_input() {
    let dir = scratch("invalid-wat");
    std::fs::write(
        dir.join("broken.wat"),
        "(module (func (result i32) i32.const))",
    )
    .expect("write");
    let output = prelink(
        &[
            "link",
            "app.wat",
            "--builtin",
            "host-buf=broken.wat",
            "-o",
            "out.wasm",
        ],
        &dir,
    );
    assert_fails(
        &output,
        &dir,
        &[
            "builtin `host-buf` is not a valid WebAssembly module",
            "`broken.wat`",
        ],
    );
}

#[test]
fn truncated_binary_names_the_input() {
    let dir = scratch("truncated");
    let full = prelink(
        &[
            "link",
            "app.wat",
            "--builtin",
            "host-buf=builtin.wat",
            "--inline",
            "none",
        ],
        &dir,
    );
    assert!(full.status.success());
    std::fs::write(dir.join("cut.wasm"), &full.stdout[..full.stdout.len() / 2]).expect("write");
    let output = prelink(&["link", "cut.wasm", "-o", "out.wasm"], &dir);
    assert_fails(
        &output,
        &dir,
        &["the app is not a valid WebAssembly module", "`cut.wasm`"],
    );
}

#[test]
fn unknown_builtin_name_is_an_error() {
    let dir = scratch("unknown-name");
    let output = prelink(
        &[
            "link",
            "app.wat",
            "--builtin",
            "host-buf=builtin.wat",
            "--builtin",
            "hostbuf=builtin.wat",
            "-o",
            "out.wasm",
        ],
        &dir,
    );
    assert_fails(
        &output,
        &dir,
        &[
            "builtin `hostbuf` is not imported",
            "the app imports from `host-buf`",
        ],
    );
}

#[test]
fn missing_builtin_leaves_imports_to_the_host_but_a_missing_export_fails() {
    let dir = scratch("missing-export");
    std::fs::write(
        dir.join("partial.wat"),
        r#"(module (func (export "get") (param i64) (result i32) i32.const 0))"#,
    )
    .expect("write");
    let output = prelink(
        &[
            "link",
            "app.wat",
            "--builtin",
            "host-buf=partial.wat",
            "-o",
            "out.wasm",
        ],
        &dir,
    );
    assert_fails(
        &output,
        &dir,
        &[
            "2 imports cannot be resolved",
            "import `host-buf::set` of the app cannot be resolved: builtin `host-buf` has no export `set` (it exports `get`)",
            "import `host-buf::len` of the app",
        ],
    );
}

#[test]
fn type_mismatch_shows_both_types() {
    let dir = scratch("mismatch");
    std::fs::write(
        dir.join("wrong.wat"),
        r#"(module
            (func (export "get") (param i32) (result i32) i32.const 0)
            (func (export "set") (param i64 i32))
            (global (export "len") i64 (i64.const 0)))"#,
    )
    .expect("write");
    let output = prelink(
        &[
            "link",
            "app.wat",
            "--builtin",
            "host-buf=wrong.wat",
            "-o",
            "out.wasm",
        ],
        &dir,
    );
    assert_fails(
        &output,
        &dir,
        &[
            "import `host-buf::get` of the app expects `(func (param i64) (result i32))`, but builtin `host-buf` exports `get` as `(func (param i32) (result i32))`",
            "import `host-buf::len` of the app expects a function, but builtin `host-buf` exports `len` as a global",
        ],
    );
}

#[test]
fn app_may_not_import_intrinsics() {
    let dir = scratch("intrinsics");
    std::fs::write(
        dir.join("sneaky.wat"),
        r#"(module (import "unsafe-intrinsics" "u8-native-load" (func (param i64) (result i32))))"#,
    )
    .expect("write");
    let output = prelink(&["link", "sneaky.wat", "-o", "out.wasm"], &dir);
    assert_fails(
        &output,
        &dir,
        &["import `unsafe-intrinsics::u8-native-load` of the app is from the intrinsics namespace `unsafe-intrinsics`, which only builtins may import"],
    );
    // With another namespace configured, the same import is an ordinary host import.
    let output = prelink(
        &[
            "link",
            "sneaky.wat",
            "--intrinsics",
            "my-intrinsics",
            "-o",
            "out.wasm",
        ],
        &dir,
    );
    assert!(output.status.success(), "stderr: {}", stderr(&output));
}

#[test]
fn builtin_cycle_is_named() {
    let dir = scratch("cycle");
    std::fs::write(
        dir.join("a.wat"),
        r#"(module (import "b" "f" (func)) (func (export "f")))"#,
    )
    .expect("write");
    std::fs::write(
        dir.join("b.wat"),
        r#"(module (import "a" "f" (func)) (func (export "f")))"#,
    )
    .expect("write");
    std::fs::write(dir.join("main.wat"), r#"(module (import "a" "f" (func)))"#).expect("write");
    let output = prelink(
        &[
            "link",
            "main.wat",
            "--builtin",
            "a=a.wat",
            "--builtin",
            "b=b.wat",
            "-o",
            "out.wasm",
        ],
        &dir,
    );
    assert_fails(
        &output,
        &dir,
        &["builtins import each other in a cycle: `a` -> `b` -> `a`"],
    );
}

#[test]
fn failed_link_keeps_the_previous_output() {
    let dir = scratch("keep");
    std::fs::write(dir.join("out.wasm"), b"previous").expect("write");
    std::fs::write(dir.join("broken.wat"), "(module").expect("write");
    let output = prelink(&["link", "broken.wat", "-o", "out.wasm"], &dir);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        std::fs::read(dir.join("out.wasm")).expect("kept"),
        b"previous"
    );
}

#[test]
fn bad_inline_mode_is_rejected() {
    let dir = scratch("inline-mode");
    let output = prelink(&["link", "app.wat", "--inline", "sometimes"], &dir);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("unknown inline mode `sometimes`"),
        "{}",
        stderr(&output)
    );
}
