//! Custom sections the linker reads, translates, copies or drops. Custom
//! sections are never validated, so every one the linker interprets must be
//! read defensively: whatever it holds, a link gives a valid module or an
//! error, and a bad entry is dropped with a warning.

use wasm_encoder::{IndirectNameMap, NameMap, NameSection, Section};
use wasm_prelink::{InlineMode, Linked, Linker};
use wasmparser::{CustomSectionValidator, Operator, Parser, Payload, Validator};

const MODES: [InlineMode; 3] = [InlineMode::None, InlineMode::Auto, InlineMode::All];

const BUILTIN: &str = r#"(module
    (func (export "f") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))"#;

const APP: &str = r#"(module
    (import "lib" "f" (func $f (param i32) (result i32)))
    (type $s (struct (field i32)))
    (memory 1) (table 1 funcref) (global (mut i32) (i32.const 0)) (tag)
    (data "x") (elem func $run)
    (func $run (export "run") (param i32) (result i32) (local i64)
      (block (result i32) (call $f (local.get 0)))))"#;

/// A name section naming one item past the end of every space, and one
/// local, label and field past the end of an existing item.
fn dangling_names() -> NameSection {
    dangling_names_and(None)
}

/// The same, with a real name for function `real` (below 99).
fn dangling_names_and(real: Option<(u32, &str)>) -> NameSection {
    let one = |index: u32| {
        let mut map = NameMap::new();
        map.append(index, "ghost");
        map
    };
    let mut funcs = NameMap::new();
    if let Some((index, name)) = real {
        funcs.append(index, name);
    }
    funcs.append(99, "ghost");
    let inner = |outer: u32, index: u32| {
        let mut map = IndirectNameMap::new();
        map.append(outer, &one(index));
        map
    };
    let mut section = NameSection::new();
    section.functions(&funcs);
    section.locals(&inner(1, 57));
    section.labels(&inner(1, 9));
    section.types(&one(40));
    section.tables(&one(7));
    section.memories(&one(7));
    section.globals(&one(7));
    section.elements(&one(7));
    section.data(&one(7));
    section.fields(&inner(0, 3));
    section.tags(&one(7));
    section
}

fn with_section(module: &str, section: &impl Section) -> Vec<u8> {
    let mut bytes = wat::parse_str(module).expect("module parses");
    section.append_to(&mut bytes);
    bytes
}

/// Validates `wasm` and the custom sections wasmparser knows (names and
/// branch hints), which the linker writes itself.
fn validate_with_custom_sections(wasm: &[u8]) {
    let mut validator = Validator::new_with_features(wasm_prelink::validate::features());
    let mut customs = CustomSectionValidator::new();
    let mut bodies = Vec::new();
    let mut imported = 0;
    let mut module = None;
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.expect("output parses");
        validator.payload(&payload).expect("output validates");
        customs
            .payload(&payload, &validator)
            .expect("custom sections are right");
        match payload {
            Payload::Version { .. } => module = Some(customs.current_module_id()),
            Payload::ImportSection(reader) => {
                imported = reader
                    .into_imports()
                    .filter(|i| {
                        matches!(i.as_ref().map(|i| i.ty), Ok(wasmparser::TypeRef::Func(_)))
                    })
                    .count() as u32;
            }
            Payload::CodeSectionEntry(body) => bodies.push(body),
            _ => {}
        }
    }
    let module = module.expect("a module");
    for (i, body) in bodies.iter().enumerate() {
        customs
            .code_section_entry(module, imported + i as u32, body)
            .expect("names and hints fit the code");
    }
}

fn link(app: &[u8], builtin: &[u8], mode: InlineMode) -> Linked {
    Linker::new()
        .inline(mode)
        .builtin("lib", builtin)
        .expect("builtin parses")
        .link(app)
        .expect("links")
}

#[test]
fn names_of_items_that_do_not_exist_are_dropped_with_a_warning() {
    let app = with_section(APP, &dangling_names());
    let builtin = wat::parse_str(BUILTIN).expect("builtin");
    for mode in MODES {
        let linked = link(&app, &builtin, mode);
        validate_with_custom_sections(&linked.wasm);
        let warning = linked
            .report
            .warnings
            .iter()
            .find(|w| w.contains("name section of the app"))
            .unwrap_or_else(|| panic!("no warning: {:?}", linked.report.warnings));
        assert!(
            warning.starts_with("ignored 11 entries of the name section of the app naming items it does not have (the first names function 99)"),
            "{warning}"
        );
    }
}

#[test]
fn a_builtins_dangling_names_are_dropped_too() {
    let app = wat::parse_str(
        r#"(module (import "lib" "f" (func (param i32) (result i32)))
            (func (export "run") (result i32) (call 0 (i32.const 1))))"#,
    )
    .expect("app");
    let builtin = with_section(BUILTIN, &dangling_names());
    for mode in MODES {
        let linked = link(&app, &builtin, mode);
        validate_with_custom_sections(&linked.wasm);
        assert!(
            linked
                .report
                .warnings
                .iter()
                .any(|w| w.contains("name section of builtin `lib`")),
            "{:?}",
            linked.report.warnings
        );
    }
}

#[test]
fn real_names_survive_next_to_dangling_ones() {
    let app = with_section(APP, &dangling_names_and(Some((1, "run"))));
    let builtin = wat::parse_str(BUILTIN).expect("builtin");
    let linked = link(&app, &builtin, InlineMode::None);
    let text = wasmprinter::print_bytes(&linked.wasm).expect("prints");
    assert!(text.contains("(func $run "), "{text}");
    assert!(!text.contains("ghost"), "{text}");
}

/// The hints of the output: per function, (offset, taken) and the
/// instruction at that offset.
fn hints_of(wasm: &[u8]) -> Vec<(u32, Vec<(String, bool)>)> {
    let mut hints = Vec::new();
    let mut bodies = Vec::new();
    let mut imported = 0;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.expect("parses") {
            Payload::ImportSection(reader) => imported = reader.into_imports().count() as u32,
            Payload::CodeSectionEntry(body) => bodies.push(body),
            Payload::CustomSection(reader) => {
                if let wasmparser::KnownCustom::BranchHints(section) = reader.as_known() {
                    for func in section {
                        let func = func.expect("hint function");
                        let list: Vec<(u32, bool)> = func
                            .hints
                            .into_iter()
                            .map(|h| h.map(|h| (h.func_offset, h.taken)).expect("hint"))
                            .collect();
                        hints.push((func.func, list));
                    }
                }
            }
            _ => {}
        }
    }
    hints
        .into_iter()
        .map(|(func, list)| {
            let body = &bodies[(func - imported) as usize];
            let mut reader = body.get_operators_reader().expect("operators");
            let mut found = Vec::new();
            let mut wanted = list.into_iter().peekable();
            while !reader.eof() {
                let offset = (reader.original_position() - body.range().start) as u32;
                let op = reader.read().expect("operator");
                if let Some((_, taken)) = wanted.next_if(|(o, _)| *o == offset) {
                    found.push((operator_name(&op), taken));
                }
            }
            assert!(wanted.next().is_none(), "a hint between instructions");
            (func, found)
        })
        .collect()
}

fn operator_name(op: &Operator<'_>) -> String {
    format!("{op:?}")
        .split([' ', '{'])
        .next()
        .unwrap_or_default()
        .to_string()
}

/// An app whose hinted function follows imports that the link removes and
/// whose body has calls whose index shrinks.
const HINTED_APP: &str = r#"(module
    (import "lib" "f" (func $f (param i32) (result i32)))
    (import "lib" "f" (func $g (param i32) (result i32)))
    (import "env" "host" (func $host (param i32) (result i32)))
    (func $pad0) (func $pad1)
    (func (export "hinted") (param i32) (result i32)
      (call $host (call $g (call $f (local.get 0))))
      (@metadata.code.branch_hint "\01")
      (if (result i32) (then (i32.const 1)) (else (call $f (i32.const 2))))
      (block (param i32) (result i32)
        (local.get 0)
        (@metadata.code.branch_hint "\00")
        (br_if 0)
        (drop) (call $host (i32.const 3)))))"#;

#[test]
fn branch_hints_follow_their_function_and_instructions() {
    let app = wat::parse_str(HINTED_APP).expect("app");
    let builtin = wat::parse_str(BUILTIN).expect("builtin");
    let before = hints_of(&app);
    // Function 5 of the app: 3 imports, 2 padding functions.
    assert_eq!(
        before,
        vec![(
            5,
            vec![("If".to_string(), true), ("BrIf".to_string(), false)]
        )]
    );
    let linked = link(&app, &builtin, InlineMode::None);
    validate_with_custom_sections(&linked.wasm);
    // Merged: the host import, the app's three functions, then the builtin's.
    assert_eq!(
        hints_of(&linked.wasm),
        vec![(
            3,
            vec![("If".to_string(), true), ("BrIf".to_string(), false)]
        )]
    );
    assert!(
        linked.report.warnings.is_empty(),
        "{:?}",
        linked.report.warnings
    );
}

#[test]
fn branch_hints_are_dropped_with_a_warning_when_inlining_rewrites_code() {
    let app = wat::parse_str(HINTED_APP).expect("app");
    let builtin = wat::parse_str(BUILTIN).expect("builtin");
    for mode in [InlineMode::Auto, InlineMode::All] {
        let linked = link(&app, &builtin, mode);
        validate_with_custom_sections(&linked.wasm);
        assert!(hints_of(&linked.wasm).is_empty());
        let warnings: Vec<_> = linked
            .report
            .warnings
            .iter()
            .filter(|w| w.contains("metadata.code.branch_hint"))
            .collect();
        assert_eq!(warnings.len(), 1, "{:?}", linked.report.warnings);
    }
}

#[test]
fn wrong_branch_hints_are_dropped_with_a_warning() {
    let app = wat::parse_str(HINTED_APP).expect("app");
    // A hint for an import, one between instructions and one on a `call`,
    // besides a right one.
    let mut hints = wasm_encoder::BranchHints::new();
    let hint = |offset, value| wasm_encoder::BranchHint {
        branch_func_offset: offset,
        branch_hint_value: value,
    };
    hints.function_hints(0, [hint(1, 1)]);
    // In function 5: offset 2 (inside `local.get 0`, which starts at 1,
    // after the empty locals vector), offset 3 (the first `call`), and the
    // real `if`.
    let body_offsets = instruction_offsets(&app, 5);
    let if_offset = body_offsets
        .iter()
        .find(|(_, name)| name == "If")
        .map(|(o, _)| *o)
        .expect("an if");
    hints.function_hints(5, [hint(2, 0), hint(3, 0), hint(if_offset, 1)]);
    let mut stripped = strip_branch_hints(&app);
    hints.append_to(&mut stripped);
    let builtin = wat::parse_str(BUILTIN).expect("builtin");
    let linked = link(&stripped, &builtin, InlineMode::None);
    validate_with_custom_sections(&linked.wasm);
    assert_eq!(
        hints_of(&linked.wasm),
        vec![(3, vec![("If".to_string(), true)])]
    );
    let warning = linked
        .report
        .warnings
        .iter()
        .find(|w| w.contains("branch hint"))
        .expect("a warning");
    assert!(
        warning.starts_with("ignored 3 branch hint(s) of the app that name no `if` or `br_if` (the first names function 0, which the app does not define)"),
        "{warning}"
    );
}

#[test]
fn a_garbled_branch_hint_section_is_dropped_with_a_warning() {
    let app = strip_branch_hints(&wat::parse_str(HINTED_APP).expect("app"));
    let mut garbled = app.clone();
    wasm_encoder::CustomSection {
        name: "metadata.code.branch_hint".into(),
        data: (&[0x05u8, 0xff, 0xff, 0xff][..]).into(),
    }
    .append_to(&mut garbled);
    let builtin = wat::parse_str(BUILTIN).expect("builtin");
    for mode in MODES {
        let linked = link(&garbled, &builtin, mode);
        validate_with_custom_sections(&linked.wasm);
        assert!(
            linked.report.warnings.iter().any(|w| w.starts_with(
                "dropped the `metadata.code.branch_hint` section of the app: it cannot be read"
            )),
            "{:?}",
            linked.report.warnings
        );
    }
}

fn instruction_offsets(wasm: &[u8], func: u32) -> Vec<(u32, String)> {
    let mut imported = 0;
    let mut index = 0;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.expect("parses") {
            Payload::ImportSection(reader) => imported = reader.into_imports().count() as u32,
            Payload::CodeSectionEntry(body) => {
                if imported + index == func {
                    let mut reader = body.get_operators_reader().expect("operators");
                    let mut found = Vec::new();
                    while !reader.eof() {
                        let offset = (reader.original_position() - body.range().start) as u32;
                        found.push((offset, operator_name(&reader.read().expect("op"))));
                    }
                    return found;
                }
                index += 1;
            }
            _ => {}
        }
    }
    Vec::new()
}

/// `wasm` without its branch-hint section.
fn strip_branch_hints(wasm: &[u8]) -> Vec<u8> {
    let mut module = wasm_encoder::Module::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.expect("parses");
        if let Payload::CustomSection(reader) = &payload {
            if reader.name() == "metadata.code.branch_hint" {
                continue;
            }
        }
        if let Some((id, range)) = payload.as_section() {
            module.section(&wasm_encoder::RawSection {
                id,
                data: &wasm[range.start as usize..range.end as usize],
            });
        }
    }
    module.finish()
}

#[test]
fn object_file_sections_are_dropped_and_toolchain_sections_kept() {
    let app = wat::parse_str(
        r#"(module
        (@producers (language "C" "11"))
        (@custom "target_features" "\01+\08sign-ext")
        (@custom "linking" "\02")
        (@custom "reloc.CODE" "\03\00")
        (import "lib" "f" (func $f (param i32) (result i32)))
        (func (export "run") (param i32) (result i32) (call $f (local.get 0))))"#,
    )
    .expect("app");
    let builtin = wat::parse_str(BUILTIN).expect("builtin");
    for mode in MODES {
        let linked = link(&app, &builtin, mode);
        let names: Vec<String> = Parser::new(0)
            .parse_all(&linked.wasm)
            .filter_map(|p| match p.expect("parses") {
                Payload::CustomSection(reader) => Some(reader.name().to_string()),
                _ => None,
            })
            .collect();
        assert!(names.contains(&"producers".to_string()), "{names:?}");
        assert!(names.contains(&"target_features".to_string()), "{names:?}");
        assert!(
            !names
                .iter()
                .any(|n| n == "linking" || n.starts_with("reloc.")),
            "{names:?}"
        );
        assert!(
            linked.report.warnings.iter().any(|w| w
                .starts_with("dropped the app's object-file section(s) `linking`, `reloc.CODE`")),
            "{:?}",
            linked.report.warnings
        );
    }
}
