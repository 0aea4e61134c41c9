//! One read of every function body, collecting what planning and dead-code
//! removal need.
//!
//! Both phases need facts about every function: the planner its call sites
//! of builtin functions and its size, dead-code removal the removable items
//! it refers to. Reading every body once for both keeps the pass close to
//! the cost of a parse. No body is read again after inlining: a rewritten
//! body's references follow from its own facts and its callees' (see
//! [`crate::inline`]), which is why call sites are kept apart from the
//! other references. References are recorded only for removable targets
//! (see [`crate::inline::dce`]), and instructions are only decoded in full when
//! they may name one, so for the app's own functions — usually nearly all
//! of the code — the scan costs little more than a parse.
//!
//! Bodies are independent, so large modules are scanned on all cores (see
//! [`crate::parallel`]); the result does not depend on how they were split.

use super::ops::{self, Spaces};
use super::origins::Origins;
use crate::error::LinkError;
use crate::index::FuncIdx;
use crate::inline::dce::{Collector, Item};
use wasm_encoder::reencode::Reencode;
use wasmparser::{BinaryReader, FunctionBody, OperatorsReader, VisitOperator, VisitSimdOperator};

/// A direct call of a builtin function: a place the inliner may inline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site {
    /// The function called.
    pub callee: FuncIdx,
    /// Whether it is a `return_call`.
    pub tail: bool,
    /// Whether it lies where an exception handler of its function is
    /// active: inside a `try_table`, or the body of a legacy `try`.
    pub in_handler: bool,
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
    /// Functions taken by `ref.func`, sorted, without repeats.
    pub ref_funcs: Vec<FuncIdx>,
    /// Whether a tail call (`return_call`, `return_call_indirect`,
    /// `return_call_ref`) lies where a handler of the function is active.
    /// Such a tail call leaves the handler before the callee runs, which an
    /// inlined copy, where it becomes a plain call, could not.
    pub tail_call_in_handler: bool,
}

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

/// Decodes one instruction at a time for the scan without building an
/// `Operator`: each visit method records call sites, `ref.func`s and
/// labels, and says whether the instruction may name a removable item.
/// Only those few are decoded a second time, into an operator, for the
/// reference collector.
struct Scanner<'o> {
    origins: &'o Origins,
    spaces: Spaces,
    facts: Facts,
    /// For each label open at this point, whether it is a handler region
    /// still in force (a `try_table`, or a legacy `try` before its first
    /// `catch`).
    regions: Vec<bool>,
    /// How many of `regions` are handlers in force.
    handlers: u32,
}

/// What an instruction does to the nesting of handler regions.
#[derive(Clone, Copy)]
enum Nesting {
    /// Opens a label; `handler` when exceptions thrown inside are caught
    /// by it.
    Open { handler: bool },
    /// Closes the innermost label (`end`, or `delegate` ending a `try`).
    Close,
    /// Starts a legacy `catch` clause: the `try`'s handlers no longer
    /// apply to what follows.
    Catch,
    /// A tail call through a table or reference.
    TailCall,
    /// Anything else.
    Other,
}

/// The [`Nesting`] of an operator, by its name in wasmparser's tables.
macro_rules! nesting {
    (Block) => {
        Nesting::Open { handler: false }
    };
    (Loop) => {
        Nesting::Open { handler: false }
    };
    (If) => {
        Nesting::Open { handler: false }
    };
    (TryTable) => {
        Nesting::Open { handler: true }
    };
    (Try) => {
        Nesting::Open { handler: true }
    };
    (End) => {
        Nesting::Close
    };
    (Delegate) => {
        Nesting::Close
    };
    (Catch) => {
        Nesting::Catch
    };
    (CatchAll) => {
        Nesting::Catch
    };
    (ReturnCallIndirect) => {
        Nesting::TailCall
    };
    (ReturnCallRef) => {
        Nesting::TailCall
    };
    ($other:ident) => {
        Nesting::Other
    };
}

impl Scanner<'_> {
    /// A direct call: a call site when the callee is a builtin function.
    fn call(&mut self, callee: u32, tail: bool) -> bool {
        let callee = FuncIdx::new(callee);
        if tail {
            self.nest(Nesting::TailCall);
        }
        if self.origins.is_builtin_func(callee) {
            // Call sites are recorded as such, not as references.
            self.facts.sites.push(Site {
                callee,
                tail,
                in_handler: self.handlers > 0,
            });
            return false;
        }
        self.spaces.funcs
    }

    fn nest(&mut self, nesting: Nesting) {
        match nesting {
            Nesting::Open { handler } => {
                self.regions.push(handler);
                self.handlers += u32::from(handler);
            }
            // The function's own `end` has no region to close.
            Nesting::Close => {
                if let Some(handler) = self.regions.pop() {
                    self.handlers -= u32::from(handler);
                }
            }
            Nesting::Catch => {
                if let Some(handler) = self.regions.last_mut() {
                    self.handlers -= u32::from(*handler);
                    *handler = false;
                }
            }
            Nesting::TailCall => {
                self.facts.tail_call_in_handler |= self.handlers > 0;
            }
            Nesting::Other => {}
        }
    }

    /// Every target is recorded, not only removable ones: a host import or
    /// an app function may be declared only by a builtin global or segment
    /// that dead-code removal drops, and the rebuild must then declare it
    /// again.
    fn ref_func(&mut self, func: u32) -> bool {
        self.facts.ref_funcs.push(FuncIdx::new(func));
        self.spaces.funcs
    }
}

/// The body of one visit method: the three instructions the scan records
/// by name, then every other one by its immediates.
macro_rules! scan_op {
    ($s:ident, Call, $function_index:ident) => {
        $s.call($function_index, false)
    };
    ($s:ident, ReturnCall, $function_index:ident) => {
        $s.call($function_index, true)
    };
    ($s:ident, RefFunc, $function_index:ident) => {
        $s.ref_func($function_index)
    };
    ($s:ident, $op:ident $(, $arg:ident)*) => {{
        $(let _ = &$arg;)*
        $s.nest(nesting!($op));
        let spaces = &$s.spaces;
        let _ = spaces;
        $s.facts.labels += 0 $(+ u32::from(ops::label_immediate!($arg)))*;
        false $(|| ops::module_index!(spaces, $arg))*
    }};
}

macro_rules! define_scanner {
    ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
        $(
            fn $visit(&mut self $($(, $arg: $argty)*)?) -> bool {
                scan_op!(self, $op $($(, $arg)*)?)
            }
        )*
    };
}

impl<'a> VisitOperator<'a> for Scanner<'_> {
    type Output = bool;

    fn simd_visitor(&mut self) -> Option<&mut dyn VisitSimdOperator<'a, Output = bool>> {
        Some(self)
    }

    wasmparser::for_each_visit_operator!(define_scanner);
}

impl<'a> VisitSimdOperator<'a> for Scanner<'_> {
    wasmparser::for_each_visit_simd_operator!(define_scanner);
}

/// Scans one body; `params` is the number of parameters of its function.
pub fn scan(
    body: &FunctionBody<'_>,
    params: u32,
    origins: &Origins,
    spaces: &Spaces,
) -> Result<Facts, String> {
    let err = |e: wasmparser::BinaryReaderError| e.to_string();
    let mut scanner = Scanner {
        origins,
        spaces: *spaces,
        facts: Facts {
            bytes: body.as_bytes().len() as u32,
            locals: params,
            ..Facts::default()
        },
        regions: Vec::new(),
        handlers: 0,
    };
    let mut collector = Collector::new(origins);
    let mut locals = body.get_locals_reader().map_err(err)?;
    for _ in 0..locals.get_count() {
        let (count, ty) = locals.read().map_err(err)?;
        scanner.facts.locals = scanner.facts.locals.saturating_add(count);
        if spaces.types {
            collector.val_type(ty).map_err(|e| e.to_string())?;
        }
    }
    let bytes = body.as_bytes();
    let base = body.range().start;
    let mut reader = body.get_operators_reader().map_err(err)?;
    while !reader.eof() {
        let position = reader.original_position();
        scanner.facts.instructions += 1;
        if reader.visit_operator(&mut scanner).map_err(err)? {
            let at = (position - base) as usize;
            let op = OperatorsReader::new(BinaryReader::new(&bytes[at..], position))
                .read()
                .map_err(err)?;
            collector.instruction(op).map_err(|e| e.to_string())?;
        }
    }
    let mut facts = scanner.facts;
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
    let ranges = crate::parallel::split(bodies.iter().map(|b| b.as_bytes().len()));
    let chunks = crate::parallel::map(ranges, |range| {
        range
            .map(|i| scan(&bodies[i], params[i], origins, &spaces))
            .collect::<Result<Vec<Facts>, String>>()
    });
    let mut result = Ok(Vec::with_capacity(bodies.len()));
    for chunk in chunks {
        if let Ok(all) = &mut result {
            match chunk {
                Ok(facts) => all.extend(facts),
                Err(e) => result = Err(e),
            }
        }
    }
    result.map_err(|e| LinkError::InvalidOutput(format!("scanning the merged module: {e}")))
}
