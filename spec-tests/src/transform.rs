//! The transformations every module of the testsuite goes through.
//!
//! The linker promises that linking never changes semantics, so any module
//! the spec testsuite exercises must behave exactly the same after passing
//! through it — in every role it can take:
//!
//! * **identity**: the module is the app and there are no builtins. Every
//!   index space is re-encoded, custom sections and names are rewritten, and
//!   the module's own imports are forwarded unchanged.
//! * **as-builtin**: the module becomes the builtin `under-test` and a
//!   generated *shim* app imports every one of its exports (with the exact
//!   declared type) and re-exports it under the same name. The merged module
//!   must then be indistinguishable from the original: same exports, same
//!   instantiation effects, same results. This drives import resolution,
//!   re-exports, type deduplication and instantiation ordering over every
//!   module of the suite.
//! * **inline-all** / **inline-auto**: the same with the inliner on, which
//!   pushes every function of the suite through it.
//!
//! Each link happens twice and the outputs must be byte-identical, and each
//! output is validated here independently of the linker's own check. A
//! linker panic is caught and reported as a failure of the module, never as
//! a crash of the whole run.

use std::panic::{catch_unwind, AssertUnwindSafe};
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{ExportKind, ExportSection, ImportSection, Module, RawSection, SectionId};
use wasm_prelink::{InlineMode, Linker};
use wasmparser::{ExternalKind, Parser, Payload, TypeRef, Validator};

/// The builtin name the module under test gets in the as-builtin runs.
pub const UNDER_TEST: &str = "under-test";

/// One way of running a `.wast` file. Every transformation is a complete,
/// separate run of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transform {
    /// The untransformed module in wasmtime: the reference column. An
    /// assertion that fails here says nothing about the linker.
    Baseline,
    /// Linked as the app, without builtins.
    Identity,
    /// Linked as a builtin behind a re-exporting shim app.
    AsBuiltin,
    /// As a builtin, with every non-recursive builtin function inlined.
    InlineAll,
    /// As a builtin, with the inliner's own heuristics.
    InlineAuto,
}

impl Transform {
    /// Every column of the report, baseline first: the later columns are
    /// judged against it.
    pub const ALL: [Transform; 5] = [
        Transform::Baseline,
        Transform::Identity,
        Transform::AsBuiltin,
        Transform::InlineAll,
        Transform::InlineAuto,
    ];

    /// The name used in reports and in the known-failures list.
    pub fn name(self) -> &'static str {
        match self {
            Transform::Baseline => "baseline",
            Transform::Identity => "identity",
            Transform::AsBuiltin => "as-builtin",
            Transform::InlineAll => "inline-all",
            Transform::InlineAuto => "inline-auto",
        }
    }

    /// Looks a transformation up by its report name.
    pub fn from_name(name: &str) -> Option<Transform> {
        Transform::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The linker configuration of this column; `None` for the baseline.
    fn linker_setup(self) -> Option<(bool, InlineMode)> {
        match self {
            Transform::Baseline => None,
            Transform::Identity => Some((false, InlineMode::None)),
            Transform::AsBuiltin => Some((true, InlineMode::None)),
            Transform::InlineAll => Some((true, InlineMode::All)),
            Transform::InlineAuto => Some((true, InlineMode::Auto)),
        }
    }

    /// Transforms a module the spec says is valid. The result is the module
    /// to instantiate in its place; an error is a linker failure.
    pub fn apply(self, module: &[u8]) -> Result<Vec<u8>, String> {
        let Some((as_builtin, inline)) = self.linker_setup() else {
            return Ok(module.to_vec());
        };
        let app = if as_builtin {
            Some(shim_app(module).map_err(|e| format!("cannot build the shim app: {e}"))?)
        } else {
            None
        };
        let first = link_once(module, app.as_deref(), inline)?;
        let second = link_once(module, app.as_deref(), inline)?;
        if first != second {
            return Err(format!(
                "two links of the same inputs differ ({} and {} bytes)",
                first.len(),
                second.len()
            ));
        }
        validate(&first).map_err(|e| format!("the linked module is invalid: {e}"))?;
        Ok(first)
    }

    /// Feeds a module the spec says is invalid or malformed (binary or
    /// text) to the linker, which must reject it. `Ok` means it did.
    pub fn reject(self, module: &[u8]) -> Result<(), String> {
        let Some((as_builtin, inline)) = self.linker_setup() else {
            return Ok(());
        };
        // An invalid module has no trustworthy export list; when one can be
        // read the shim imports it, which makes the link go further before
        // it must fail, otherwise an empty app still forces validation.
        let app = if as_builtin {
            Some(shim_app(module).unwrap_or_else(|_| Module::new().finish()))
        } else {
            None
        };
        match guarded_link(module, app.as_deref(), inline) {
            Ok(Err(_)) => Ok(()),
            Ok(Ok(out)) => Err(format!(
                "the linker accepted an invalid module and produced {} bytes",
                out.len()
            )),
            Err(panic) => Err(panic),
        }
    }
}

/// The feature set inputs are validated with, the linker's own.
pub fn features() -> wasmparser::WasmFeatures {
    wasm_prelink::validate::features()
}

fn validate(wasm: &[u8]) -> Result<(), String> {
    Validator::new_with_features(features())
        .validate_all(wasm)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn link_once(module: &[u8], app: Option<&[u8]>, inline: InlineMode) -> Result<Vec<u8>, String> {
    match guarded_link(module, app, inline)? {
        Ok(wasm) => Ok(wasm),
        Err(e) => Err(format!("the linker rejected a valid module: {e}")),
    }
}

/// Runs one link, turning a panic into an error message. The outer result
/// is the panic, the inner one the linker's verdict.
fn guarded_link(
    module: &[u8],
    app: Option<&[u8]>,
    inline: InlineMode,
) -> Result<Result<Vec<u8>, String>, String> {
    let run = || -> Result<Vec<u8>, String> {
        let linker = Linker::new().inline(inline);
        let linked = match app {
            Some(app) => linker.builtin(UNDER_TEST, module).and_then(|l| l.link(app)),
            None => linker.link(module),
        };
        linked.map(|l| l.wasm).map_err(|e| e.to_string())
    };
    catch_unwind(AssertUnwindSafe(run)).map_err(|payload| {
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("non-string panic payload");
        format!("the linker panicked: {message}")
    })
}

/// Builds the app that imports every export of `module` from
/// [`UNDER_TEST`] and re-exports it under the same name.
///
/// The module is validated first; the import types are then the exported
/// items' *declared* types. The shim starts with a verbatim copy of the
/// module's type section, so every type index in those declarations means
/// the same type in the shim and each import matches its export exactly
/// (same rec groups, same limits, same mutability) rather than merely as a
/// subtype.
pub fn shim_app(module: &[u8]) -> Result<Vec<u8>, String> {
    validate(module)?;
    let mut types: Option<&[u8]> = None;
    let mut spaces = Spaces::default();
    let mut exports = Vec::new();
    for payload in Parser::new(0).parse_all(module) {
        match payload.map_err(|e| e.to_string())? {
            Payload::TypeSection(reader) => {
                let range = reader.range();
                types = Some(&module[range.start as usize..range.end as usize]);
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    spaces.push(import.map_err(|e| e.to_string())?.ty);
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    spaces
                        .funcs
                        .push(TypeRef::Func(ty.map_err(|e| e.to_string())?));
                }
            }
            Payload::TableSection(reader) => {
                for table in reader {
                    spaces
                        .tables
                        .push(TypeRef::Table(table.map_err(|e| e.to_string())?.ty));
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    spaces
                        .memories
                        .push(TypeRef::Memory(memory.map_err(|e| e.to_string())?));
                }
            }
            Payload::GlobalSection(reader) => {
                for global in reader {
                    spaces
                        .globals
                        .push(TypeRef::Global(global.map_err(|e| e.to_string())?.ty));
                }
            }
            Payload::TagSection(reader) => {
                for tag in reader {
                    spaces
                        .tags
                        .push(TypeRef::Tag(tag.map_err(|e| e.to_string())?));
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.map_err(|e| e.to_string())?;
                    exports.push((export.name.to_string(), export.kind, export.index));
                }
            }
            _ => {}
        }
    }

    let mut imports = ImportSection::new();
    let mut reexports = ExportSection::new();
    let mut counts = [0u32; 5];
    for (name, kind, index) in &exports {
        let (slot, space, export_kind) = match kind {
            ExternalKind::Func => (0, &spaces.funcs, ExportKind::Func),
            ExternalKind::Table => (1, &spaces.tables, ExportKind::Table),
            ExternalKind::Memory => (2, &spaces.memories, ExportKind::Memory),
            ExternalKind::Global => (3, &spaces.globals, ExportKind::Global),
            ExternalKind::Tag => (4, &spaces.tags, ExportKind::Tag),
            ExternalKind::FuncExact => {
                return Err(format!("export `{name}` of an exact function type"))
            }
        };
        let ty = space
            .get(*index as usize)
            .ok_or_else(|| format!("export `{name}` refers to a missing item"))?;
        let ty = RoundtripReencoder
            .entity_type(*ty)
            .map_err(|e| format!("export `{name}`: {e}"))?;
        imports.import(UNDER_TEST, name, ty);
        reexports.export(name, export_kind, counts[slot]);
        counts[slot] += 1;
    }

    let mut app = Module::new();
    if let Some(types) = types {
        app.section(&RawSection {
            id: SectionId::Type as u8,
            data: types,
        });
    }
    if !exports.is_empty() {
        app.section(&imports);
        app.section(&reexports);
    }
    Ok(app.finish())
}

/// The declared type of every item, per index space, imports first.
#[derive(Default)]
struct Spaces {
    funcs: Vec<TypeRef>,
    tables: Vec<TypeRef>,
    memories: Vec<TypeRef>,
    globals: Vec<TypeRef>,
    tags: Vec<TypeRef>,
}

impl Spaces {
    fn push(&mut self, ty: TypeRef) {
        let space = match ty {
            TypeRef::Func(_) | TypeRef::FuncExact(_) => &mut self.funcs,
            TypeRef::Table(_) => &mut self.tables,
            TypeRef::Memory(_) => &mut self.memories,
            TypeRef::Global(_) => &mut self.globals,
            TypeRef::Tag(_) => &mut self.tags,
        };
        space.push(ty);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shim_reexports_every_kind_with_the_declared_type() {
        let module = wat::parse_str(
            r#"(module
                (type $s (struct (field i32)))
                (import "host" "f" (func $f (param i32)))
                (func (export "g") (result (ref null $s)) ref.null $s)
                (export "f" (func $f))
                (table (export "t") 2 5 funcref)
                (memory (export "m") i64 1 2)
                (global (export "c") (mut f64) f64.const 1)
                (tag (export "e") (param i32)))"#,
        )
        .expect("test module parses");
        let shim = shim_app(&module).expect("shim builds");
        let text = wasmprinter::print_bytes(&shim).expect("shim prints");
        for expected in [
            r#"(import "under-test" "g" (func (;0;) (type 2) (result (ref null 0))))"#,
            r#"(import "under-test" "f" (func (;1;) (type 1) (param i32)))"#,
            r#"(import "under-test" "t" (table (;0;) 2 5 funcref))"#,
            r#"(import "under-test" "m" (memory (;0;) i64 1 2))"#,
            r#"(import "under-test" "c" (global (;0;) (mut f64)))"#,
            r#"(export "f" (func 1))"#,
            r#"(export "e" (tag 0))"#,
        ] {
            assert!(text.contains(expected), "missing {expected} in\n{text}");
        }
    }

    #[test]
    fn as_builtin_keeps_exports_and_is_deterministic() {
        let module = wat::parse_str(
            r#"(module (func (export "answer") (result i32) i32.const 42)
                       (memory (export "mem") 1))"#,
        )
        .expect("test module parses");
        let linked = Transform::AsBuiltin.apply(&module).expect("links");
        let exports: Vec<String> = Parser::new(0)
            .parse_all(&linked)
            .filter_map(|p| match p {
                Ok(Payload::ExportSection(r)) => Some(
                    r.into_iter()
                        .map(|e| e.expect("export reads").name.to_string())
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            })
            .flatten()
            .collect();
        assert_eq!(exports, ["answer", "mem"]);
    }

    #[test]
    fn invalid_modules_are_rejected_in_every_role() {
        // A binary whose only function returns the wrong type.
        let bytes = [
            0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // header
            0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, // type () -> i32
            0x03, 0x02, 0x01, 0x00, // one function of type 0
            0x0a, 0x06, 0x01, 0x04, 0x00, 0x42, 0x01, 0x0b, // i64.const 1
        ];
        for t in [
            Transform::Identity,
            Transform::AsBuiltin,
            Transform::InlineAll,
        ] {
            assert_eq!(t.reject(&bytes), Ok(()), "{}", t.name());
        }
        assert!(Transform::Identity.reject(b"(module (func").is_ok());
    }
}
