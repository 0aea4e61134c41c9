//! Custom sections that refer to code: branch hints, and the sections of
//! object files.
//!
//! **Branch hints** (`metadata.code.branch_hint`) tell an engine which way
//! an `if` or `br_if` usually goes. Each hint names a function by index and
//! an instruction by its byte offset in the function's body — and linking
//! moves both: resolved imports leave the function space, and a body whose
//! instructions name moved items is re-encoded, so a `call` may grow a byte
//! and every later offset with it. Copied verbatim, hints would land on
//! the wrong functions and between instructions. So the app's hints are
//! translated:
//!
//! 1. When the inputs are read ([`read`]), each hint becomes a pair
//!    (merged function index, ordinal of the instruction in its body).
//!    Emission re-encodes a body instruction by instruction, so the
//!    ordinal survives where the byte offset does not. Hints that cannot
//!    be right — a function the app does not define, an offset between
//!    instructions or on an instruction other than `if` and `br_if` — are
//!    dropped with one warning; a section that cannot be read at all is
//!    dropped with one warning. It is a custom section: validation never
//!    looked at it.
//! 2. After emission ([`insert`]), the ordinals are turned back into byte
//!    offsets of the emitted bodies and the section is written just before
//!    the code section, where the proposal places it.
//! 3. Inlining rewrites bodies wholesale (a call becomes a block holding
//!    another function's code) and removes and renumbers functions, so
//!    when it changes the module the section is dropped with one warning
//!    (`inline/mod.rs`); `--inline none` keeps the hints. Carrying hints
//!    through inlining — into the inlined copies too — is possible but
//!    has not been worth its code.
//!
//! Builtins' hints go with the rest of their custom sections (only their
//! names are merged).
//!
//! **Object-file sections** (`linking`, `reloc.*`) describe a relocatable
//! object to a static linker such as `wasm-ld`. The linked module is no
//! longer that object: the offsets and indices they record have moved.
//! They are dropped with a warning ([`is_object_file_section`]).

use crate::index::{DefinedFuncIdx, FuncIdx, Idx, ModuleMaps};
use crate::info::ModuleInfo;
use wasm_encoder::Section;
use wasmparser::{BinaryReader, BranchHintSectionReader, Operator, Parser, Payload};

/// Name of the branch-hint section.
pub const SECTION: &str = "metadata.code.branch_hint";

/// Whether a custom section belongs to an object file and means nothing
/// after linking.
pub fn is_object_file_section(name: &str) -> bool {
    name == "linking" || name.starts_with("reloc.")
}

/// The app's branch hints in a form linking does not move: per merged
/// function (ascending), the ordinals of hinted instructions (ascending)
/// and whether the branch is likely taken.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BranchHints {
    funcs: Vec<(u32, Vec<(u32, bool)>)>,
}

/// Reads the app's branch hints, if it has any; warnings go to `warnings`.
pub fn read(
    app: &ModuleInfo<'_>,
    maps: &ModuleMaps,
    warnings: &mut Vec<String>,
) -> Option<BranchHints> {
    let mut sections = app.customs.iter().filter(|c| c.name == SECTION);
    let section = sections.next()?;
    if sections.next().is_some() {
        warnings.push(format!(
            "{} has more than one `{SECTION}` section; only the first is kept",
            app.input
        ));
    }
    let mut dropped = Dropped::default();
    let mut hints = BranchHints::default();
    let reader = BinaryReader::new(section.data, 0);
    let read = BranchHintSectionReader::new(reader).and_then(|functions| {
        for function in functions {
            let function = function?;
            let Some(defined) = app
                .imported
                .defined(FuncIdx::new(function.func))
                .filter(|d| d.index() < app.bodies.len())
            else {
                dropped
                    .note(|| format!("function {}, which the app does not define", function.func));
                continue;
            };
            let offsets: Vec<(u32, bool)> = function
                .hints
                .into_iter()
                .map(|hint| hint.map(|h| (h.func_offset, h.taken)))
                .collect::<Result<_, _>>()?;
            let ordinals = ordinals(app, defined, function.func, &offsets, &mut dropped);
            if !ordinals.is_empty() {
                hints
                    .funcs
                    .push((maps.funcs.get(Idx::new(function.func)).raw(), ordinals));
            }
        }
        Ok(())
    });
    if let Err(e) = read {
        warnings.push(format!(
            "dropped the `{SECTION}` section of {}: it cannot be read ({e})",
            app.input
        ));
        return None;
    }
    if let Some(first) = dropped.first {
        warnings.push(format!(
            "ignored {} branch hint(s) of {} that name no `if` or `br_if` (the first names {first})",
            dropped.count, app.input
        ));
    }
    hints.funcs.sort_by_key(|(func, _)| *func);
    hints.funcs.dedup_by_key(|(func, _)| *func);
    (!hints.funcs.is_empty()).then_some(hints)
}

/// Hints that cannot be right, counted, the first described.
#[derive(Default)]
struct Dropped {
    count: usize,
    first: Option<String>,
}

impl Dropped {
    fn note(&mut self, what: impl FnOnce() -> String) {
        self.count += 1;
        if self.first.is_none() {
            self.first = Some(what());
        }
    }
}

/// The ordinals of the instructions at `offsets` in defined function
/// `defined` (index `func`), keeping only hints on an `if` or `br_if`.
fn ordinals(
    app: &ModuleInfo<'_>,
    defined: DefinedFuncIdx,
    func: u32,
    offsets: &[(u32, bool)],
    dropped: &mut Dropped,
) -> Vec<(u32, bool)> {
    let body = &app.bodies[defined.index()];
    let start = body.range().start;
    let mut found = Vec::new();
    let mut wanted = offsets.iter().peekable();
    if let Ok(mut reader) = body.get_operators_reader() {
        let mut ordinal = 0u32;
        while !reader.eof() {
            let offset = reader.original_position() - start;
            let Ok(op) = reader.read() else { break };
            while let Some(&&(at, taken)) = wanted.peek() {
                if u64::from(at) > offset {
                    break;
                }
                wanted.next();
                if u64::from(at) == offset
                    && matches!(op, Operator::If { .. } | Operator::BrIf { .. })
                {
                    found.push((ordinal, taken));
                } else {
                    dropped.note(|| format!("offset {at} of function {func}"));
                }
            }
            ordinal += 1;
        }
    }
    for &(at, _) in wanted {
        dropped.note(|| format!("offset {at} of function {func}"));
    }
    found.dedup_by_key(|(ordinal, _)| *ordinal);
    found
}

/// Writes `hints` into the emitted module `wasm`, just before its code
/// section, with offsets of the emitted bodies. A module without the
/// hinted functions' bodies gets no section.
pub fn insert(wasm: Vec<u8>, hints: &BranchHints) -> Vec<u8> {
    let mut section = wasm_encoder::BranchHints::new();
    let mut code_start = None;
    let mut previous_end = 0usize;
    let mut imported = 0u32;
    let mut next_body = 0u32;
    let mut pending = hints.funcs.iter().peekable();
    for payload in Parser::new(0).parse_all(&wasm) {
        let Ok(payload) = payload else { break };
        match &payload {
            Payload::ImportSection(reader) => {
                imported = reader
                    .clone()
                    .into_imports()
                    .filter_map(Result::ok)
                    .filter(|i| {
                        matches!(
                            i.ty,
                            wasmparser::TypeRef::Func(_) | wasmparser::TypeRef::FuncExact(_)
                        )
                    })
                    .count() as u32;
            }
            Payload::CodeSectionStart { .. } => code_start = Some(previous_end),
            Payload::CodeSectionEntry(body) => {
                let func = imported + next_body;
                next_body += 1;
                if let Some((_, ordinals)) = pending.next_if(|(f, _)| *f == func) {
                    section.function_hints(func, offsets(body, ordinals));
                }
            }
            _ => {}
        }
        if let Some((_, range)) = payload.as_section() {
            previous_end = range.end as usize;
        }
    }
    let Some(code_start) = code_start.filter(|_| !section.is_empty()) else {
        return wasm;
    };
    let mut out = Vec::with_capacity(wasm.len() + 4096);
    out.extend_from_slice(&wasm[..code_start]);
    section.append_to(&mut out);
    out.extend_from_slice(&wasm[code_start..]);
    out
}

/// Byte offsets in `body` of the instructions with these ordinals.
fn offsets(
    body: &wasmparser::FunctionBody<'_>,
    ordinals: &[(u32, bool)],
) -> Vec<wasm_encoder::BranchHint> {
    let start = body.range().start;
    let mut hints = Vec::with_capacity(ordinals.len());
    let mut wanted = ordinals.iter().peekable();
    if let Ok(mut reader) = body.get_operators_reader() {
        let mut ordinal = 0u32;
        while !reader.eof() && wanted.peek().is_some() {
            let offset = (reader.original_position() - start) as u32;
            if let Some((_, taken)) = wanted.next_if(|(o, _)| *o == ordinal) {
                hints.push(wasm_encoder::BranchHint {
                    branch_func_offset: offset,
                    branch_hint_value: u32::from(*taken),
                });
            }
            if reader.read().is_err() {
                break;
            }
            ordinal += 1;
        }
    }
    hints
}
