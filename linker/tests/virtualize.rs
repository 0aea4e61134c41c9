//! Virtualizers in the library: which input provides each import, how
//! layers stack, what stays a host import, and the errors. Checked on the
//! structure of the output (its imports and where its calls go);
//! behaviour against separate instantiation is checked by the
//! `virtualize-*` differential cases in `snapshots/tests/cases/`.

use wasm_prelink::{InlineMode, LinkError, Linked, Linker};
use wasmparser::{Parser, Payload, TypeRef};

const APP: &str = r#"(module
  (import "env" "log" (func $log (param i32)))
  (import "env" "tick" (func $tick))
  (func (export "run") (call $log (i32.const 1)) (call $tick)))"#;

/// Overrides `env.log`, wrapping the host's.
const LOG: &str = r#"(module
  (import "env" "log" (func $log (param i32)))
  (func (export "log") (param i32)
    (call $log (i32.add (local.get 0) (i32.const 100)))))"#;

/// Overrides `env.tick` with a call to whatever `env.log` it sees.
const TICK: &str = r#"(module
  (import "env" "log" (func $log (param i32)))
  (func (export "tick") (call $log (i32.const -1))))"#;

fn link(virtualizers: &[&str], app: &str) -> Result<Linked, LinkError> {
    let mut linker = Linker::new().inline(InlineMode::None);
    for text in virtualizers {
        linker = linker.virtualize("env", text)?;
    }
    linker.link(app.as_bytes())
}

/// `module::name` of every function import of `wasm`, in order.
fn imports(wasm: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        if let Payload::ImportSection(reader) = payload.expect("output parses") {
            for import in reader.into_imports() {
                let import = import.expect("import parses");
                if matches!(import.ty, TypeRef::Func(_)) {
                    found.push(format!("{}::{}", import.module, import.name));
                }
            }
        }
    }
    found
}

#[test]
fn exported_names_resolve_and_the_rest_stay_host_imports() {
    let linked = link(&[LOG], APP).expect("links");
    // The app's `env.tick` and the virtualizer's own `env.log` reach the
    // host; the app's `env.log` is the virtualizer's.
    assert_eq!(imports(&linked.wasm), ["env::tick", "env::log"]);
    assert_eq!(linked.report.imports_resolved, 1);
    assert_eq!(linked.report.imports_forwarded, 2);
    assert!(linked.report.unused_virtualizers.is_empty());
}

#[test]
fn identical_host_imports_of_app_and_virtualizer_are_shared() {
    // The virtualizer overrides `tick` and imports the host's `log`, which
    // the app imports too: one import serves both.
    let linked = link(&[TICK], APP).expect("links");
    assert_eq!(imports(&linked.wasm), ["env::log"]);
    assert_eq!(linked.report.imports_shared, 1);
}

#[test]
fn later_layers_wrap_earlier_ones() {
    // `TICK` over `LOG`: the app's `tick` is `TICK`'s, whose `env.log` is
    // `LOG`'s, whose `env.log` is the host's; the app's `log` is `LOG`'s.
    let linked = link(&[LOG, TICK], APP).expect("links");
    assert_eq!(imports(&linked.wasm), ["env::log"]);
    assert_eq!(linked.report.imports_resolved, 3);
    assert_eq!(linked.report.imports_shared, 0);
    // In the other order `LOG` wraps `TICK`, which exports no `log`, so
    // `LOG`'s `env.log` is the host's, and so is `TICK`'s.
    let linked = link(&[TICK, LOG], APP).expect("links");
    assert_eq!(imports(&linked.wasm), ["env::log"]);
    assert_eq!(linked.report.imports_resolved, 2);
    assert_eq!(linked.report.imports_shared, 1);
}

#[test]
fn a_layer_providing_nothing_is_reported() {
    let unrelated = r#"(module (func (export "unrelated")))"#;
    let linked = link(&[LOG, unrelated], APP).expect("links");
    assert_eq!(linked.report.unused_virtualizers, ["env"]);
    assert!(linked.report.unused_builtins.is_empty());
}

#[test]
fn builtin_and_virtualizer_of_one_name_are_rejected_in_either_order() {
    let error = Linker::new()
        .builtin("env", LOG)
        .and_then(|l| l.virtualize("env", LOG))
        .expect_err("rejected");
    assert!(matches!(error, LinkError::BuiltinAndVirtualizer(ref n) if n == "env"));
    let error = Linker::new()
        .virtualize("env", LOG)
        .and_then(|l| l.builtin("env", LOG))
        .expect_err("rejected");
    assert_eq!(
        error.to_string(),
        "`env` is given both as a builtin and as a virtualizer; a builtin implements all of a module, a virtualizer wraps the host's, so give one of them"
    );
}

#[test]
fn a_mistyped_export_is_an_error_not_a_fall_through() {
    let wrong = r#"(module (func (export "log") (param i64)))"#;
    let error = link(&[wrong], APP).expect_err("rejected");
    assert_eq!(
        error.to_string(),
        "import `env::log` of the app expects `(func (param i32))`, but virtualizer `env` exports `log` as `(func (param i64))`"
    );
}

#[test]
fn errors_name_the_layer() {
    let wrong = r#"(module (global (export "log") i32 (i32.const 0)))"#;
    let error = link(&[LOG, wrong], APP).expect_err("rejected");
    assert_eq!(
        error.to_string(),
        "import `env::log` of the app expects a function, but virtualizer `env` (layer 2) exports `log` as a global"
    );
}

#[test]
fn the_intrinsics_namespace_cannot_be_virtualized() {
    let error = Linker::new()
        .virtualize("unsafe-intrinsics", LOG)
        .and_then(|l| l.link(APP.as_bytes()))
        .expect_err("rejected");
    assert!(error.to_string().contains("`unsafe-intrinsics`"), "{error}");
}

#[test]
fn the_same_inputs_give_the_same_bytes() {
    let first = link(&[LOG, TICK], APP).expect("links");
    let second = link(&[LOG, TICK], APP).expect("links");
    assert_eq!(first.wasm, second.wasm);
}
