//! What the command-line tests share: running the `wasm-prelink` binary,
//! scratch directories, the host-buf example's files, and the checks every
//! failed run must pass (exit status 1, one `error: ` message, no panic, no
//! output file and no temporary file left behind).
//!
//! Each file of `cli/tests/` is its own test crate and includes this module
//! with `mod support;`.

// Each test crate compiles its own copy of this module and uses only part
// of it, so a helper one file does not call is not dead code.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The path of `path` (relative to the repository root), as an argument of
/// the command.
pub fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
        .to_string_lossy()
        .into_owned()
}

/// The path of `file` of the host-buf example (`app.wat`, `builtin.wat`),
/// as an argument of the command.
pub fn example(file: &str) -> String {
    repo(&format!("examples/host-buf/{file}"))
}

/// The binary under test, with no standard input.
pub fn wasm_prelink() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wasm-prelink"));
    command.stdin(Stdio::null());
    command
}

/// Runs the binary with `args` in `dir`.
pub fn prelink(args: &[&str], dir: &Path) -> Output {
    wasm_prelink()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

/// The standard output of a run, as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The standard error of a run, as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// An empty scratch directory for the test `name`, unique to this test
/// file (its crate name) and process; emptied first if a run left it.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "wasm-prelink-{}-{}-{name}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A scratch directory holding the host-buf example's `app.wat` and
/// `builtin.wat`, and whatever the test adds.
pub fn example_scratch(name: &str) -> PathBuf {
    let dir = scratch(name);
    for file in ["app.wat", "builtin.wat"] {
        std::fs::copy(example(file), dir.join(file)).expect("copy the example");
    }
    dir
}

/// Asserts a failed link in `dir`: exit status 1, every `needle` in the
/// message, no panic, no output file `out.wasm` and no leftover temporary
/// file.
pub fn assert_fails(output: &Output, dir: &Path, needles: &[&str]) {
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
    assert_no_leftovers(dir);
}

/// Asserts that no temporary file (`*.pending`) is left in `dir`.
pub fn assert_no_leftovers(dir: &Path) {
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

/// Asserts a failed run: exit status 1, exactly the message `expected` on
/// standard error, nothing on standard output.
pub fn assert_error(output: &Output, expected: &str) {
    let message = stderr(output);
    assert_eq!(output.status.code(), Some(1), "stderr: {message}");
    assert_eq!(message.trim_end(), expected);
    assert!(output.stdout.is_empty());
}

/// Builds the C example (`examples/c-host-buf/build.sh`) into `dir/build`,
/// with `-g` when `debug`; fails the test, saying why, without clang for
/// wasm32 rather than skipping.
pub fn build_c_example(dir: &Path, debug: bool) -> PathBuf {
    let dwarf = if debug { Dwarf::Default } else { Dwarf::None };
    build_c_example_as(&dir.join("build"), dwarf)
}

/// [`build_c_example`] with DWARF of version `version` (5: sections and
/// forms only gimli's converting path reads), into
/// `dir/build-dwarf<version>`.
pub fn build_c_example_dwarf(dir: &Path, version: u8) -> PathBuf {
    let built = dir.join(format!("build-dwarf{version}"));
    build_c_example_as(&built, Dwarf::Version(version))
}

/// What debug information the C example is built with.
enum Dwarf {
    None,
    /// `-g`: clang's default version for wasm32, 4.
    Default,
    Version(u8),
}

/// Runs the C example's build script into `built`.
fn build_c_example_as(built: &Path, dwarf: Dwarf) -> PathBuf {
    let script = repo("examples/c-host-buf/build.sh");
    let mut command = Command::new(&script);
    command.env("OUT_DIR", built);
    match dwarf {
        Dwarf::None => {}
        Dwarf::Default => {
            command.env("DEBUG", "1");
        }
        Dwarf::Version(version) => {
            command
                .env("DEBUG", "1")
                .env("DWARF_VERSION", version.to_string());
        }
    }
    let build = command.output().expect("build.sh runs");
    assert!(
        build.status.success(),
        "`{script}` failed (clang for wasm32 is needed):\n{}",
        String::from_utf8_lossy(&build.stderr)
    );
    built.to_path_buf()
}

/// Where the contents of a module's Code section start, and where each of
/// its instructions starts, as file offsets: DWARF addresses code relative
/// to the first, source maps by the second.
pub fn instruction_offsets(wasm: &[u8]) -> (u64, Vec<u64>) {
    let mut base = 0;
    let mut starts = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload.expect("valid module") {
            wasmparser::Payload::CodeSectionStart {
                unchecked_range, ..
            } => base = unchecked_range.start,
            wasmparser::Payload::CodeSectionEntry(body) => {
                let mut ops = body.get_operators_reader().expect("operators");
                while !ops.eof() {
                    starts.push(ops.original_position());
                    ops.read().expect("operator");
                }
            }
            _ => {}
        }
    }
    (base, starts)
}
