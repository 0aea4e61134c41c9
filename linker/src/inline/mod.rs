//! Inlining across the former import boundary, and removal of the builtin
//! code that is dead afterwards.
//!
//! After the merge, an app's call of `host-buf::get` is a direct call of an
//! ordinary function of the module, and `get` calls helpers that call the
//! intrinsics. Every engine would still pay for those frames — and a
//! compiler like the `lowering` crate only sees an intrinsic call where it
//! is made, not through a function boundary. This pass copies builtin
//! functions into their callers, so that the app's loop ends up calling the
//! intrinsics itself, and then removes what nothing reaches any more:
//!
//! ```text
//! ;; merged                                 ;; after `--inline auto`
//! (func $run ... (call $host-buf::get ...)) (func $run ...
//! (func $host-buf::get (param i64) ...        (local.set $host-buf::get::index)
//!   (call $u8-checked-native-load             (block $host-buf::get (result i32)
//!     (call $host-buf::buffer-ptr) ...))        (call $u8-checked-native-load ...)))
//! ```
//!
//! The pass runs on the merged module's bytes, after emission, as its own
//! pipeline:
//!
//! 1. **Read** the merged module ([`module`]) and where each item came from
//!    ([`origins`], read off the link plan).
//! 2. **Scan** every body once ([`scan`]): call sites of builtin functions,
//!    sizes, references.
//! 3. **Plan** ([`plan`]): recursion, order, and which call sites to inline
//!    under the mode's size rules. Only functions reachable before inlining
//!    are considered.
//! 4. **Apply** ([`apply`]): rewrite the chosen bodies, callees first.
//! 5. **Remove dead code** ([`crate::inline::dce`]) and **rebuild** the module under
//!    the final numbering ([`rebuild`], [`names`]).
//!
//! `--inline none` skips all of it: no inlining and no removal, the merged
//! module as emitted — "merge only", at no extra cost. Removal belongs to
//! `auto` and `all` because it is what makes inlining pay off (the inlined
//! originals are the dead code), and because `none` is the mode for
//! inspecting exactly what was merged.

pub mod apply;
pub mod dce;
pub mod module;
pub mod names;
pub mod ops;
pub mod origins;
pub mod plan;
pub mod rebuild;
pub mod scan;

use crate::debug::map::{CodeMap, Recorder, Rewritten};
use crate::debug::record::CodeSection;
use crate::error::LinkError;
use crate::index::{Func, FuncIdx, Idx};
use crate::plan::{ModuleId, Plan};
use crate::InlineMode;
use dce::Item;
use std::collections::BTreeSet;
use wasm_encoder::reencode::Reencode;
use wasmparser::{BinaryReader, FunctionBody};

/// What inlining and dead-code removal did, for the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InlineCounts {
    /// Call sites replaced by the callee's body, in functions of the output.
    pub calls_inlined: usize,
    /// Builtin functions removed.
    pub functions_removed: usize,
    /// Intrinsic imports removed.
    pub intrinsics_removed: usize,
    /// Other builtin items removed: types, tables, memories, globals, tags
    /// and segments.
    pub items_removed: usize,
    /// Size of the merged module before the pass.
    pub bytes_before: usize,
    /// Size after the pass.
    pub bytes_after: usize,
}

/// Runs the pass over the merged module `wasm`, produced from `plan` with
/// the app as input `app`. Returns the new module (the input itself when
/// nothing changed), the counts and warnings.
///
/// With `record`, also returns where the new module's code came from in the
/// merged module's (`None` when the code did not move).
pub fn run(
    wasm: Vec<u8>,
    plan: &Plan,
    app: ModuleId,
    mode: InlineMode,
    record: bool,
) -> Result<Inlined, LinkError> {
    let bytes_before = wasm.len();
    let mut counts = InlineCounts {
        bytes_before,
        bytes_after: bytes_before,
        ..InlineCounts::default()
    };
    if mode == InlineMode::None {
        return Ok(Inlined {
            wasm,
            counts,
            warnings: Vec::new(),
            map: None,
        });
    }
    let Transformed {
        rebuilt,
        warnings,
        map,
    } = transform(&wasm, plan, app, mode, &mut counts, record)?;
    let wasm = rebuilt.unwrap_or(wasm);
    counts.bytes_after = wasm.len();
    Ok(Inlined {
        wasm,
        counts,
        warnings,
        map,
    })
}

/// What [`run`] gives back.
pub struct Inlined {
    /// The new module.
    pub wasm: Vec<u8>,
    /// What the pass did.
    pub counts: InlineCounts,
    /// What it dropped.
    pub warnings: Vec<String>,
    /// When recording and the code moved: the new code's origins in the
    /// merged module's code.
    pub map: Option<CodeMap>,
}

/// What [`transform`] gives back: the new module unless nothing changed,
/// its warnings, and its code's origins when recording.
struct Transformed {
    rebuilt: Option<Vec<u8>>,
    warnings: Vec<String>,
    map: Option<CodeMap>,
}

/// The map of the rebuilt module's code back to the merged module's: each
/// surviving body paired with the body it was rebuilt from (through the
/// drifts the rebuild noted, `drifts`, one list per surviving body), and
/// through the map of its inlining when it was rewritten.
fn rebuilt_map(
    module: &module::Module<'_>,
    applied: &apply::Applied,
    live: &[bool],
    merged_code_start: u32,
    rebuilt: &[u8],
    drifts: &[Vec<(u32, u32)>],
) -> Result<CodeMap, String> {
    let Some(out) = CodeSection::read(rebuilt)? else {
        return Ok(CodeMap::default());
    };
    if out.bodies.len() != drifts.len() {
        return Err("the rebuild noted drifts for another number of bodies".into());
    }
    let base = out.range.start;
    let end = out.range.end - base;
    let mut recorder = Recorder::default();
    let sources = module.bodies.iter().enumerate().filter(|(i, _)| live[*i]);
    for (((i, original), body), drifts) in sources.zip(&out.bodies).zip(drifts) {
        let range = body.range();
        recorder.body(range.start as u32 - base..range.end as u32 - base);
        match (&applied.bodies[i], &applied.maps[i]) {
            (Some(bytes), Some(map)) => {
                let from = FunctionBody::new(BinaryReader::new(bytes, 0));
                let bodies = Rewritten {
                    from: &from,
                    from_base: 0,
                    input: 0,
                    to: body,
                    to_base: base,
                };
                let mut paired = Recorder::default();
                paired.drifted(&bodies, drifts)?;
                let paired = paired.finish(range.end as u32 - base);
                check_drifts(&bodies, &paired, range.end as u32 - base)?;
                recorder.extend_shifted(&paired.compose(map), 0);
            }
            (None, _) => {
                let bodies = Rewritten {
                    from: original,
                    from_base: merged_code_start,
                    input: 0,
                    to: body,
                    to_base: base,
                };
                if cfg!(debug_assertions) {
                    let mut paired = Recorder::default();
                    paired.drifted(&bodies, drifts)?;
                    check_drifts(&bodies, &paired.finish(end), end)?;
                }
                recorder.drifted(&bodies, drifts)?;
            }
            (Some(_), None) => return Err("a rewritten body has no map".into()),
        }
    }
    Ok(recorder.finish(end))
}

/// In a debug build, that the map `drifted` recorded from the rebuild's
/// drifts is what decoding both bodies finds.
fn check_drifts(bodies: &Rewritten<'_>, drifted: &CodeMap, end: u32) -> Result<(), String> {
    if cfg!(debug_assertions) {
        let mut paired = Recorder::default();
        paired.pair(bodies)?;
        debug_assert_eq!(paired.finish(end).marks, drifted.marks);
    }
    Ok(())
}

fn transform(
    wasm: &[u8],
    plan: &Plan,
    app: ModuleId,
    mode: InlineMode,
    counts: &mut InlineCounts,
    record: bool,
) -> Result<Transformed, LinkError> {
    let internal = |stage: &str, e: String| LinkError::InvalidOutput(format!("{stage}: {e}"));
    let module = module::Module::read(wasm)?;
    let code_start = if record {
        CodeSection::read(wasm)
            .map_err(|e| internal("recording code offsets", e))?
            .map(|code| code.range.start)
    } else {
        None
    };
    let origins = origins::Origins::of(plan, app, &module)?;
    let imported = module.imported;
    let defined = module.bodies.len();
    let params: Vec<u32> = imported
        .defined_funcs(defined)
        .map(|(_, func)| module.func_signature(func).params().len() as u32)
        .collect();
    let mut facts = scan::scan_all(&module.bodies, &params, &origins)?;

    // Reachability before inlining: dead builtin functions are not worth
    // flattening.
    let mut body_refs: Vec<Vec<Item>> = facts.iter().map(scan::Facts::all_refs).collect();
    let before = dce::analyze(
        &module,
        &origins,
        &dce::Inputs {
            body_refs: &body_refs,
            appended_types: &[],
        },
    );
    let builtin: Vec<bool> = imported
        .defined_funcs(defined)
        .map(|(_, func)| origins.is_builtin_func(func))
        .collect();
    let live_before: Vec<bool> = imported.defined_part::<Func, _>(&before.funcs).to_vec();
    let decisions = plan::plan(
        &plan::Graph {
            facts: &facts,
            builtin: &builtin,
            live: &live_before,
            params: &params,
            imported,
        },
        mode,
    );

    let mut warnings = Vec::new();
    let mut names = match module.names {
        Some((data, offset)) => match names::Names::read(data, offset) {
            Ok(names) => Some(names),
            Err(e) => {
                warnings.push(format!(
                    "dropped the name section: it could not be read after merging ({e})"
                ));
                None
            }
        },
        None => None,
    };
    let mut scratch_names = names::Names::default();
    let applied = apply::apply(
        &module,
        &origins,
        &facts,
        &decisions,
        names.as_mut().unwrap_or(&mut scratch_names),
        code_start,
    )
    .map_err(|e| internal("inlining", e))?;

    references_after_inlining(
        &decisions,
        &applied,
        &origins,
        imported,
        &mut facts,
        &mut body_refs,
    );
    let mut appended_refs = Vec::with_capacity(applied.appended_types.len());
    for results in &applied.appended_types {
        let mut collector = dce::Collector::new(&origins);
        for ty in results {
            let _ = collector.val_type(*ty);
        }
        appended_refs.push(collector.items);
    }
    let live = dce::analyze(
        &module,
        &origins,
        &dce::Inputs {
            body_refs: &body_refs,
            appended_types: &appended_refs,
        },
    );
    let removed = live.removed(&origins);
    counts.functions_removed = removed.funcs;
    counts.intrinsics_removed = removed.intrinsics;
    counts.items_removed = removed.other;
    counts.calls_inlined = applied
        .inlined
        .iter()
        .zip(imported.defined_part::<Func, _>(&live.funcs))
        .filter(|(_, live)| **live)
        .map(|(n, _)| *n as usize)
        .sum();
    let changed = applied.bodies.iter().any(Option::is_some);
    if !changed && !live.removes_anything() {
        return Ok(Transformed {
            rebuilt: None,
            warnings,
            map: None,
        });
    }
    let mut ref_funcs: BTreeSet<FuncIdx> = BTreeSet::new();
    for (f, live) in facts
        .iter()
        .zip(imported.defined_part::<Func, _>(&live.funcs))
    {
        if *live {
            ref_funcs.extend(f.ref_funcs.iter().copied());
        }
    }
    let hinted = module.slots.iter().any(
        |slot| matches!(slot, module::Slot::Custom { name, .. } if *name == crate::hints::SECTION),
    );
    if hinted {
        warnings.push(format!(
            "dropped the `{}` section: inlining rewrote the code its offsets refer to (`--inline none` keeps it)",
            crate::hints::SECTION
        ));
    }
    let maps = live.maps();
    let rebuilt = rebuild::rebuild(&rebuild::Inputs {
        module: &module,
        applied: &applied,
        live: &live,
        maps: &maps,
        names: names.as_ref(),
        ref_funcs: &ref_funcs,
        record: code_start.is_some(),
    })
    .map_err(|e| internal("rebuilding the module", e))?;
    let rebuild::Rebuilt {
        wasm: rebuilt,
        drifts,
    } = rebuilt;
    let map = match code_start {
        Some(start) => Some(
            rebuilt_map(
                &module,
                &applied,
                imported.defined_part::<Func, _>(&live.funcs),
                start,
                &rebuilt,
                &drifts,
            )
            .map_err(|e| internal("recording code offsets", e))?,
        ),
        None => None,
    };
    Ok(Transformed {
        rebuilt: Some(rebuilt),
        warnings,
        map,
    })
}

/// Updates the references of every rewritten body, derived instead of read
/// again: a rewritten body refers to what its own code did, to the callees
/// of the sites it kept, to everything the bodies inlined into it refer to
/// (those were rewritten before it), and to the block types of those
/// bodies. `body_refs` holds every body's references, `facts` its
/// `ref.func` targets.
fn references_after_inlining(
    decisions: &plan::InlinePlan,
    applied: &apply::Applied,
    origins: &origins::Origins,
    imported: module::Imported,
    facts: &mut [scan::Facts],
    body_refs: &mut [Vec<Item>],
) {
    for rewrite in &decisions.rewrites {
        let f = rewrite.func.index();
        let mut refs = facts[f].refs.clone();
        let mut taken = facts[f].ref_funcs.clone();
        let mut inlined = BTreeSet::new();
        for (site, &inline) in facts[f].sites.iter().zip(&rewrite.inline) {
            if inline {
                let callee = imported
                    .defined(site.callee)
                    .expect("call sites name defined functions");
                inlined.insert(callee.index());
            } else {
                refs.push(Item::Func(site.callee));
            }
        }
        for g in inlined {
            refs.extend_from_slice(&body_refs[g]);
            taken.extend_from_slice(&facts[g].ref_funcs);
        }
        refs.extend(
            applied.block_types[f]
                .iter()
                .filter(|&&ty| origins.types.get(ty as usize).is_none_or(|o| o.removable()))
                .map(|&ty| Item::Type(Idx::new(ty))),
        );
        refs.sort_unstable();
        refs.dedup();
        taken.sort_unstable();
        taken.dedup();
        body_refs[f] = refs;
        facts[f].ref_funcs = taken;
    }
}
