//! The code maps of the phases that move code, recorded only when there is
//! debug information to rewrite.

use super::map::{CodeMap, Recorder, Rewritten};
use crate::info::ModuleInfo;
use crate::plan::Plan;
use std::ops::Range;
use wasmparser::{FunctionBody, Parser, Payload};

/// A module's Code section: where its contents start and end in the file,
/// and its bodies.
pub(crate) struct CodeSection<'a> {
    /// File offsets of the section's contents (from the function count on).
    pub range: Range<u32>,
    /// The bodies, in order.
    pub bodies: Vec<FunctionBody<'a>>,
}

impl<'a> CodeSection<'a> {
    /// Reads the Code section of a module, if it has one.
    pub fn read(wasm: &'a [u8]) -> Result<Option<CodeSection<'a>>, String> {
        let mut section: Option<CodeSection<'a>> = None;
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.map_err(|e| e.to_string())? {
                Payload::CodeSectionStart {
                    unchecked_range: range,
                    ..
                } => {
                    section = Some(CodeSection {
                        range: range.start as u32..range.end as u32,
                        bodies: Vec::new(),
                    });
                }
                Payload::CodeSectionEntry(body) => {
                    if let Some(section) = section.as_mut() {
                        section.bodies.push(body);
                    }
                }
                Payload::End(_) => break,
                _ => {}
            }
        }
        Ok(section)
    }

    /// Each body's range (after its size) relative to the section's
    /// contents: the addresses DWARF gives functions.
    pub fn body_ranges(&self) -> Vec<Range<u32>> {
        self.bodies
            .iter()
            .map(|b| {
                let r = b.range();
                r.start as u32 - self.range.start..r.end as u32 - self.range.start
            })
            .collect()
    }
}

/// The map of the merged module as emitted: each body of `plan.funcs`
/// paired with its input's body through the drifts emission recorded
/// (`drifts`, in the same order; see `code::rewrite_body`); the synthesized
/// start function, last, came from no input.
pub(crate) fn merged(
    modules: &[ModuleInfo<'_>],
    plan: &Plan,
    wasm: &[u8],
    drifts: &[Vec<(u32, u32)>],
) -> Result<CodeMap, String> {
    let Some(out) = CodeSection::read(wasm)? else {
        return Ok(CodeMap::default());
    };
    let mut starts = Vec::with_capacity(modules.len());
    for module in modules {
        let start = CodeSection::read(module.bytes)?.map_or(0, |c| c.range.start);
        starts.push(start);
    }
    let base = out.range.start;
    let mut recorder = Recorder::default();
    for (i, body) in out.bodies.iter().enumerate() {
        let range = body.range();
        recorder.body(range.start as u32 - base..range.end as u32 - base);
        match (plan.funcs.get(i), drifts.get(i)) {
            (Some(placed), Some(drifts)) => {
                let from = &modules[placed.module].bodies[placed.index as usize];
                let bodies = Rewritten {
                    from,
                    from_base: starts[placed.module],
                    input: placed.module as u32,
                    to: body,
                    to_base: base,
                };
                recorder.drifted(&bodies, drifts)?;
                if cfg!(debug_assertions) {
                    // What emission recorded must be what decoding both
                    // sides finds.
                    let (mut full, mut short) = (Recorder::default(), Recorder::default());
                    full.pair(&bodies)?;
                    short.drifted(&bodies, drifts)?;
                    debug_assert_eq!(full.finish(0).marks, short.finish(0).marks);
                }
            }
            (Some(_), None) => return Err("emission recorded no drift for a body".into()),
            (None, _) => recorder.push(range.start as u32 - base, super::map::Source::None, None),
        }
    }
    Ok(recorder.finish(out.range.end - out.range.start))
}
