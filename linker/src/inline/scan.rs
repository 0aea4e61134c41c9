//! One read of every function body, collecting what planning and dead-code
//! removal need.
//!
//! Both phases need facts about every function: the planner its call sites
//! of builtin functions and its size, dead-code removal the removable items
//! it refers to. Reading every body once for both keeps the pass close to
//! the cost of a parse; the bodies the inliner rewrites are read again
//! afterwards, and only those. References are recorded only for removable
//! targets (see [`crate::dce`]), so for the app's own functions — usually
//! nearly all of the code — the lists stay short.
//!
//! Bodies are independent, so large modules are scanned on all cores in
//! contiguous chunks; the result does not depend on how they were split.

use super::ops::{self, Spaces};
use super::origins::Origins;
use crate::dce::{Collector, Item};
use crate::error::LinkError;
use wasm_encoder::reencode::Reencode;
use wasmparser::{FunctionBody, Operator};

/// A direct call of a builtin function: a place the inliner may inline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site {
    /// The function called.
    pub callee: u32,
    /// Whether it is a `return_call`.
    pub tail: bool,
}

/// What one function body contains.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Instructions, the final `end` included.
    pub instructions: u32,
    /// Bytes of the body (locals and instructions).
    pub bytes: u32,
    /// Labels the body opens (`block`, `loop`, `if`, `try_table`).
    pub labels: u32,
    /// Locals, parameters included.
    pub locals: u32,
    /// Direct calls of builtin functions, in order.
    pub sites: Vec<Site>,
    /// Removable items referred to other than by the call sites (local
    /// types included), sorted, without repeats.
    pub refs: Vec<Item>,
    /// Removable functions taken by `ref.func`, sorted, without repeats.
    pub ref_funcs: Vec<u32>,
}

/// Below this many bytes of code, bodies are scanned on the calling thread:
/// starting threads would cost more than the work.
const PARALLEL_CODE_THRESHOLD: usize = 256 * 1024;

impl Facts {
    /// Everything the body refers to: [`Facts::refs`] and the callees of its
    /// call sites.
    pub fn all_refs(&self) -> Vec<Item> {
        let mut refs = self.refs.clone();
        refs.extend(self.sites.iter().map(|s| Item::Func(s.callee)));
        refs.sort_unstable();
        refs.dedup();
        refs
    }
}

/// The spaces in which `origins` has removable items: the only ones whose
/// references the scan records.
pub fn removable_spaces(origins: &Origins) -> Spaces {
    let any = |space: &[super::origins::Origin]| space.iter().any(|o| o.removable());
    Spaces {
        types: any(&origins.types),
        funcs: any(&origins.funcs),
        tables: any(&origins.tables),
        memories: any(&origins.memories),
        globals: any(&origins.globals),
        tags: any(&origins.tags),
        elems: any(&origins.elems),
        data: any(&origins.data),
    }
}

/// Scans one body; `params` is the number of parameters of its function.
pub fn scan(
    body: &FunctionBody<'_>,
    params: u32,
    origins: &Origins,
    spaces: &Spaces,
) -> Result<Facts, String> {
    let mut facts = Facts {
        bytes: body.as_bytes().len() as u32,
        locals: params,
        ..Facts::default()
    };
    let mut collector = Collector::new(origins);
    let mut locals = body.get_locals_reader().map_err(|e| e.to_string())?;
    for _ in 0..locals.get_count() {
        let (count, ty) = locals.read().map_err(|e| e.to_string())?;
        facts.locals = facts.locals.saturating_add(count);
        if spaces.types {
            collector.val_type(ty).map_err(|e| e.to_string())?;
        }
    }
    let mut reader = body.get_operators_reader().map_err(|e| e.to_string())?;
    while !reader.eof() {
        let op = reader.read().map_err(|e| e.to_string())?;
        facts.instructions += 1;
        match op {
            // Call sites are recorded as such, not as references.
            Operator::Call { function_index } if origins.is_builtin_func(function_index) => {
                facts.sites.push(Site {
                    callee: function_index,
                    tail: false,
                });
                continue;
            }
            Operator::ReturnCall { function_index } if origins.is_builtin_func(function_index) => {
                facts.sites.push(Site {
                    callee: function_index,
                    tail: true,
                });
                continue;
            }
            Operator::RefFunc { function_index }
                if origins
                    .funcs
                    .get(function_index as usize)
                    .is_some_and(|o| o.removable()) =>
            {
                facts.ref_funcs.push(function_index);
            }
            _ => {}
        }
        if ops::opens_label(&op) {
            facts.labels += 1;
        }
        if ops::carries_index(&op, spaces) {
            collector.instruction(op).map_err(|e| e.to_string())?;
        }
    }
    facts.refs = collector.items;
    facts.refs.sort_unstable();
    facts.refs.dedup();
    facts.ref_funcs.sort_unstable();
    facts.ref_funcs.dedup();
    Ok(facts)
}

/// Scans every body; `params[i]` is the parameter count of defined function `i`.
pub fn scan_all(
    bodies: &[FunctionBody<'_>],
    params: &[u32],
    origins: &Origins,
) -> Result<Vec<Facts>, LinkError> {
    let spaces = removable_spaces(origins);
    let scan_range = |range: std::ops::Range<usize>| -> Result<Vec<Facts>, String> {
        range
            .map(|i| scan(&bodies[i], params[i], origins, &spaces))
            .collect()
    };
    let code_bytes: usize = bodies.iter().map(|b| b.as_bytes().len()).sum();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let result = if workers < 2 || code_bytes < PARALLEL_CODE_THRESHOLD {
        scan_range(0..bodies.len())
    } else {
        // Contiguous chunks of similar byte size, concatenated in order.
        let target = code_bytes / workers + 1;
        let mut ranges = Vec::new();
        let (mut start, mut size) = (0, 0);
        for (i, body) in bodies.iter().enumerate() {
            size += body.as_bytes().len();
            if size >= target {
                ranges.push(start..i + 1);
                start = i + 1;
                size = 0;
            }
        }
        ranges.push(start..bodies.len());
        std::thread::scope(|scope| {
            let handles: Vec<_> = ranges
                .into_iter()
                .map(|range| scope.spawn(move || scan_range(range)))
                .collect();
            let mut all = Vec::with_capacity(bodies.len());
            for handle in handles {
                let chunk = handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
                all.extend(chunk);
            }
            Ok(all)
        })
    };
    result.map_err(|e| LinkError::InvalidOutput(format!("scanning the merged module: {e}")))
}
