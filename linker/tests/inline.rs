//! The inliner and dead-code removal, checked on the structure of the
//! output: which calls remain, what was removed, that recursion and tail
//! calls keep their shape, that the guards hold, and that output is
//! deterministic. Behaviour (results, traps, effects) is checked against
//! unlinked runs by the differential cases in `snapshots/tests/cases/`.

use std::path::Path;
use wasm_prelink::{InlineMode, Linked, Linker};
use wasmparser::{ExternalKind, Operator, Parser, Payload, TypeRef};

fn example(file: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/host-buf")
        .join(file);
    std::fs::read(path).expect("example exists")
}

fn link(mode: InlineMode, builtins: &[(&str, &str)], app: &str) -> Linked {
    let mut linker = Linker::new().inline(mode);
    for (name, text) in builtins {
        linker = linker.builtin(name, text).expect("builtin parses");
    }
    linker.link(app.as_bytes()).expect("links")
}

fn link_host_buf(mode: InlineMode) -> Linked {
    Linker::new()
        .inline(mode)
        .builtin("host-buf", example("builtin.wat"))
        .expect("builtin parses")
        .link(&example("app.wat"))
        .expect("links")
}

/// A function of the output as the tests look at it.
#[derive(Debug, Clone)]
enum Func {
    /// An import: module and name.
    Import(String, String),
    /// A defined function: what its body calls (`call` and `return_call`,
    /// with whether it was a tail call).
    Defined { calls: Vec<(u32, bool)> },
}

/// The functions of a module and its function exports.
struct Shape {
    funcs: Vec<Func>,
    exports: Vec<(String, u32)>,
}

impl Shape {
    fn of(wasm: &[u8]) -> Shape {
        let mut funcs = Vec::new();
        let mut exports = Vec::new();
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.expect("parses") {
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports() {
                        let import = import.expect("import");
                        if let TypeRef::Func(_) = import.ty {
                            funcs.push(Func::Import(import.module.into(), import.name.into()));
                        }
                    }
                }
                Payload::ExportSection(reader) => {
                    for export in reader {
                        let export = export.expect("export");
                        if export.kind == ExternalKind::Func {
                            exports.push((export.name.to_string(), export.index));
                        }
                    }
                }
                Payload::CodeSectionEntry(body) => {
                    let mut calls = Vec::new();
                    let mut reader = body.get_operators_reader().expect("body");
                    while !reader.eof() {
                        match reader.read().expect("operator") {
                            Operator::Call { function_index } => {
                                calls.push((function_index, false))
                            }
                            Operator::ReturnCall { function_index } => {
                                calls.push((function_index, true))
                            }
                            _ => {}
                        }
                    }
                    funcs.push(Func::Defined { calls });
                }
                _ => {}
            }
        }
        Shape { funcs, exports }
    }

    fn export(&self, name: &str) -> u32 {
        self.exports
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no export `{name}`"))
            .1
    }

    /// Calls made by the exported function `name`, with the callee
    /// described as `module::name` for imports and `defined` otherwise.
    fn calls_of(&self, name: &str) -> Vec<(String, bool)> {
        let Func::Defined { calls, .. } = &self.funcs[self.export(name) as usize] else {
            panic!("`{name}` is an import");
        };
        calls
            .iter()
            .map(|&(callee, tail)| {
                let what = match &self.funcs[callee as usize] {
                    Func::Import(module, name) => format!("{module}::{name}"),
                    Func::Defined { .. } => "defined".to_string(),
                };
                (what, tail)
            })
            .collect()
    }

    fn defined(&self) -> usize {
        self.funcs
            .iter()
            .filter(|f| matches!(f, Func::Defined { .. }))
            .count()
    }

    fn imports(&self) -> Vec<String> {
        self.funcs
            .iter()
            .filter_map(|f| match f {
                Func::Import(module, name) => Some(format!("{module}::{name}")),
                Func::Defined { .. } => None,
            })
            .collect()
    }
}

fn text(wasm: &[u8]) -> String {
    wasmprinter::print_bytes(wasm).expect("prints")
}

#[test]
fn host_buf_loops_call_only_intrinsics() {
    let linked = link_host_buf(InlineMode::Auto);
    let shape = Shape::of(&linked.wasm);
    for export in ["increment-all", "checksum", "peek"] {
        let calls = shape.calls_of(export);
        assert!(!calls.is_empty(), "`{export}` calls the intrinsics");
        for (callee, _) in calls {
            assert!(
                callee.starts_with("unsafe-intrinsics::"),
                "`{export}` still calls {callee}"
            );
        }
    }
    // `get`, `set`, `len` and both helpers were copied and then removed.
    assert_eq!(shape.defined(), 3);
    let counts = linked.report.inlining;
    assert_eq!(counts.calls_inlined, 6);
    assert_eq!(counts.functions_removed, 5);
    assert_eq!(counts.bytes_after, linked.wasm.len());
    assert!(counts.bytes_before > 0);
}

#[test]
fn host_buf_snapshot() {
    insta::assert_snapshot!(text(&link_host_buf(InlineMode::Auto).wasm));
}

#[test]
fn output_is_byte_identical_across_runs() {
    for mode in [InlineMode::None, InlineMode::Auto, InlineMode::All] {
        let first = link_host_buf(mode).wasm;
        let second = link_host_buf(mode).wasm;
        assert_eq!(first, second, "{mode:?}");
    }
}

#[test]
fn none_merges_only() {
    let linked = link_host_buf(InlineMode::None);
    let shape = Shape::of(&linked.wasm);
    assert_eq!(shape.defined(), 8);
    assert!(shape
        .calls_of("peek")
        .iter()
        .all(|(callee, _)| callee == "defined"));
    let counts = linked.report.inlining;
    assert_eq!(counts.calls_inlined, 0);
    assert_eq!(counts.functions_removed, 0);
    assert_eq!(counts.bytes_before, counts.bytes_after);
}

const RECURSIVE: &str = r#"(module
  (func $fact (export "fact") (param i64) (result i64)
    (if (result i64) (i64.le_u (local.get 0) (i64.const 1))
      (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fact (i64.sub (local.get 0) (i64.const 1)))))))
  (func $even (export "even") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 1))
      (else (return_call $odd (i32.sub (local.get 0) (i32.const 1))))))
  (func $odd (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (return_call $even (i32.sub (local.get 0) (i32.const 1))))))
  ;; Not recursive itself, but tail-calls into the cycle.
  (func (export "parity") (param i32) (result i32)
    (return_call $even (local.get 0))))"#;

const RECURSIVE_APP: &str = r#"(module
  (import "rec" "fact" (func $fact (param i64) (result i64)))
  (import "rec" "even" (func $even (param i32) (result i32)))
  (import "rec" "parity" (func $parity (param i32) (result i32)))
  (func (export "fact") (param i64) (result i64) (call $fact (local.get 0)))
  (func (export "even") (param i32) (result i32) (call $even (local.get 0)))
  (func (export "parity-call") (param i32) (result i32) (call $parity (local.get 0)))
  (func (export "parity-tail") (param i32) (result i32) (return_call $parity (local.get 0))))"#;

#[test]
fn recursion_stays_a_call() {
    for mode in [InlineMode::Auto, InlineMode::All] {
        let linked = link(mode, &[("rec", RECURSIVE)], RECURSIVE_APP);
        let shape = Shape::of(&linked.wasm);
        assert_eq!(shape.calls_of("fact"), [("defined".to_string(), false)]);
        assert_eq!(shape.calls_of("even"), [("defined".to_string(), false)]);
        // `parity` is inlined; its tail call into the cycle becomes a plain
        // call at a plain call site...
        assert_eq!(
            shape.calls_of("parity-call"),
            [("defined".to_string(), false)]
        );
        // ...and stays a tail call at a tail call site, so the chain keeps
        // running in constant stack.
        assert_eq!(
            shape.calls_of("parity-tail"),
            [("defined".to_string(), true)]
        );
        // fact, even and odd remain; parity was removed.
        assert_eq!(shape.defined(), 4 + 3, "{mode:?}");
    }
}

#[test]
fn auto_respects_the_size_bound_and_all_does_not() {
    // A callee of well over 64 instructions.
    let body = "(local.set 0 (i32.add (local.get 0) (i32.const 1)))\n".repeat(40);
    let builtin = format!(
        r#"(module (func (export "big") (param i32) (result i32) {body} (local.get 0))
                   (func (export "small") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))"#
    );
    let app = r#"(module
      (import "b" "big" (func $big (param i32) (result i32)))
      (import "b" "small" (func $small (param i32) (result i32)))
      (func (export "run") (param i32) (result i32)
        (call $small (call $big (local.get 0)))))"#;
    let auto = Shape::of(&link(InlineMode::Auto, &[("b", &builtin)], app).wasm);
    assert_eq!(auto.calls_of("run"), [("defined".to_string(), false)]);
    let all = Shape::of(&link(InlineMode::All, &[("b", &builtin)], app).wasm);
    assert!(all.calls_of("run").is_empty());
    assert_eq!(all.defined(), 1);
}

#[test]
fn all_is_guarded_against_exponential_growth() {
    // f0 calls f1 twice, f1 calls f2 twice, ... : fully inlined, f0 would
    // hold 2^40 copies of f40.
    let mut builtin = String::from("(module\n");
    for i in 0..40 {
        builtin.push_str(&format!(
            "(func $f{i} (param i32) (result i32) (call $f{next} (call $f{next} (local.get 0))))\n",
            next = i + 1
        ));
    }
    builtin.push_str(
        "(func $f40 (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))\n\
         (export \"f0\" (func $f0)))",
    );
    let app = r#"(module
      (import "chain" "f0" (func $f0 (param i32) (result i32)))
      (func (export "run") (param i32) (result i32) (call $f0 (local.get 0))))"#;
    let linked = link(InlineMode::All, &[("chain", &builtin)], app);
    // Well under the blow-up: the module budget (4x + 1 MiB) bounds it.
    assert!(linked.wasm.len() < 8 << 20, "{} bytes", linked.wasm.len());
    assert!(linked.report.inlining.calls_inlined > 0);
}

#[test]
fn tail_call_site_inlines_and_returns() {
    let builtin = r#"(module
      (func (export "twice") (param i32) (result i32)
        (if (i32.eqz (local.get 0)) (then (return (i32.const -1))))
        (i32.mul (local.get 0) (i32.const 2))))"#;
    let app = r#"(module
      (import "b" "twice" (func $twice (param i32) (result i32)))
      (func (export "run") (param i32) (result i32) (return_call $twice (local.get 0))))"#;
    let linked = link(InlineMode::Auto, &[("b", builtin)], app);
    let wat = text(&linked.wasm);
    assert!(Shape::of(&linked.wasm).calls_of("run").is_empty(), "{wat}");
    assert!(wat.contains("return\n"), "{wat}");
}

#[test]
fn tail_calls_never_move_across_an_exception_handler() {
    // `leave` tail-calls `throw` from inside its own handler: the tag must
    // escape to the app, not be caught by `leave`'s `try_table`. `guarded`
    // is small, but the app tail-calls it from inside its own handler, so
    // its body must not run inside that handler either.
    let builtin = r#"(module
      (tag $e (export "e"))
      (func $throw (result i32) (throw $e))
      (func (export "leave") (result i32)
        (block $caught
          (try_table (catch $e $caught) (return_call $throw)))
        (i32.const 1))
      (func (export "guarded") (result i32) (throw $e)))"#;
    let app = r#"(module
      (import "b" "e" (tag $e))
      (import "b" "leave" (func $leave (result i32)))
      (import "b" "guarded" (func $guarded (result i32)))
      (func (export "plain-site") (result i32) (call $leave))
      (func (export "tail-site") (result i32) (return_call $leave))
      (func (export "tail-site-in-handler") (result i32)
        (block $caught
          (try_table (catch $e $caught) (return_call $guarded)))
        (i32.const 2))
      (func (export "plain-site-in-handler") (result i32)
        (block $caught
          (try_table (catch $e $caught) (return (call $guarded))))
        (i32.const 3)))"#;
    for mode in [InlineMode::Auto, InlineMode::All] {
        let linked = link(mode, &[("b", builtin)], app);
        let shape = Shape::of(&linked.wasm);
        let wat = text(&linked.wasm);
        // A plain call of `leave` would turn its tail call into a call
        // inside its handler: it stays a call.
        assert_eq!(
            shape.calls_of("plain-site"),
            [("defined".to_string(), false)],
            "{wat}"
        );
        // At a tail site the inlined body's tail call stays a tail call,
        // leaving the handler as before.
        assert_eq!(
            shape.calls_of("tail-site"),
            [("defined".to_string(), true)],
            "{wat}"
        );
        assert_eq!(
            shape.calls_of("tail-site-in-handler"),
            [("defined".to_string(), true)],
            "{wat}"
        );
        // A plain call inside a handler is caught there either way.
        assert!(shape.calls_of("plain-site-in-handler").is_empty(), "{wat}");
    }
}

#[test]
fn multi_value_bodies_get_a_block_type() {
    let builtin = r#"(module
      (func (export "split") (param i64) (result i32 i32)
        (i32.wrap_i64 (local.get 0))
        (i32.wrap_i64 (i64.shr_u (local.get 0) (i64.const 32))))
      (func (export "pair") (result i32 i64) (i32.const 1) (i64.const 2)))"#;
    let app = r#"(module
      (import "b" "split" (func $split (param i64) (result i32 i32)))
      (import "b" "pair" (func $pair (result i32 i64)))
      (func (export "run") (param i64) (result i32)
        (call $split (local.get 0)) (i32.add)
        (call $pair) (drop) (i32.add)))"#;
    let linked = link(InlineMode::Auto, &[("b", builtin)], app);
    let wat = text(&linked.wasm);
    assert!(Shape::of(&linked.wasm).calls_of("run").is_empty(), "{wat}");
    // `split` needs a new `[] -> [i32 i32]` type; `pair` reuses its own.
    assert!(
        wat.contains("(type (;3;) (func (result i32 i32)))"),
        "{wat}"
    );
    assert!(wat.contains("block (type 3) (result i32 i32)"), "{wat}");
    assert!(wat.contains("block (type 1) (result i32 i64)"), "{wat}");
}

#[test]
fn locals_are_rezeroed_where_a_site_can_run_twice() {
    let builtin = r#"(module
      (func (export "bump") (param i32) (result i32)
        (local $acc i32) (local $f f64) (local $r funcref)
        (local.set $acc (i32.add (local.get $acc) (local.get 0)))
        (local.get $acc)))"#;
    let app = r#"(module
      (import "b" "bump" (func $bump (param i32) (result i32)))
      (func (export "once") (param i32) (result i32) (call $bump (local.get 0)))
      (func (export "twice") (param i32) (result i32)
        (i32.add (call $bump (local.get 0)) (call $bump (local.get 0))))
      (func (export "looped") (param $n i32) (result i32) (local $sum i32)
        (loop $l
          (local.set $sum (i32.add (local.get $sum) (call $bump (local.get $n))))
          (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (local.get $sum)))"#;
    let linked = link(InlineMode::Auto, &[("b", builtin)], app);
    let wat = text(&linked.wasm);
    let zeroings = |export: &str| -> usize {
        let start = wat
            .find(&format!("(export \"{export}\""))
            .expect("exported");
        let index = wat[start..]
            .split("(func ")
            .nth(1)
            .and_then(|s| s.split(')').next())
            .expect("index")
            .to_string();
        let body = wat
            .split(&format!("(func {index} "))
            .nth(1)
            .or_else(|| wat.split(&format!("(func (;{index};)")).nth(1))
            .expect("body");
        let body = body.split("\n  (func").next().expect("body");
        body.matches("ref.null func").count()
    };
    assert_eq!(zeroings("once"), 0, "{wat}");
    assert_eq!(zeroings("twice"), 1, "{wat}");
    assert_eq!(zeroings("looped"), 1, "{wat}");
    // Pooled: one set of locals per callee and caller.
    assert!(wat.contains("(local $sum i32) (local $b::bump::0 i32) (local $b::bump::acc i32)"));
}

#[test]
fn non_nullable_locals_and_unreachable_code_validate() {
    let builtin = r#"(module
      (type $t (func (result i32)))
      (func $seven (type $t) (i32.const 7))
      (elem declare func $seven)
      (func (export "via-ref") (param i32) (result i32)
        (local $r (ref $t))
        (local.set $r (ref.func $seven))
        (i32.add (local.get 0) (call_ref $t (local.get $r))))
      (func (export "dead-end") (param i32) (result i32)
        (if (local.get 0) (then (return (i32.const 1))))
        (unreachable)
        (i32.add)))"#;
    let app = r#"(module
      (import "b" "via-ref" (func $via-ref (param i32) (result i32)))
      (import "b" "dead-end" (func $dead-end (param i32) (result i32)))
      (func (export "run") (param $n i32) (result i32)
        (loop $l
          (drop (call $via-ref (local.get $n)))
          (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (call $dead-end (call $via-ref (local.get $n)))))"#;
    // The linker validates its output; linking is the test.
    let linked = link(InlineMode::Auto, &[("b", builtin)], app);
    assert!(Shape::of(&linked.wasm).calls_of("run").is_empty());
    // `$seven` is still taken by `ref.func`, so it stays, declared.
    assert_eq!(Shape::of(&linked.wasm).defined(), 2);
}

#[test]
fn dead_builtin_items_are_removed_and_app_items_kept() {
    let builtin = r#"(module
      (import "unsafe-intrinsics" "store-data-address" (func $sda (result i64)))
      (import "unsafe-intrinsics" "u8-native-load" (func $load (param i64) (result i32)))
      (import "env" "log_i32" (func $log (param i32)))
      (memory $unused 1)
      (global $unused-global (mut i32) (i32.const 5))
      (table $unused-table 2 funcref)
      (tag $unused-tag (param i32))
      (data $unused-data "abc")
      (elem $unused-elem func $helper)
      (func $helper (result i32) (i32.const 3))
      (func (export "addr") (result i64) (call $sda))
      (func (export "never") (result i32) (call $load (i64.const 0))))"#;
    let app = r#"(module
      (import "b" "addr" (func $addr (result i64)))
      (global $app-unused i32 (i32.const 1))
      (func $app-unused-func)
      (func (export "run") (result i64) (call $addr)))"#;
    let linked = link(InlineMode::Auto, &[("b", builtin)], app);
    let shape = Shape::of(&linked.wasm);
    // The unused intrinsic is dropped; the host import stays.
    assert_eq!(
        shape.imports(),
        ["unsafe-intrinsics::store-data-address", "env::log_i32"]
    );
    let wat = text(&linked.wasm);
    for gone in ["memory", "table", "tag", "data", "elem", "$b::never"] {
        assert!(!wat.contains(&format!("({gone}")), "{gone} kept:\n{wat}");
    }
    assert!(wat.contains("$app-unused"), "{wat}");
    assert!(wat.contains("$app-unused-func"), "{wat}");
    assert_eq!(shape.defined(), 2);
    let counts = linked.report.inlining;
    assert_eq!(counts.functions_removed, 3);
    assert_eq!(counts.intrinsics_removed, 1);
}

#[test]
fn unused_builtin_items_whose_initializers_allocate_stay() {
    // Instantiation evaluates these initializers whether or not anything
    // uses the items, and each allocation may trap (this array is too large
    // for any engine): removing them would let instantiation succeed.
    let builtin = r#"(module
      (type $bytes (array i8))
      (type $pair (struct (field i32) (field i32)))
      (table $huge 1 anyref (array.new_default $bytes (i32.const -1)))
      (global $object (ref $pair) (struct.new $pair (i32.const 1) (i32.const 2)))
      (global $plain i32 (i32.const 7))
      (elem $objects anyref (item (array.new_fixed $bytes 0)))
      (elem $nulls anyref (item (ref.null any)))
      (func (export "f") (result i32) (i32.const 1)))"#;
    let app = r#"(module
      (import "b" "f" (func $f (result i32)))
      (func (export "run") (result i32) (call $f)))"#;
    let linked = link(InlineMode::Auto, &[("b", builtin)], app);
    let wat = text(&linked.wasm);
    assert!(wat.contains("array.new_default"), "{wat}");
    assert!(wat.contains("struct.new"), "{wat}");
    assert!(wat.contains("array.new_fixed"), "{wat}");
    assert!(!wat.contains("i32.const 7"), "{wat}");
    assert!(!wat.contains("ref.null any"), "{wat}");
    assert!(Shape::of(&linked.wasm).calls_of("run").is_empty(), "{wat}");
}

#[test]
fn host_functions_declared_only_by_removed_builtin_items_are_declared_again() {
    // `ref.func $tick` is valid in the builtin because its global declares
    // `$tick`. Inlined into the app, the global is dead and removed, and the
    // host import it declared must be declared by the output itself.
    let builtin = r#"(module
      (import "env" "tick" (func $tick))
      (global $unused funcref (ref.func $tick))
      (func (export "tick-ref") (result funcref) (ref.func $tick)))"#;
    let app = r#"(module
      (import "b" "tick-ref" (func $tick-ref (result funcref)))
      (func (export "run") (result funcref) (call $tick-ref)))"#;
    let linked = link(InlineMode::Auto, &[("b", builtin)], app);
    let wat = text(&linked.wasm);
    assert!(Shape::of(&linked.wasm).calls_of("run").is_empty(), "{wat}");
    assert!(!wat.contains("(global"), "{wat}");
    assert!(wat.contains("(elem (;0;) declare func $b::tick)"), "{wat}");
}

#[test]
fn active_builtin_segments_and_their_targets_stay() {
    // The segments write at instantiation (and could trap there): they and
    // the memory and table they write stay although nothing reads them.
    let builtin = r#"(module
      (memory 1)
      (table 1 funcref)
      (func $f)
      (elem (i32.const 0) func $f)
      (data (i32.const 0) "x")
      (func (export "nop")))"#;
    let app = r#"(module
      (import "b" "nop" (func $nop))
      (func (export "run") (call $nop)))"#;
    let linked = link(InlineMode::Auto, &[("b", builtin)], app);
    let wat = text(&linked.wasm);
    for kept in ["(memory", "(table", "(elem", "(data"] {
        assert!(wat.contains(kept), "{kept} removed:\n{wat}");
    }
    assert_eq!(Shape::of(&linked.wasm).defined(), 2);
}

#[test]
fn builtin_start_functions_and_what_they_use_stay() {
    let builtin = r#"(module
      (import "env" "log_i32" (func $log (param i32)))
      (global $g (mut i32) (i32.const 0))
      (func $helper (call $log (i32.const 42)))
      (func $start (global.set $g (i32.const 1)) (call $helper))
      (start $start)
      (func (export "get") (result i32) (global.get $g)))"#;
    let app = r#"(module
      (import "b" "get" (func $get (result i32)))
      (func (export "run") (result i32) (call $get)))"#;
    let linked = link(InlineMode::Auto, &[("b", builtin)], app);
    let shape = Shape::of(&linked.wasm);
    assert!(shape.calls_of("run").is_empty());
    let wat = text(&linked.wasm);
    assert!(wat.contains("(start "), "{wat}");
    assert!(wat.contains("(global $b::g"), "{wat}");
}

#[test]
fn address_taken_builtin_functions_stay() {
    let builtin = r#"(module
      (type $t (func (result i32)))
      (table (export "table") 1 funcref)
      (func $answer (export "answer") (result i32) (i32.const 42))
      (elem declare func $answer)
      (func (export "slot") (result funcref) (ref.func $answer)))"#;
    let app = r#"(module
      (import "b" "answer" (func $answer (result i32)))
      (import "b" "slot" (func $slot (result funcref)))
      (func (export "direct") (result i32) (call $answer))
      (func (export "indirect") (result funcref) (call $slot)))"#;
    let linked = link(InlineMode::Auto, &[("b", builtin)], app);
    let shape = Shape::of(&linked.wasm);
    assert!(shape.calls_of("direct").is_empty());
    assert!(shape.calls_of("indirect").is_empty());
    // `answer` is inlined where it is called, and kept because `slot`'s
    // inlined body takes its address; its declaration is kept too (the
    // output validates).
    assert_eq!(shape.defined(), 3);
}

#[test]
fn locals_never_exceed_the_engine_limit() {
    // Two callees of 30,000 locals each: inlining both into one caller
    // would pass 50,000.
    let many = "i64 ".repeat(30_000);
    let builtin = format!(
        r#"(module
          (func (export "a") (result i32) (local {many}) (i32.const 1))
          (func (export "b") (result i32) (local {many}) (i32.const 2)))"#
    );
    let app = r#"(module
      (import "b" "a" (func $a (result i32)))
      (import "b" "b" (func $b (result i32)))
      (func (export "run") (result i32) (i32.add (call $a) (call $b))))"#;
    let linked = link(InlineMode::All, &[("b", &builtin)], app);
    assert_eq!(
        Shape::of(&linked.wasm).calls_of("run"),
        [("defined".to_string(), false)]
    );
}

#[test]
fn names_follow_inlined_code() {
    let wat = text(&link_host_buf(InlineMode::Auto).wasm);
    assert!(wat.contains("block $host-buf::get (result i32)"), "{wat}");
    assert!(wat.contains("(local $host-buf::get::index i64)"), "{wat}");
    // The app's own labels keep their names after blocks were inserted
    // before them.
    assert!(wat.contains("loop $next"), "{wat}");
    assert!(wat.contains("block $done"), "{wat}");
    assert!(wat.contains("$host-buf::store-data-address"), "{wat}");
}

#[test]
fn large_synthetic_module_inlines_everywhere() {
    // Thousands of app functions calling a builtin API: every call is
    // inlined and the builtin's functions disappear.
    let app_funcs: String = (0..2000)
        .map(|i| {
            format!(
                "(func (export \"f{i}\") (param i64) (result i32)
                   (call $set (local.get 0) (i32.const {i}))
                   (call $get (local.get 0)))\n"
            )
        })
        .collect();
    let app = format!(
        r#"(module
          (import "host-buf" "get" (func $get (param i64) (result i32)))
          (import "host-buf" "set" (func $set (param i64 i32)))
          {app_funcs})"#
    );
    let builtin = String::from_utf8(example("builtin.wat")).expect("utf-8");
    let linked = link(InlineMode::Auto, &[("host-buf", &builtin)], &app);
    assert_eq!(linked.report.inlining.calls_inlined, 4000);
    assert_eq!(Shape::of(&linked.wasm).defined(), 2000);
}

#[test]
fn stripped_inputs_get_no_names_for_inlined_code() {
    // No local or label names anywhere: inlining adds none either (function
    // names, which the merge gives builtins, are another matter).
    let builtin = r#"(module
      (func (export "f") (param i32) (result i32)
        (block (result i32) (i32.add (local.get 0) (i32.const 1)))))"#;
    let app = r#"(module
      (import "b" "f" (func (param i32) (result i32)))
      (func (export "run") (param i32) (result i32) (call 0 (local.get 0))))"#;
    let wat = text(&link(InlineMode::Auto, &[("b", builtin)], app).wasm);
    assert!(!wat.contains("(local $"), "{wat}");
    assert!(!wat.contains("block $"), "{wat}");
}

#[test]
fn labels_of_nested_inlined_code_are_qualified_once() {
    let builtin = r#"(module
      (func $h (param i32) (result i32)
        (block $hb (result i32) (br_if $hb (local.get 0) (local.get 0)) (drop) (i32.const 1)))
      (func (export "g") (param i32) (result i32)
        (local.set 0 (call $h (local.get 0)))
        (block $gb (result i32) (local.get 0))))"#;
    let app = r#"(module
      (import "b" "g" (func $g (param i32) (result i32)))
      (func (export "run") (param i32) (result i32)
        (block $mine (result i32) (call $g (local.get 0)))))"#;
    let wat = text(&link(InlineMode::Auto, &[("b", builtin)], app).wasm);
    for label in [
        "block $mine",
        "block $b::g",
        "block $b::h",
        "block $b::h::hb",
        "block $b::g::gb",
    ] {
        assert!(
            wat.contains(&format!("{label} (result i32)")),
            "{label}:\n{wat}"
        );
    }
    assert!(!wat.contains("$b::g::b::"), "{wat}");
}

#[test]
fn types_named_only_by_locals_stay() {
    // `$cell` appears nowhere but in a local declaration; once the local is
    // copied into the app's function, the type must stay with it.
    let builtin = r#"(module
      (type $cell (struct (field (mut i32))))
      (type $unused (array i8))
      (func (export "f") (result i32)
        (local $c (ref null $cell))
        (ref.is_null (local.get $c))))"#;
    let app = r#"(module
      (import "b" "f" (func $f (result i32)))
      (func (export "run") (result i32) (call $f)))"#;
    let linked = link(InlineMode::Auto, &[("b", builtin)], app);
    let wat = text(&linked.wasm);
    assert!(wat.contains("(struct (field (mut i32)))"), "{wat}");
    assert!(!wat.contains("(array i8)"), "{wat}");
}

/// Real modules as builtins: an app re-exports every function a large
/// real-world module exports, so inlining runs across the whole module
/// (every helper into every caller under `all`) and the linker's own
/// output validation checks the result. Needs
/// `scripts/fetch-bench-modules.sh`; run with `--ignored`.
#[test]
#[ignore]
fn real_modules_inline_into_valid_output() {
    use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-modules");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        panic!("no modules in {}", dir.display());
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let bytes = std::fs::read(&path).expect("readable");
        let mut types = wasm_encoder::TypeSection::new();
        let mut func_types = Vec::new();
        let mut exported = Vec::new();
        for payload in Parser::new(0).parse_all(&bytes) {
            match payload.expect("parses") {
                Payload::TypeSection(reader) => {
                    RoundtripReencoder
                        .parse_type_section(&mut types, reader)
                        .expect("types");
                }
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports() {
                        if let TypeRef::Func(ty) = import.expect("import").ty {
                            func_types.push(ty);
                        }
                    }
                }
                Payload::FunctionSection(reader) => {
                    func_types.extend(reader.into_iter().map(|t| t.expect("type")));
                }
                Payload::ExportSection(reader) => {
                    for export in reader {
                        let export = export.expect("export");
                        if export.kind == ExternalKind::Func {
                            exported.push((export.name.to_string(), export.index));
                        }
                    }
                }
                _ => {}
            }
        }
        let mut imports = wasm_encoder::ImportSection::new();
        let mut exports = wasm_encoder::ExportSection::new();
        for (i, (name, func)) in exported.iter().enumerate() {
            let ty = func_types[*func as usize];
            imports.import("real", name, wasm_encoder::EntityType::Function(ty));
            exports.export(name, wasm_encoder::ExportKind::Func, i as u32);
        }
        let mut app = wasm_encoder::Module::new();
        app.section(&types).section(&imports).section(&exports);
        let app = app.finish();
        for mode in [InlineMode::Auto, InlineMode::All] {
            let started = std::time::Instant::now();
            let linked = Linker::new()
                .inline(mode)
                .builtin("real", &bytes)
                .expect("valid builtin")
                .link(&app)
                .unwrap_or_else(|e| panic!("{}: {mode:?}: {e}", path.display()));
            let counts = linked.report.inlining;
            eprintln!(
                "{} {mode:?}: {} calls inlined, {} functions removed, {} -> {} bytes, {:.2?}",
                path.display(),
                counts.calls_inlined,
                counts.functions_removed,
                counts.bytes_before,
                counts.bytes_after,
                started.elapsed()
            );
        }
    }
}

#[test]
fn empty_rec_groups_are_skipped() {
    // `(rec)` defines no type and takes no index, before or after others.
    let builtin = r#"(module
      (rec)
      (type $unused (func (param f64)))
      (rec)
      (func (export "one") (result i32) (i32.const 1))
      (rec))"#;
    let app = r#"(module
      (rec)
      (import "b" "one" (func $one (result i32)))
      (func (export "run") (result i32) (call $one)))"#;
    for mode in [InlineMode::Auto, InlineMode::All] {
        let linked = link(mode, &[("b", builtin)], app);
        assert!(Shape::of(&linked.wasm).calls_of("run").is_empty());
    }
}

#[test]
fn locals_count_toward_a_callees_size() {
    // One instruction, forty thousand locals: copied into each of a
    // thousand callers, every copy would re-zero all of them.
    let builtin = format!(
        r#"(module (func (export "wide") (result i32) {} i32.const 7))"#,
        "(local i32)".repeat(40_000)
    );
    let mut app = String::from(r#"(module (import "b" "wide" (func $wide (result i32)))"#);
    for i in 0..1000 {
        app.push_str(&format!(
            r#"(func (export "f{i}") (result i32) (call $wide))"#
        ));
    }
    app.push(')');
    let auto = link(InlineMode::Auto, &[("b", &builtin)], &app);
    assert_eq!(auto.report.inlining.calls_inlined, 0);
    let all = link(InlineMode::All, &[("b", &builtin)], &app);
    // `all` may inline a few copies within its growth budget, not a thousand.
    assert!(
        all.report.inlining.calls_inlined < 10,
        "{} calls inlined",
        all.report.inlining.calls_inlined
    );
    assert!(all.wasm.len() < 8 << 20, "{} bytes", all.wasm.len());

    // The same callee with a few locals is still small.
    let narrow = r#"(module (func (export "wide") (result i32) (local i32 i64) i32.const 7))"#;
    let auto = link(InlineMode::Auto, &[("b", narrow)], &app);
    assert_eq!(auto.report.inlining.calls_inlined, 1000);
}
