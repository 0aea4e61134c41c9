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
//!   a chain of tail calls keeps running in constant stack. A plain call
//!   is only right where no exception handler is in force: the plan never
//!   inlines a body whose tail call sits inside one of its own
//!   `try_table`s at a non-tail site, nor a tail site inside the caller's.
//! - **Everything else** is copied byte for byte: inlining moves no
//!   module-level index, traps and effects happen in the same order, and
//!   unreachable code stays as stack-polymorphic as it was.
//!
//! Multi-value results need a function type `[] -> results` for the block
//! type; an existing one is reused, otherwise one is appended to the type
//! section (dead-code removal drops it again if it ends up unused).
//!
//! A callee is read once, into a `Template`: the byte ranges of its body
//! that are copied as they are and the few instructions that change at a
//! site. A builtin accessor called from a hundred thousand places in a
//! large app is then copied a hundred thousand times, not re-parsed.

use super::module::Module;
use super::names::Names;
use super::ops;
use super::origins::Origins;
use super::plan::{InlinePlan, Rewrite};
use super::scan::Facts;
use crate::debug::map::{CodeMap, Origin, Recorder, Source};
use crate::index::{DefinedFuncIdx, FuncIdx};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{BlockType, Encode, Instruction};
use wasmparser::{BinaryReader, FunctionBody, Operator, OperatorsReader, ValType};

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
    /// Type indices each rewritten function names as block types of the
    /// bodies inlined into it directly.
    pub block_types: Vec<Vec<u32>>,
    /// When recording: where each rewritten body's bytes came from, as
    /// offsets in the merged module's code.
    pub maps: Vec<Option<CodeMap>>,
}

/// Rewrites the bodies the plan names, callees first, updating `names`.
pub fn apply(
    module: &Module<'_>,
    origins: &Origins,
    facts: &[Facts],
    plan: &InlinePlan,
    names: &mut Names,
    code_start: Option<u32>,
) -> Result<Applied, String> {
    let count = module.bodies.len();
    let mut applied = Applied {
        bodies: vec![None; count],
        appended_types: Vec::new(),
        inlined: vec![0; count],
        block_types: vec![Vec::new(); count],
        maps: vec![None; count],
    };
    let mut block_types = BlockTypes::new(module);
    let mut own_labels = BTreeMap::new();
    let named = !names.locals.is_empty() || !names.labels.is_empty();
    let mut templates: Vec<Option<Template>> = (0..count).map(|_| None).collect();
    for rewrite in &plan.rewrites {
        // Templates of this function's callees, made from their final bodies.
        for (site, inline) in facts[rewrite.func.index()]
            .sites
            .iter()
            .zip(&rewrite.inline)
        {
            let defined = callee_body(module, site.callee)?.index();
            if *inline && templates[defined].is_none() {
                let sources = Sources {
                    module,
                    facts,
                    bodies: &applied.bodies,
                    maps: &applied.maps,
                    code_start,
                    own_labels: &own_labels,
                    named,
                };
                templates[defined] = Some(Template::new(
                    &sources,
                    site.callee,
                    &mut block_types,
                    names,
                )?);
            }
        }
        let sources = Sources {
            module,
            facts,
            bodies: &applied.bodies,
            maps: &applied.maps,
            code_start,
            own_labels: &own_labels,
            named,
        };
        let rewritten = rewrite_function(&sources, origins, &templates, rewrite, names)?;
        let f = rewrite.func.index();
        own_labels.insert(module.imported.absolute(rewrite.func), rewritten.own_labels);
        applied.bodies[f] = Some(rewritten.body);
        applied.maps[f] = rewritten.map;
        applied.block_types[f] = rewritten.block_types;
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
    facts: &'a [Facts],
    /// Bodies already rewritten (callees are rewritten before callers).
    bodies: &'a [Option<Vec<u8>>],
    /// Where the rewritten bodies came from, when recording.
    maps: &'a [Option<CodeMap>],
    /// Where the merged module's code section contents start, when
    /// recording a map of the rewritten bodies.
    code_start: Option<u32>,
    /// For each rewritten function, the new numbers of the labels its own
    /// code opens (as opposed to those of the code inlined into it).
    own_labels: &'a BTreeMap<FuncIdx, BTreeSet<u32>>,
    /// Whether the inputs named any locals or labels. Only then are names
    /// added for what inlining brings in: a module built with debug names
    /// stays debuggable, while a stripped one does not gain a name section
    /// larger than its code (a name per inlined block and local, at every
    /// site, adds up in an app with a hundred thousand sites).
    named: bool,
}

impl Sources<'_, '_> {
    /// The current body of defined function `defined`.
    fn body(&self, defined: DefinedFuncIdx) -> FunctionBody<'_> {
        match &self.bodies[defined.index()] {
            Some(bytes) => FunctionBody::new(BinaryReader::new(bytes, 0)),
            None => self.module.bodies[defined.index()].clone(),
        }
    }

    /// The place in the merged code of the byte at `at` of the current
    /// body of `defined`.
    fn origin(&self, defined: DefinedFuncIdx, at: usize) -> Option<Origin> {
        let code_start = self.code_start?;
        match &self.maps[defined.index()] {
            Some(map) => map.lookup(at as u32).0,
            None => Some(merged_origin(
                self.module.bodies[defined.index()].range().start as usize + at,
                code_start,
            )),
        }
    }

    /// Records that the current body of `defined`, bytes `range`, was
    /// copied to `to` for the call at `call`.
    fn record_copy(
        &self,
        defined: DefinedFuncIdx,
        range: Range<usize>,
        to: usize,
        call: Option<Origin>,
        recorder: &mut Recorder,
    ) {
        let Some(code_start) = self.code_start else {
            return;
        };
        let site = |_: Option<Origin>| call;
        match &self.maps[defined.index()] {
            Some(map) => map.copy_into(
                range.start as u32..range.end as u32,
                to as u32,
                &site,
                recorder,
            ),
            None => {
                let at = self.module.bodies[defined.index()].range().start as usize + range.start;
                recorder.push(to as u32, Source::Copy(merged_origin(at, code_start)), call);
            }
        }
    }
}

/// The place in the merged module's code of its byte at file offset `at`.
fn merged_origin(at: usize, code_start: u32) -> Origin {
    Origin {
        input: 0,
        offset: at as u32 - code_start,
    }
}

/// The defined function an inlined callee is. Only builtin functions are
/// inlined, and those are all defined; anything else is a planning bug.
fn callee_body(module: &Module<'_>, callee: FuncIdx) -> Result<DefinedFuncIdx, String> {
    module
        .imported
        .defined(callee)
        .ok_or_else(|| format!("inlined callee {callee:?} is an import"))
}

/// One stretch of a callee's instructions.
#[derive(Debug, Clone)]
enum Piece {
    /// Bytes copied unchanged.
    Copy(Range<usize>),
    /// One instruction naming a local, renumbered at each site.
    Local(Range<usize>),
    /// `return` (at this offset of the body): a branch out of the inlined
    /// block from this depth.
    Return { at: usize, depth: u32 },
    /// A tail call (the original bytes): kept at a tail site, otherwise the
    /// plain call and a branch out of the block from this depth.
    TailCall {
        original: Range<usize>,
        plain: Instruction<'static>,
        depth: u32,
    },
}

/// A callee ready to be copied into its callers.
struct Template {
    /// Its name, for its block and locals.
    name: String,
    /// How many of its locals are parameters.
    params: usize,
    /// Types of its locals, parameters first.
    locals: Vec<ValType>,
    /// Names of its locals, as they appear in a caller.
    local_names: Vec<String>,
    /// The type of the block replacing the call.
    block_type: BlockType,
    /// The type index `block_type` names, if any.
    block_type_index: Option<u32>,
    /// Its instructions, after the locals, up to and including the final `end`.
    pieces: Vec<Piece>,
    /// Names of the labels the body opens, numbered from 0 in the body, as
    /// they appear in a caller.
    label_names: Vec<(u32, String)>,
    /// Labels the body opens.
    labels: u32,
}

impl Template {
    fn new(
        sources: &Sources<'_, '_>,
        callee: FuncIdx,
        block_types: &mut BlockTypes,
        names: &Names,
    ) -> Result<Template, String> {
        let err = |e: wasmparser::BinaryReaderError| e.to_string();
        let module = sources.module;
        let defined = callee_body(module, callee)?;
        let body = sources.body(defined);
        let signature = module.func_signature(callee);
        let name = names
            .funcs
            .get(&callee.raw())
            .cloned()
            .unwrap_or_else(|| format!("func{}", callee.raw()));

        let mut locals: Vec<ValType> = signature.params().to_vec();
        let mut reader = body.get_locals_reader().map_err(err)?;
        for _ in 0..reader.get_count() {
            let (count, ty) = reader.read().map_err(err)?;
            locals.extend(std::iter::repeat_n(ty, count as usize));
        }
        // Locals the callee got from its own inlining are already
        // qualified by their callee; its own get its name.
        let own_locals = sources.facts[defined.index()].locals as usize;
        let given = names.locals.get(&callee.raw());
        let local_names = (0..locals.len())
            .map(|i| match given.and_then(|m| m.get(&(i as u32))) {
                Some(local) if i >= own_locals => local.clone(),
                Some(local) => format!("{name}::{local}"),
                None => format!("{name}::{i}"),
            })
            .collect();

        let results = signature.results();
        let (block_type, block_type_index) = match results {
            [] => (BlockType::Empty, None),
            [one] => (
                BlockType::Result(
                    RoundtripReencoder
                        .val_type(*one)
                        .map_err(|e| e.to_string())?,
                ),
                None,
            ),
            many => {
                // The callee's own type fits when it has no parameters.
                let index = if signature.params().is_empty() {
                    module.func_types[callee.raw() as usize]
                } else {
                    block_types.index_of(many)
                };
                (BlockType::FunctionType(index), Some(index))
            }
        };

        let bytes = body.as_bytes();
        let base = body.range().start;
        let at = |position: u64| (position - base) as usize;
        let mut pieces = Vec::new();
        let mut reader = body.get_operators_reader().map_err(err)?;
        let mut run_start = at(reader.original_position());
        let mut depth = 0u32;
        let mut labels = 0u32;
        loop {
            let start = at(reader.original_position());
            let op = reader.read().map_err(err)?;
            let end = at(reader.original_position());
            let plain = |instruction: Instruction<'static>| Piece::TailCall {
                original: start..end,
                plain: instruction,
                depth,
            };
            let piece = match &op {
                Operator::Return => Some(Piece::Return { at: start, depth }),
                Operator::ReturnCall { function_index } => {
                    Some(plain(Instruction::Call(*function_index)))
                }
                Operator::ReturnCallIndirect {
                    type_index,
                    table_index,
                } => Some(plain(Instruction::CallIndirect {
                    type_index: *type_index,
                    table_index: *table_index,
                })),
                Operator::ReturnCallRef { type_index } => {
                    Some(plain(Instruction::CallRef(*type_index)))
                }
                Operator::End if depth == 0 => {
                    // The body's own `end` now closes the block.
                    pieces.push(Piece::Copy(run_start..bytes.len()));
                    break;
                }
                Operator::End | Operator::Delegate { .. } => {
                    depth -= 1;
                    None
                }
                other if ops::opens_label(other) => {
                    depth += 1;
                    labels += 1;
                    None
                }
                other => ops::remap_local(other, &|i| i).map(|_| Piece::Local(start..end)),
            };
            if let Some(piece) = piece {
                if run_start < start {
                    pieces.push(Piece::Copy(run_start..start));
                }
                pieces.push(piece);
                run_start = end;
            }
        }

        let own = |label: u32| match sources.own_labels.get(&callee) {
            Some(own) => own.contains(&label),
            None => label < sources.facts[defined.index()].labels,
        };
        let label_names = names
            .labels
            .get(&callee.raw())
            .map(|labels| {
                labels
                    .iter()
                    .map(|(&label, local)| {
                        // The callee's own labels are qualified by its
                        // name; those of code inlined into it already are.
                        let qualified = if own(label) {
                            format!("{name}::{local}")
                        } else {
                            local.clone()
                        };
                        (label, qualified)
                    })
                    .collect()
            })
            .unwrap_or_default();

        Ok(Template {
            name,
            params: signature.params().len(),
            locals,
            local_names,
            block_type,
            block_type_index,
            pieces,
            label_names,
            labels,
        })
    }
}

/// One call site being inlined.
#[derive(Clone, Copy)]
struct Call {
    callee: FuncIdx,
    tail: bool,
    in_loop: bool,
    /// Where the call is in the merged code, when recording.
    at: Option<Origin>,
}

/// The caller being rewritten: its new locals and names.
struct Caller {
    /// Whether names are added for what inlining brings in.
    named: bool,
    next_local: u32,
    new_locals: Vec<ValType>,
    /// Callee (merged index) to the caller locals holding its locals.
    pools: BTreeMap<FuncIdx, Vec<u32>>,
    local_names: BTreeMap<u32, String>,
    label_names: BTreeMap<u32, String>,
    next_label: u32,
    /// New numbers of the caller's own labels.
    own_labels: BTreeSet<u32>,
    /// Type indices used as block types.
    block_types: BTreeSet<u32>,
}

/// A rewritten function.
struct Rewritten {
    body: Vec<u8>,
    map: Option<CodeMap>,
    own_labels: BTreeSet<u32>,
    block_types: Vec<u32>,
}

fn rewrite_function(
    sources: &Sources<'_, '_>,
    origins: &Origins,
    templates: &[Option<Template>],
    rewrite: &Rewrite,
    names: &mut Names,
) -> Result<Rewritten, String> {
    let err = |e: wasmparser::BinaryReaderError| e.to_string();
    let (module, facts) = (sources.module, sources.facts);
    let defined = rewrite.func.index();
    let func = module.imported.absolute(rewrite.func);
    let body = &module.bodies[defined];
    let bytes = body.as_bytes();
    let base = body.range().start;
    let at = |position: u64| (position - base) as usize;
    let label_names = names.labels.remove(&func.raw());
    let local_names = names.locals.remove(&func.raw());
    let label_names = label_names.unwrap_or_default();
    let local_names = local_names.unwrap_or_default();
    let mut caller = Caller {
        named: sources.named,
        next_local: facts[defined].locals,
        new_locals: Vec::new(),
        pools: BTreeMap::new(),
        local_names,
        label_names: BTreeMap::new(),
        next_label: 0,
        own_labels: BTreeSet::new(),
        block_types: BTreeSet::new(),
    };
    let mut code = Vec::with_capacity(bytes.len() * 2);
    let mut recorder = sources.code_start.map(|_| Recorder::default());
    let own = |position: u64| {
        sources
            .code_start
            .map(|start| merged_origin(position as usize, start))
    };
    let mut reader = body.get_operators_reader().map_err(err)?;
    let mut run_start = reader.original_position();
    let mut loops: Vec<bool> = Vec::new();
    let mut loop_depth = 0u32;
    let mut old_label = 0u32;
    let mut site = 0usize;
    while !reader.eof() {
        let position = reader.original_position();
        let op = reader.read().map_err(err)?;
        let call = match op {
            Operator::Call { function_index } => Some((FuncIdx::new(function_index), false)),
            Operator::ReturnCall { function_index } => Some((FuncIdx::new(function_index), true)),
            _ => None,
        };
        if let Some((callee, tail)) = call.filter(|(c, _)| origins.is_builtin_func(*c)) {
            let planned = facts[defined].sites.get(site).copied();
            if planned.map(|s| (s.callee, s.tail)) != Some((callee, tail)) {
                return Err(format!(
                    "call site {site} of {func:?} is not the one the plan saw"
                ));
            }
            let inline = rewrite.inline[site];
            site += 1;
            if inline {
                if let (Some(recorder), Some(origin)) = (recorder.as_mut(), own(run_start)) {
                    recorder.push(code.len() as u32, Source::Copy(origin), None);
                }
                code.extend_from_slice(&bytes[at(run_start)..at(position)]);
                let call = Call {
                    callee,
                    tail,
                    in_loop: loop_depth > 0,
                    at: own(position),
                };
                inline_site(
                    sources,
                    templates,
                    &mut caller,
                    call,
                    &mut code,
                    recorder.as_mut(),
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
            "{func:?} has {site} call sites, the plan expected {}",
            rewrite.inline.len()
        ));
    }
    if let (Some(recorder), Some(origin)) = (recorder.as_mut(), own(run_start)) {
        recorder.push(code.len() as u32, Source::Copy(origin), None);
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
    let header = out.len() as u32;
    out.extend_from_slice(&code);
    let map = match (recorder, own(body.range().start)) {
        (Some(code_map), Some(origin)) => {
            let code_map = code_map.finish(code.len() as u32);
            let mut whole = Recorder::default();
            whole.push(0, Source::At(origin), None);
            whole.extend_shifted(&code_map, header);
            Some(whole.finish(out.len() as u32))
        }
        _ => None,
    };

    if !caller.local_names.is_empty() {
        names.locals.insert(func.raw(), caller.local_names);
    }
    if !caller.label_names.is_empty() {
        names.labels.insert(func.raw(), caller.label_names);
    }
    Ok(Rewritten {
        body: out,
        map,
        own_labels: caller.own_labels,
        block_types: caller.block_types.into_iter().collect(),
    })
}

/// Writes the inlined copy of the callee for one call site.
fn inline_site(
    sources: &Sources<'_, '_>,
    templates: &[Option<Template>],
    caller: &mut Caller,
    call: Call,
    code: &mut Vec<u8>,
    mut recorder: Option<&mut Recorder>,
) -> Result<(), String> {
    let Call {
        callee,
        tail,
        in_loop,
        at: call_at,
    } = call;
    // The code written for the call stands for the call; the callee's own
    // code keeps its place, inlined at the call.
    let glue = |code: &Vec<u8>, recorder: &mut Option<&mut Recorder>| {
        if let (Some(recorder), Some(call_at)) = (recorder.as_mut(), call_at) {
            recorder.push(code.len() as u32, Source::At(call_at), None);
        }
    };
    glue(code, &mut recorder);
    let defined = callee_body(sources.module, callee)?;
    let template = templates[defined.index()]
        .as_ref()
        .ok_or_else(|| format!("no template for {callee:?}"))?;

    let first_site = !caller.pools.contains_key(&callee);
    if first_site {
        let mut pool = Vec::with_capacity(template.locals.len());
        for (ty, name) in template.locals.iter().zip(&template.local_names) {
            let local = caller.next_local;
            caller.next_local += 1;
            caller.new_locals.push(*ty);
            if caller.named {
                caller.local_names.insert(local, name.clone());
            }
            pool.push(local);
        }
        caller.pools.insert(callee, pool);
    }
    let pool = &caller.pools[&callee];

    for &local in pool[..template.params].iter().rev() {
        Instruction::LocalSet(local).encode(code);
    }
    if in_loop || !first_site {
        for (ty, &local) in template.locals.iter().zip(pool).skip(template.params) {
            if let Some(zero) = zero(*ty)? {
                zero.encode(code);
                Instruction::LocalSet(local).encode(code);
            }
        }
    }
    Instruction::Block(template.block_type).encode(code);
    caller.block_types.extend(template.block_type_index);

    let body = sources.body(defined);
    let bytes = body.as_bytes();
    let map = |local: u32| pool[local as usize];
    for piece in &template.pieces {
        if let Some(recorder) = recorder.as_mut() {
            match piece {
                Piece::Copy(range) => {
                    sources.record_copy(defined, range.clone(), code.len(), call_at, recorder)
                }
                Piece::Local(Range { start: at, .. })
                | Piece::Return { at, .. }
                | Piece::TailCall {
                    original: Range { start: at, .. },
                    ..
                } => {
                    let source = sources
                        .origin(defined, *at)
                        .map_or(Source::None, Source::At);
                    recorder.push(code.len() as u32, source, call_at);
                }
            }
        }
        match piece {
            Piece::Copy(range) => code.extend_from_slice(&bytes[range.clone()]),
            Piece::Local(range) => {
                let op = OperatorsReader::new(BinaryReader::new(&bytes[range.clone()], 0))
                    .read()
                    .map_err(|e| e.to_string())?;
                ops::remap_local(&op, &map)
                    .ok_or_else(|| format!("{callee:?}: a local instruction moved"))?
                    .encode(code);
            }
            Piece::Return { depth, .. } => Instruction::Br(*depth).encode(code),
            Piece::TailCall { original, .. } if tail => {
                code.extend_from_slice(&bytes[original.clone()])
            }
            Piece::TailCall { plain, depth, .. } => {
                plain.encode(code);
                Instruction::Br(*depth).encode(code);
            }
        }
    }
    if tail {
        glue(code, &mut recorder);
        Instruction::Return.encode(code);
    }

    if caller.named {
        caller
            .label_names
            .insert(caller.next_label, template.name.clone());
        for (label, name) in &template.label_names {
            caller
                .label_names
                .insert(caller.next_label + 1 + label, name.clone());
        }
    }
    caller.next_label += 1 + template.labels;
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
