//! Rewriting function bodies as the plan decided.
//!
//! A call `call $g` (arguments on the stack) of an inlined callee becomes
//!
//! ```text
//! local.set $g::p1 ... local.set $g::p0   ;; arguments, last one first
//! (zero every other local of $g)          ;; only if the site can run twice
//! block $g (result ...)                   ;; [] -> results of $g
//!   ...body of $g...                      ;; locals renumbered,
//! end                                     ;; `return` becomes `br` to $g
//! ```
//!
//! - **Locals.** The callee's locals become fresh locals of the caller,
//!   shared by all sites of that callee in this caller (sites never overlap,
//!   so one set suffices and the caller's local count stays bounded). They
//!   start at zero on entry to the caller, like the callee's own; a site
//!   that may run a second time with them dirty — one inside a loop, or any
//!   site after the first of that callee — zeroes them first. Non-nullable
//!   references have no zero and need none: validation guarantees the
//!   callee sets them before every use, and the block keeps the callee's
//!   structure, so that still holds.
//! - **Labels.** The block takes the place of the callee's function body,
//!   so every branch depth inside the body — `br`, `br_table`, `try_table`
//!   catch labels, `delegate` — still reaches the same construct. `return`
//!   becomes `br` to the block, at the nesting depth where it stood.
//! - **Tail calls.** `return_call*` inside the body becomes the plain call
//!   followed by `br` to the block, since returning from the callee no
//!   longer returns from the frame. When the site itself is a
//!   `return_call`, the caller returns whatever the block leaves, so the
//!   body's tail calls stay tail calls (their results fit the caller's,
//!   being subtypes of the callee's) and the block is followed by `return`:
//!   a chain of tail calls keeps running in constant stack.
//! - **Everything else** is copied byte for byte: inlining moves no
//!   module-level index, traps and effects happen in the same order, and
//!   unreachable code stays as stack-polymorphic as it was.
//!
//! Multi-value results need a function type `[] -> results` for the block
//! type; an existing one is reused, otherwise one is appended to the type
//! section (dead-code removal drops it again if it ends up unused).

use super::module::Module;
use super::names::Names;
use super::ops;
use super::origins::Origins;
use super::plan::{InlinePlan, Rewrite};
use super::scan::Facts;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{BlockType, Encode, Instruction};
use wasmparser::{BinaryReader, FunctionBody, Operator, ValType};

/// The rewritten bodies and what they need.
#[derive(Debug, Default)]
pub struct Applied {
    /// New body of each defined function, when it changed.
    pub bodies: Vec<Option<Vec<u8>>>,
    /// Function types `[] -> results` appended after the module's types,
    /// in order.
    pub appended_types: Vec<Vec<ValType>>,
    /// Calls inlined into each defined function.
    pub inlined: Vec<u32>,
}

/// Rewrites the bodies the plan names, callees first, updating `names`.
pub fn apply(
    module: &Module<'_>,
    origins: &Origins,
    facts: &[Facts],
    plan: &InlinePlan,
    names: &mut Names,
) -> Result<Applied, String> {
    let mut applied = Applied {
        bodies: vec![None; module.bodies.len()],
        appended_types: Vec::new(),
        inlined: vec![0; module.bodies.len()],
    };
    let mut block_types = BlockTypes::new(module);
    let mut own_labels = BTreeMap::new();
    for rewrite in &plan.rewrites {
        let sources = Sources {
            module,
            origins,
            facts,
            bodies: &applied.bodies,
            own_labels: &own_labels,
        };
        let (body, own) = rewrite_function(&sources, rewrite, &mut block_types, names)?;
        own_labels.insert(module.imported.funcs + rewrite.func, own);
        let f = rewrite.func as usize;
        applied.bodies[f] = Some(body);
        applied.inlined[f] = rewrite.inline.iter().filter(|i| **i).count() as u32;
    }
    applied.appended_types = block_types.appended;
    Ok(applied)
}

/// Function types usable as the block type of a multi-value body.
struct BlockTypes {
    existing: HashMap<Vec<ValType>, u32>,
    next: u32,
    appended: Vec<Vec<ValType>>,
}

impl BlockTypes {
    fn new(module: &Module<'_>) -> Self {
        let mut existing = HashMap::new();
        for (index, signature) in module.signatures.iter().enumerate() {
            if let Some(sig) = signature.as_ref().filter(|s| s.params().is_empty()) {
                existing
                    .entry(sig.results().to_vec())
                    .or_insert(index as u32);
            }
        }
        BlockTypes {
            existing,
            next: module.signatures.len() as u32,
            appended: Vec::new(),
        }
    }

    fn index_of(&mut self, results: &[ValType]) -> u32 {
        if let Some(&index) = self.existing.get(results) {
            return index;
        }
        let index = self.next;
        self.next += 1;
        self.appended.push(results.to_vec());
        self.existing.insert(results.to_vec(), index);
        index
    }
}

/// Where callee bodies and facts about them come from.
struct Sources<'a, 'm> {
    module: &'a Module<'m>,
    origins: &'a Origins,
    facts: &'a [Facts],
    /// Bodies already rewritten (callees are rewritten before callers).
    bodies: &'a [Option<Vec<u8>>],
    /// For each rewritten function, the new numbers of the labels its own
    /// code opens (as opposed to those of the code inlined into it).
    own_labels: &'a BTreeMap<u32, BTreeSet<u32>>,
}

/// One call site being inlined.
#[derive(Clone, Copy)]
struct Call {
    callee: u32,
    tail: bool,
    in_loop: bool,
}

/// The caller being rewritten: its new locals and names.
struct Caller {
    next_local: u32,
    new_locals: Vec<ValType>,
    /// Callee (merged index) to the caller locals holding its locals.
    pools: BTreeMap<u32, Vec<u32>>,
    local_names: BTreeMap<u32, String>,
    label_names: BTreeMap<u32, String>,
    next_label: u32,
    /// New numbers of the caller's own labels.
    own_labels: BTreeSet<u32>,
}

fn rewrite_function(
    sources: &Sources<'_, '_>,
    rewrite: &Rewrite,
    block_types: &mut BlockTypes,
    names: &mut Names,
) -> Result<(Vec<u8>, BTreeSet<u32>), String> {
    let err = |e: wasmparser::BinaryReaderError| e.to_string();
    let (module, facts) = (sources.module, sources.facts);
    let defined = rewrite.func as usize;
    let func = module.imported.funcs + rewrite.func;
    let body = &module.bodies[defined];
    let bytes = body.as_bytes();
    let base = body.range().start;
    let at = |position: u64| (position - base) as usize;
    let label_names = names.labels.remove(&func).unwrap_or_default();
    let local_names = names.locals.remove(&func).unwrap_or_default();
    let mut caller = Caller {
        next_local: facts[defined].locals,
        new_locals: Vec::new(),
        pools: BTreeMap::new(),
        local_names,
        label_names: BTreeMap::new(),
        next_label: 0,
        own_labels: BTreeSet::new(),
    };
    let mut code = Vec::with_capacity(bytes.len() * 2);
    let mut reader = body.get_operators_reader().map_err(err)?;
    let ops_start = reader.original_position();
    let mut run_start = ops_start;
    let names_before: &Names = names;
    let mut loops: Vec<bool> = Vec::new();
    let mut loop_depth = 0u32;
    let mut old_label = 0u32;
    let mut site = 0usize;
    while !reader.eof() {
        let position = reader.original_position();
        let op = reader.read().map_err(err)?;
        let call = match op {
            Operator::Call { function_index } => Some((function_index, false)),
            Operator::ReturnCall { function_index } => Some((function_index, true)),
            _ => None,
        };
        if let Some((callee, tail)) = call.filter(|(c, _)| sources.origins.is_builtin_func(*c)) {
            let planned = facts[defined].sites.get(site).copied();
            if planned.map(|s| (s.callee, s.tail)) != Some((callee, tail)) {
                return Err(format!(
                    "call site {site} of function {func} is not the one the plan saw"
                ));
            }
            let inline = rewrite.inline[site];
            site += 1;
            if inline {
                code.extend_from_slice(&bytes[at(run_start)..at(position)]);
                let call = Call {
                    callee,
                    tail,
                    in_loop: loop_depth > 0,
                };
                inline_site(
                    sources,
                    block_types,
                    names_before,
                    &mut caller,
                    call,
                    &mut code,
                )?;
                run_start = reader.original_position();
            }
            continue;
        }
        if ops::opens_label(&op) {
            if let Some(name) = label_names.get(&old_label) {
                caller.label_names.insert(caller.next_label, name.clone());
            }
            caller.own_labels.insert(caller.next_label);
            old_label += 1;
            caller.next_label += 1;
            let is_loop = matches!(op, Operator::Loop { .. });
            loop_depth += u32::from(is_loop);
            loops.push(is_loop);
        } else if matches!(op, Operator::End | Operator::Delegate { .. }) {
            if let Some(true) = loops.pop() {
                loop_depth -= 1;
            }
        }
    }
    if site != rewrite.inline.len() {
        return Err(format!(
            "function {func} has {site} call sites, the plan expected {}",
            rewrite.inline.len()
        ));
    }
    code.extend_from_slice(&bytes[at(run_start)..]);

    // Locals: the original declarations, then the new ones in runs.
    let mut out = Vec::with_capacity(code.len() + 16);
    let mut locals = body.get_locals_reader().map_err(err)?;
    let declared = locals.get_count();
    let mut runs: Vec<(u32, ValType)> = Vec::new();
    for ty in &caller.new_locals {
        match runs.last_mut() {
            Some((count, last)) if last == ty => *count += 1,
            _ => runs.push((1, *ty)),
        }
    }
    (declared + runs.len() as u32).encode(&mut out);
    for _ in 0..declared {
        locals.read().map_err(err)?;
    }
    let declarations_end = locals.original_position();
    let declarations_start = {
        let mut probe = body.get_binary_reader();
        probe.read_var_u32().map_err(err)?;
        probe.original_position()
    };
    out.extend_from_slice(&bytes[at(declarations_start)..at(declarations_end)]);
    for (count, ty) in runs {
        count.encode(&mut out);
        RoundtripReencoder
            .val_type(ty)
            .map_err(|e| e.to_string())?
            .encode(&mut out);
    }
    out.extend_from_slice(&code);

    if !caller.local_names.is_empty() {
        names.locals.insert(func, caller.local_names);
    }
    if !caller.label_names.is_empty() {
        names.labels.insert(func, caller.label_names);
    }
    Ok((out, caller.own_labels))
}

/// Writes the inlined copy of the callee for one call site.
fn inline_site(
    sources: &Sources<'_, '_>,
    block_types: &mut BlockTypes,
    names: &Names,
    caller: &mut Caller,
    call: Call,
    code: &mut Vec<u8>,
) -> Result<(), String> {
    let err = |e: wasmparser::BinaryReaderError| e.to_string();
    let (module, facts, bodies) = (sources.module, sources.facts, sources.bodies);
    let Call {
        callee,
        tail,
        in_loop,
    } = call;
    let defined = (callee - module.imported.funcs) as usize;
    let body = match &bodies[defined] {
        Some(bytes) => FunctionBody::new(BinaryReader::new(bytes, 0)),
        None => module.bodies[defined].clone(),
    };
    let signature = module.func_signature(callee);
    let params = signature.params();
    let callee_name = names
        .funcs
        .get(&callee)
        .cloned()
        .unwrap_or_else(|| format!("func{callee}"));

    // The callee's locals, parameters first.
    let mut types: Vec<ValType> = params.to_vec();
    let mut locals = body.get_locals_reader().map_err(err)?;
    for _ in 0..locals.get_count() {
        let (count, ty) = locals.read().map_err(err)?;
        types.extend(std::iter::repeat_n(ty, count as usize));
    }
    let first_site = !caller.pools.contains_key(&callee);
    if first_site {
        let own = facts[defined].locals;
        let callee_locals = names.locals.get(&callee);
        let mut pool = Vec::with_capacity(types.len());
        for (i, ty) in types.iter().enumerate() {
            let local = caller.next_local;
            caller.next_local += 1;
            caller.new_locals.push(*ty);
            pool.push(local);
            let given = callee_locals.and_then(|m| m.get(&(i as u32)));
            let name = match given {
                // Locals the callee got from its own inlining are already
                // qualified by their callee.
                Some(name) if i as u32 >= own => name.clone(),
                Some(name) => format!("{callee_name}::{name}"),
                None => format!("{callee_name}::{i}"),
            };
            caller.local_names.insert(local, name);
        }
        caller.pools.insert(callee, pool);
    }
    let pool = caller.pools[&callee].clone();

    for &local in pool[..params.len()].iter().rev() {
        Instruction::LocalSet(local).encode(code);
    }
    if in_loop || !first_site {
        for (ty, &local) in types.iter().zip(&pool).skip(params.len()) {
            if let Some(zero) = zero(*ty)? {
                zero.encode(code);
                Instruction::LocalSet(local).encode(code);
            }
        }
    }
    let results = signature.results();
    let block_type = match results {
        [] => BlockType::Empty,
        [one] => BlockType::Result(
            RoundtripReencoder
                .val_type(*one)
                .map_err(|e| e.to_string())?,
        ),
        many => BlockType::FunctionType(if params.is_empty() {
            module.func_types[callee as usize]
        } else {
            block_types.index_of(many)
        }),
    };
    Instruction::Block(block_type).encode(code);
    caller
        .label_names
        .insert(caller.next_label, callee_name.clone());
    caller.next_label += 1;
    let label_base = caller.next_label;
    let own = |label: u32| match sources.own_labels.get(&callee) {
        Some(own) => own.contains(&label),
        None => label < facts[defined].labels,
    };
    if let Some(labels) = names.labels.get(&callee) {
        for (&label, name) in labels {
            // The callee's own labels are qualified by its name; those of
            // code inlined into it already are.
            let name = if own(label) {
                format!("{callee_name}::{name}")
            } else {
                name.clone()
            };
            caller.label_names.insert(label_base + label, name);
        }
    }

    let bytes = body.as_bytes();
    let base = body.range().start;
    let at = |position: u64| (position - base) as usize;
    let mut reader = body.get_operators_reader().map_err(err)?;
    let mut run_start = reader.original_position();
    let mut depth = 0u32;
    let map = |local: u32| pool[local as usize];
    loop {
        let position = reader.original_position();
        let op = reader.read().map_err(err)?;
        let replacement: Option<[Option<Instruction<'_>>; 2]> = match &op {
            Operator::Return => Some([Some(Instruction::Br(depth)), None]),
            Operator::ReturnCall { function_index } if !tail => Some([
                Some(Instruction::Call(*function_index)),
                Some(Instruction::Br(depth)),
            ]),
            Operator::ReturnCallIndirect {
                type_index,
                table_index,
            } if !tail => Some([
                Some(Instruction::CallIndirect {
                    type_index: *type_index,
                    table_index: *table_index,
                }),
                Some(Instruction::Br(depth)),
            ]),
            Operator::ReturnCallRef { type_index } if !tail => Some([
                Some(Instruction::CallRef(*type_index)),
                Some(Instruction::Br(depth)),
            ]),
            Operator::End if depth == 0 => {
                // The body's own `end` now closes the block.
                code.extend_from_slice(&bytes[at(run_start)..]);
                break;
            }
            Operator::End | Operator::Delegate { .. } => {
                depth -= 1;
                None
            }
            other if ops::opens_label(other) => {
                depth += 1;
                caller.next_label += 1;
                None
            }
            other => ops::remap_local(other, &map).map(|i| [Some(i), None]),
        };
        if let Some(instructions) = replacement {
            code.extend_from_slice(&bytes[at(run_start)..at(position)]);
            for instruction in instructions.iter().flatten() {
                instruction.encode(code);
            }
            run_start = reader.original_position();
        }
    }
    if tail {
        Instruction::Return.encode(code);
    }
    Ok(())
}

/// The instruction pushing the default value of `ty`, or `None` for a
/// non-nullable reference, which has none.
fn zero(ty: ValType) -> Result<Option<Instruction<'static>>, String> {
    Ok(Some(match ty {
        ValType::I32 => Instruction::I32Const(0),
        ValType::I64 => Instruction::I64Const(0),
        ValType::F32 => Instruction::F32Const(0.0f32.into()),
        ValType::F64 => Instruction::F64Const(0.0f64.into()),
        ValType::V128 => Instruction::V128Const(0),
        ValType::Ref(r) if r.is_nullable() => Instruction::RefNull(
            RoundtripReencoder
                .heap_type(r.heap_type())
                .map_err(|e| e.to_string())?,
        ),
        ValType::Ref(_) => return Ok(None),
    }))
}
