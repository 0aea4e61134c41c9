//! `--virtualize NAME=FILE` on the command line: what it links, how layers
//! stack, and every mistake a user can make with it, each one message
//! naming the option, the input and the item, with exit status 1 and no
//! output file.

mod support;

use std::path::PathBuf;
use support::{assert_fails, example, prelink, stderr, stdout};

/// An app of host module `env`, a virtualizer overriding one function, a
/// second layer over it, and the host-buf example's builtin.
fn scratch(name: &str) -> PathBuf {
    let dir = support::scratch(name);
    let files = [
        (
            "app.wat",
            r#"(module
  (import "env" "log" (func $log (param i32)))
  (import "env" "tick" (func $tick))
  (func (export "run") (call $log (i32.const 1)) (call $tick)))"#,
        ),
        (
            "virt.wat",
            r#"(module
  (import "env" "log" (func $log (param i32)))
  (func (export "log") (param i32)
    (call $log (i32.add (local.get 0) (i32.const 100)))))"#,
        ),
        (
            "virt-tick.wat",
            r#"(module
  (import "env" "log" (func $log (param i32)))
  (func (export "tick") (call $log (i32.const -1))))"#,
        ),
        (
            "wrong-type.wat",
            r#"(module (func (export "log") (param i64)))"#,
        ),
        ("unrelated.wat", r#"(module (func (export "unrelated")))"#),
        ("invalid.wat", "(module (func (call $nowhere)))"),
    ];
    for (file, text) in files {
        std::fs::write(dir.join(file), text).expect("write input");
    }
    dir
}

/// The imports of a linked module printed with `--wat`, in order.
fn imports(wat: &str) -> Vec<String> {
    wat.lines()
        .filter(|l| l.trim_start().starts_with("(import "))
        .map(|l| {
            let mut quoted = l.split('"').skip(1).step_by(2);
            format!(
                "{}::{}",
                quoted.next().unwrap_or(""),
                quoted.next().unwrap_or("")
            )
        })
        .collect()
}

#[test]
fn overridden_imports_resolve_and_the_rest_stay_host_imports() {
    let dir = scratch("link");
    let output = prelink(
        &[
            "link",
            "app.wat",
            "--virtualize",
            "env=virt.wat",
            "--wat",
            "--inline",
            "none",
            "--stats",
        ],
        &dir,
    );
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    // The app's `env.log` is the virtualizer's; the app's `env.tick` and
    // the virtualizer's own `env.log` are the host's (the app's forwarded
    // imports come first).
    assert_eq!(imports(&stdout(&output)), ["env::tick", "env::log"]);
    assert!(
        stderr(&output).contains("imports:  1 resolved, 2 forwarded to the host (0 shared)"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn layers_stack_in_the_order_given() {
    let dir = scratch("layers");
    let output = prelink(
        &[
            "link",
            "app.wat",
            "--virtualize",
            "env=virt.wat",
            "--virtualize",
            "env=virt-tick.wat",
            "--wat",
            "--inline",
            "none",
            "--stats",
        ],
        &dir,
    );
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    // The app's `log` is the first layer's, its `tick` the second's; the
    // second layer's own `env.log` is the first layer's `log`, and only the
    // first layer's `env.log` reaches the host.
    assert_eq!(imports(&stdout(&output)), ["env::log"]);
    assert!(
        stderr(&output).contains("imports:  3 resolved, 1 forwarded to the host (0 shared)"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn run_links_virtualizers_first() {
    let dir = scratch("run");
    std::fs::write(
        dir.join("plus-one.wat"),
        r#"(module
  (import "host-buf" "get" (func $get (param i64) (result i32)))
  (func (export "get") (param i64) (result i32)
    (i32.add (call $get (local.get 0)) (i32.const 1))))"#,
    )
    .expect("write input");
    std::fs::write(dir.join("buffer.bin"), [1u8, 2, 255, 7]).expect("write buffer");
    let app = example("app.wat");
    let bottom = format!("host-buf={}", example("builtin.wat"));
    let args = |layers: &[&str]| {
        let mut args = vec![
            "run".to_string(),
            app.clone(),
            "--host-buffer".into(),
            "buffer.bin".into(),
            "--invoke".into(),
            "checksum".into(),
        ];
        for layer in layers {
            args.push("--virtualize".into());
            args.push(layer.to_string());
        }
        args
    };
    let run = |layers: &[&str]| {
        let args = args(layers);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        prelink(&args, &dir)
    };
    // The example builtin as a single layer serves every import.
    let one = run(&[&bottom]);
    assert!(one.status.success(), "stderr: {}", stderr(&one));
    assert_eq!(stdout(&one), "265\n");
    // A second layer over it adds one to every byte read.
    let two = run(&[&bottom, "host-buf=plus-one.wat"]);
    assert!(two.status.success(), "stderr: {}", stderr(&two));
    assert_eq!(stdout(&two), "269\n");
}

#[test]
fn malformed_specs_are_rejected() {
    let dir = scratch("spec");
    for (spec, message) in [
        ("virt.wat", "`--virtualize virt.wat` must be NAME=FILE"),
        (
            "=virt.wat",
            "`--virtualize =virt.wat` has an empty module name",
        ),
        ("env=", "`--virtualize env=` has an empty file name"),
    ] {
        let output = prelink(
            &["link", "app.wat", "--virtualize", spec, "-o", "out.wasm"],
            &dir,
        );
        assert_fails(&output, &dir, &[message]);
    }
}

#[test]
fn unreadable_and_invalid_files_name_the_virtualizer() {
    let dir = scratch("files");
    let output = prelink(
        &[
            "link",
            "app.wat",
            "--virtualize",
            "env=gone.wat",
            "-o",
            "out.wasm",
        ],
        &dir,
    );
    assert_fails(
        &output,
        &dir,
        &["cannot read virtualizer `env`", "cannot read `gone.wat`"],
    );
    let output = prelink(
        &[
            "link",
            "app.wat",
            "--virtualize",
            "env=invalid.wat",
            "-o",
            "out.wasm",
        ],
        &dir,
    );
    assert_fails(
        &output,
        &dir,
        &[
            "virtualizer `env` from `invalid.wat`",
            "virtualizer `env` is not a valid WebAssembly module",
            "$nowhere",
        ],
    );
}

#[test]
fn a_builtin_and_a_virtualizer_of_one_name_are_rejected() {
    let dir = scratch("both");
    for order in [
        ["--builtin", "env=virt.wat", "--virtualize", "env=virt.wat"],
        ["--virtualize", "env=virt.wat", "--builtin", "env=virt.wat"],
    ] {
        let mut args = vec!["link", "app.wat", "-o", "out.wasm"];
        args.extend(order);
        let output = prelink(&args, &dir);
        assert_fails(
            &output,
            &dir,
            &["`env` is given both as a builtin and as a virtualizer"],
        );
    }
}

#[test]
fn a_mistyped_override_is_an_error_not_a_fall_through() {
    let dir = scratch("type");
    let output = prelink(
        &[
            "link",
            "app.wat",
            "--virtualize",
            "env=wrong-type.wat",
            "-o",
            "out.wasm",
        ],
        &dir,
    );
    assert_fails(
        &output,
        &dir,
        &[
            "cannot link `app.wat`",
            "import `env::log` of the app expects `(func (param i32))`, but virtualizer `env` exports `log` as `(func (param i64))`",
        ],
    );
}

#[test]
fn a_virtualizer_that_provides_nothing_is_an_error() {
    let dir = scratch("unused");
    let output = prelink(
        &[
            "link",
            "app.wat",
            "--virtualize",
            "env=unrelated.wat",
            "-o",
            "out.wasm",
        ],
        &dir,
    );
    assert_fails(
        &output,
        &dir,
        &[
            "virtualizer `env` exports nothing the app or a builtin imports from `env`",
            "the app imports from `env`",
        ],
    );
}
