//! The command line as a user meets it: exit codes, messages that name the
//! input and the item, and output files that are written whole or not at all.

mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use support::{assert_fails, assert_no_leftovers, example_scratch, prelink, stderr, wasm_prelink};

#[test]
fn links_the_example_into_a_valid_module() {
    let dir = example_scratch("example");
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
    let dir = example_scratch("stdin");
    let output = wasm_prelink()
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
    let dir = example_scratch("pipe");
    let output = prelink(
        &["link", "app.wat", "--builtin", "host-buf=builtin.wat"],
        &dir,
    );
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert!(output.stdout.starts_with(b"\0asm"));
}

#[test]
fn identical_inputs_give_identical_bytes() {
    let dir = example_scratch("determinism");
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
    let dir = example_scratch("missing");
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
    let dir = example_scratch("spec");
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
    let dir = example_scratch("invalid-wat");
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
    let dir = example_scratch("truncated");
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
    let dir = example_scratch("unknown-name");
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
            "builtin `hostbuf` (from `builtin.wat`) is not imported",
            "the app imports from `host-buf`",
        ],
    );
}

#[test]
fn missing_builtin_leaves_imports_to_the_host_but_a_missing_export_fails() {
    let dir = example_scratch("missing-export");
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
            // An error about a builtin names its file too.
            "cannot link `app.wat` with builtin `host-buf` from `partial.wat`: ",
            "2 imports cannot be resolved",
            "import `host-buf::set` of the app cannot be resolved: builtin `host-buf` has no export `set` (it exports `get`)",
            "import `host-buf::len` of the app",
        ],
    );
}

#[test]
fn type_mismatch_shows_both_types() {
    let dir = example_scratch("mismatch");
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
    let dir = example_scratch("intrinsics");
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
    let dir = example_scratch("cycle");
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
    let dir = example_scratch("keep");
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
    let dir = example_scratch("inline-mode");
    let output = prelink(&["link", "app.wat", "--inline", "sometimes"], &dir);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("unknown inline mode `sometimes`"),
        "{}",
        stderr(&output)
    );
}

/// Runs the command with `stdout` as its standard output.
fn prelink_to(args: &[&str], dir: &Path, stdout: Stdio) -> Output {
    wasm_prelink()
        .args(args)
        .current_dir(dir)
        .stdout(stdout)
        .output()
        .expect("the binary runs")
}

const LINK_EXAMPLE: [&str; 4] = ["link", "app.wat", "--builtin", "host-buf=builtin.wat"];

fn link_example_to(out: &str, dir: &Path) -> Output {
    let mut args = LINK_EXAMPLE.to_vec();
    args.extend(["-o", out]);
    prelink(&args, dir)
}

#[test]
fn output_to_a_device_is_written_into_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let dir = example_scratch("dev-null");
    let output = link_example_to("/dev/null", &dir);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let meta = std::fs::metadata("/dev/null").expect("/dev/null");
    assert!(meta.file_type().is_char_device(), "/dev/null was replaced");
}

#[test]
fn output_to_a_fifo_reaches_its_reader() {
    use std::os::unix::fs::FileTypeExt;
    let dir = example_scratch("fifo");
    let fifo = dir.join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).expect("read the fifo"))
    };
    let output = link_example_to("pipe", &dir);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let received = reader.join().expect("reader");
    assert!(received.starts_with(b"\0asm"), "{} bytes", received.len());
    let meta = std::fs::symlink_metadata(&fifo).expect("fifo");
    assert!(meta.file_type().is_fifo(), "the fifo was replaced");
}

#[test]
fn output_through_a_symlink_writes_its_target() {
    let dir = example_scratch("symlink");
    std::fs::create_dir(dir.join("real")).expect("dir");
    std::fs::write(dir.join("real/target.wasm"), b"old").expect("write");
    std::os::unix::fs::symlink("real/target.wasm", dir.join("link.wasm")).expect("symlink");
    let output = link_example_to("link.wasm", &dir);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let link = std::fs::symlink_metadata(dir.join("link.wasm")).expect("link");
    assert!(link.file_type().is_symlink(), "the link was replaced");
    let written = std::fs::read(dir.join("real/target.wasm")).expect("target");
    assert!(written.starts_with(b"\0asm"));
    // A dangling link gets its target created.
    std::os::unix::fs::symlink("real/new.wasm", dir.join("dangling.wasm")).expect("symlink");
    let output = link_example_to("dangling.wasm", &dir);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert!(std::fs::read(dir.join("real/new.wasm"))
        .expect("created")
        .starts_with(b"\0asm"));
    assert_no_leftovers(&dir.join("real"));
}

#[test]
fn replacing_a_file_keeps_its_mode_and_leaves_other_hard_links_alone() {
    use std::os::unix::fs::PermissionsExt;
    let dir = example_scratch("mode");
    std::fs::write(dir.join("out.wasm"), b"old").expect("write");
    std::fs::set_permissions(dir.join("out.wasm"), std::fs::Permissions::from_mode(0o640))
        .expect("chmod");
    std::fs::hard_link(dir.join("out.wasm"), dir.join("other-name.wasm")).expect("link");
    let output = link_example_to("out.wasm", &dir);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let meta = std::fs::metadata(dir.join("out.wasm")).expect("out");
    assert_eq!(meta.permissions().mode() & 0o7777, 0o640);
    assert!(std::fs::read(dir.join("out.wasm"))
        .expect("out")
        .starts_with(b"\0asm"));
    // Documented: the rename updates the name given, not other names of
    // the old file.
    assert_eq!(
        std::fs::read(dir.join("other-name.wasm")).expect("other"),
        b"old"
    );
    assert_no_leftovers(&dir);
}

#[test]
fn output_naming_an_input_is_refused_before_writing() {
    let dir = example_scratch("overwrite-input");
    let original = std::fs::read(dir.join("app.wat")).expect("app");
    std::fs::hard_link(dir.join("builtin.wat"), dir.join("alias.wat")).expect("hard link");
    std::os::unix::fs::symlink("app.wat", dir.join("app-link.wat")).expect("symlink");
    for (out, what) in [
        ("app.wat", "it is the app (`app.wat`)"),
        ("./app.wat", "it is the app (`app.wat`)"),
        ("app-link.wat", "it is the app (`app.wat`)"),
        ("alias.wat", "it is builtin `host-buf` (`builtin.wat`)"),
    ] {
        let mut args = LINK_EXAMPLE.to_vec();
        args.extend(["-o", out]);
        let output = prelink(&args, &dir);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{out}: {message}");
        assert!(
            message.contains("refusing to write the output"),
            "{message}"
        );
        assert!(message.contains(what), "{out}: {message}");
    }
    assert_eq!(std::fs::read(dir.join("app.wat")).expect("app"), original);
    assert_no_leftovers(&dir);
}

#[test]
fn standard_output_errors_are_errors() {
    let dir = example_scratch("stdout-errors");
    // A reader that is gone: EPIPE.
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let output = prelink_to(&LINK_EXAMPLE, &dir, Stdio::from(writer));
    assert_eq!(output.status.code(), Some(1), "stderr: {}", stderr(&output));
    assert!(
        stderr(&output).contains("cannot write to standard output"),
        "{}",
        stderr(&output)
    );
    // A full disk: ENOSPC.
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let output = prelink_to(&LINK_EXAMPLE, &dir, Stdio::from(full));
    assert_eq!(output.status.code(), Some(1), "stderr: {}", stderr(&output));
    assert!(
        stderr(&output).contains("cannot write to standard output"),
        "{}",
        stderr(&output)
    );
    // No standard output at all.
    let program = env!("CARGO_BIN_EXE_wasm-prelink");
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "exec '{program}' link app.wat --builtin host-buf=builtin.wat >&-"
        ))
        .current_dir(&dir)
        .output()
        .expect("sh runs");
    assert_eq!(output.status.code(), Some(1), "stderr: {}", stderr(&output));
    assert!(
        stderr(&output).contains("standard output: it is closed"),
        "{}",
        stderr(&output)
    );
    // `run` prints its results the same way.
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let output = prelink_to(
        &[
            "run",
            "app.wat",
            "--builtin",
            "host-buf=builtin.wat",
            "--invoke",
            "checksum",
        ],
        &dir,
        Stdio::from(writer),
    );
    assert_eq!(output.status.code(), Some(1), "stderr: {}", stderr(&output));
    assert!(
        stderr(&output).contains("cannot write to standard output"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_file_size_limit_leaves_no_temporary_file() {
    let dir = example_scratch("ulimit");
    let program = env!("CARGO_BIN_EXE_wasm-prelink");
    // One block of the shell's `ulimit -f` is at most 1 KiB; the text of
    // the linked example is several.
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -f 1 && exec '{program}' link app.wat --builtin host-buf=builtin.wat --wat -o out.wat"
        ))
        .current_dir(&dir)
        .output()
        .expect("sh runs");
    let message = stderr(&output);
    assert_eq!(
        output.status.code(),
        Some(1),
        "not a clean error exit: {message}"
    );
    assert!(message.contains("cannot write `out.wat`"), "{message}");
    assert!(!dir.join("out.wat").exists());
    assert_no_leftovers(&dir);
}

#[test]
fn standard_input_given_twice_is_refused() {
    let dir = example_scratch("stdin-twice");
    let output = prelink(
        &["link", "-", "--builtin", "host-buf=-", "-o", "out.wasm"],
        &dir,
    );
    assert_fails(
        &output,
        &dir,
        &["standard input (`-`) is given for the app and builtin `host-buf`"],
    );
    let output = prelink(
        &[
            "link",
            "app.wat",
            "--builtin",
            "a=-",
            "--builtin",
            "b=-",
            "-o",
            "out.wasm",
        ],
        &dir,
    );
    assert_fails(
        &output,
        &dir,
        &["standard input (`-`) is given for builtin `a` and builtin `b`"],
    );
    let output = prelink(
        &[
            "run",
            "-",
            "--builtin",
            "host-buf=-",
            "--invoke",
            "checksum",
        ],
        &dir,
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("given for the module and builtin `host-buf`"));
}

#[test]
fn inputs_that_are_not_modules_say_what_they_are() {
    let dir = example_scratch("not-modules");
    std::fs::write(dir.join("empty.wasm"), b"").expect("write");
    std::fs::write(dir.join("short.wasm"), b"\0as").expect("write");
    std::fs::write(dir.join("bom.wat"), b"\xef\xbb\xbf(module)").expect("write");
    for (file, seen) in [
        ("empty.wasm", "the input is empty"),
        ("short.wasm", "3 byte(s) long (`00 61 73`)"),
        ("bom.wat", "UTF-8 byte-order mark"),
    ] {
        let output = prelink(&["link", file, "-o", "out.wasm"], &dir);
        assert_fails(
            &output,
            &dir,
            &["the app is not a WebAssembly module (binary or text)", seen],
        );
    }
}

#[test]
fn control_characters_in_names_are_escaped() {
    let dir = example_scratch("control-characters");
    let output = prelink(
        &[
            "link",
            "app.wat",
            "--builtin",
            "host-buf=builtin.wat",
            "--builtin",
            "x\u{1b}[2J=builtin.wat",
            "-o",
            "out.wasm",
        ],
        &dir,
    );
    let message = stderr(&output);
    assert_fails(&output, &dir, &["builtin `x\\u{1b}[2J`"]);
    assert!(!message.contains('\u{1b}'), "{message:?}");
}

/// Links the example with a descriptor of `bytes` into `out.wasm`,
/// reporting on stderr.
fn link_with_descriptor(dir: &Path, bytes: &str) -> Output {
    prelink(
        &[
            "link",
            "app.wat",
            "--builtin",
            "host-buf=builtin.wat",
            "--store-data-descriptor",
            bytes,
            "--stats",
            "-o",
            "out.wasm",
        ],
        dir,
    )
}

#[test]
fn bad_store_data_descriptors_are_rejected() {
    let dir = example_scratch("descriptor-bad");
    for bad in ["sixteen", "-1", "4294967296", ""] {
        let output = link_with_descriptor(&dir, bad);
        let message = stderr(&output);
        assert!(!output.status.success(), "`{bad}` accepted");
        assert!(message.contains("--store-data-descriptor"), "{message}");
        assert!(!message.contains("panicked"), "{message}");
        assert!(!dir.join("out.wasm").exists(), "`{bad}` wrote output");
    }
}

/// The `descriptor:` line of `--stats` for a link of the example with a
/// descriptor of `bytes`, if the pass hoisted anything.
fn hoisted_with_descriptor(dir: &Path, bytes: &str) -> Option<String> {
    let output = link_with_descriptor(dir, bytes);
    assert!(output.status.success(), "{}", stderr(&output));
    stderr(&output)
        .lines()
        .find(|line| line.starts_with("descriptor:"))
        .map(str::to_owned)
}

#[test]
fn a_store_data_descriptor_hoists_only_loads_that_fit_inside_it() {
    let dir = example_scratch("descriptor-sizes");
    // The builtin reads `ptr` at 0 and `len` at 8, eight bytes each: a
    // 4-byte descriptor covers neither, 8 bytes only `ptr`, 16 both.
    assert_eq!(hoisted_with_descriptor(&dir, "0"), None);
    assert_eq!(hoisted_with_descriptor(&dir, "4"), None);
    let ptr_only = hoisted_with_descriptor(&dir, "8").expect("ptr loads hoisted");
    let both = hoisted_with_descriptor(&dir, "16").expect("both hoisted");
    let loads = |line: &str| -> usize {
        line.split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no count in `{line}`"))
    };
    assert!(loads(&ptr_only) < loads(&both), "{ptr_only} / {both}");
}

#[test]
fn a_store_data_descriptor_opens_no_way_to_the_intrinsics() {
    // The promise is the embedder's; the app still may not import an
    // intrinsic, and nothing is written.
    let dir = example_scratch("descriptor-trust");
    std::fs::write(
        dir.join("app.wat"),
        r#"(module
          (import "unsafe-intrinsics" "u64-native-load" (func $load (param i64) (result i64)))
          (import "host-buf" "len" (func $len (result i64)))
          (func (export "peek") (result i64) (call $load (call $len))))"#,
    )
    .expect("app written");
    let output = link_with_descriptor(&dir, "16");
    assert_fails(&output, &dir, &["unsafe-intrinsics", "u64-native-load"]);
}
