//! Deciding which calls to inline, before any body is touched.
//!
//! Only builtin functions are ever copied into callers; the app's functions
//! are callers only. The plan works on the call graph of direct calls
//! (`call` and `return_call`) between defined functions. Calls through
//! tables and references are not edges: they are never inlined, and a
//! function whose address is taken stays in the module because dead-code
//! removal sees the `ref.func` or the segment.
//!
//! 1. **Recursion.** The strongly connected components of the builtin part
//!    of the graph (Tarjan's algorithm, iterative so that a deep call chain
//!    in the input cannot overflow the linker's stack) find direct and
//!    mutual recursion. A function in a cycle is never inlined: inlining it
//!    would never finish, and its calls — tail calls a million deep
//!    included — stay calls with their stack behaviour.
//! 2. **Order.** Tarjan yields components callees-first, so each builtin is
//!    planned after everything it calls: helpers are already flattened into
//!    the accessors by the time an accessor is considered for the app.
//!    The app's functions come last.
//! 3. **Sizes.** The plan predicts every function's size after its own
//!    inlining from the sizes of its callees, so a decision about a caller
//!    uses the callee's flattened size, not its original one.
//! 4. **Handlers.** A tail call leaves the exception handlers of its frame;
//!    calls whose inlining would put code inside a handler it had left
//!    stay calls (see `leaves_handler`).
//!
//! A callee's size counts its locals as well as its instructions: every
//! local that is not a parameter is re-zeroed at every inlined copy (a
//! constant and a `local.set`) and joins the caller's locals, so a
//! one-instruction function with forty thousand locals is anything but
//! small.
//!
//! `auto` inlines a non-recursive builtin callee whose flattened size is at
//! most [`AUTO_MAX_CALLEE_INSTRUCTIONS`] instructions and
//! [`AUTO_MAX_CALLEE_LOCALS`] locals. `all` inlines every non-recursive
//! builtin callee, guarded against blow-up by [`ALL_GROWTH_FACTOR`] and
//! [`ALL_GROWTH_SLACK_BYTES`]. Both modes respect the per-function limits
//! [`MAX_FUNCTION_BYTES`] and [`MAX_FUNCTION_LOCALS`], so an output never
//! exceeds what engines accept.

use super::module::Imported;
use super::scan::{Facts, Site};
use crate::index::DefinedFuncIdx;
use crate::InlineMode;

/// `auto` inlines a builtin callee of at most this many instructions,
/// counted after the callee's own calls were inlined.
///
/// Builtins are accessors: address arithmetic, a bounds check and an
/// intrinsic, spread over a helper or two. Flattened, `host-buf`'s `get`
/// is about 15 instructions; an accessor with a few extra checks stays
/// under 40. 64 admits all of those with room to spare, while functions
/// that do real work — loops over a buffer, formatting, parsing — stay
/// out of line, where a call's cost is small beside their own and copying
/// them into every caller would only grow the code. Each inlined call adds
/// at most this much code plus the parameter stores, so `auto` can grow a
/// module by at most a bounded amount per call site.
pub const AUTO_MAX_CALLEE_INSTRUCTIONS: u64 = 64;

/// `auto` inlines a builtin callee of at most this many locals besides its
/// parameters, counted after the callee's own calls were inlined.
///
/// Each such local costs two instructions at every inlined copy (the zero
/// constant and the `local.set` that re-zero it, since an inlined body
/// must start with its locals zeroed as a call would) and one more local in
/// every caller. 32 locals cost as much per site as the
/// [`AUTO_MAX_CALLEE_INSTRUCTIONS`] instructions allowed beside them, and
/// are several times what a flattened accessor needs (`host-buf`'s `get`
/// has a handful). Without this bound a tiny function declaring forty
/// thousand locals would be copied into every caller, each copy zeroing
/// all of them.
pub const AUTO_MAX_CALLEE_LOCALS: u64 = 32;

/// Under `all`, callees larger than `auto` would inline stop being inlined
/// once the module's code would grow past this multiple of its size before
/// inlining (plus [`ALL_GROWTH_SLACK_BYTES`]).
///
/// `all` inlines callees of any size, and sizes multiply along call chains:
/// a chain of builtins each calling the next twice doubles per level. A
/// per-function cap alone still allows every one of thousands of callers
/// to receive a huge body. Four times the original code leaves room for
/// flattening typical builtins into every caller and stops a pathological
/// one long before the output becomes unusable. Calls beyond the budget
/// stay calls: slower, never wrong. Callees within `auto`'s bound do not
/// draw on the budget — their growth per site is bounded already — so the
/// large ones cannot crowd out the small ones `auto` would have inlined.
pub const ALL_GROWTH_FACTOR: u64 = 4;

/// Growth `all` always allows, so that tiny modules — where a single
/// builtin may be larger than the whole app — are not starved by the
/// factor above.
pub const ALL_GROWTH_SLACK_BYTES: u64 = 1 << 20;

/// No function grows past this many bytes by inlining, in any mode.
///
/// Engines reject bodies over 7,654,321 bytes (the JS API's limit, also
/// enforced by wasmparser), and compile time grows faster than linearly in
/// a function's size. A megabyte is far more than any reasonable caller
/// reaches and far enough below the hard limit that the estimate below
/// cannot cross it.
pub const MAX_FUNCTION_BYTES: u64 = 1 << 20;

/// No function gets more locals than this by inlining: the limit engines
/// and wasmparser enforce on a function's locals.
pub const MAX_FUNCTION_LOCALS: u64 = 50_000;

/// The inlining decisions for one function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    /// The function rewritten.
    pub func: DefinedFuncIdx,
    /// For each of its call sites (see [`Facts::sites`]), whether it is inlined.
    pub inline: Vec<bool>,
}

/// Every decision, in the order the rewrites must run: callees first.
#[derive(Debug, Clone, Default)]
pub struct InlinePlan {
    /// Functions that change.
    pub rewrites: Vec<Rewrite>,
}

/// A function's predicted size after its own inlining.
#[derive(Debug, Clone, Copy, Default)]
struct Size {
    instructions: u64,
    bytes: u64,
    locals: u64,
}

/// What the planner needs to know about the module.
pub struct Graph<'a> {
    /// Facts per defined function.
    pub facts: &'a [Facts],
    /// Whether each defined function came from a builtin.
    pub builtin: &'a [bool],
    /// Whether each defined function is reachable before inlining; the
    /// others are not worth flattening.
    pub live: &'a [bool],
    /// Parameter count of each defined function.
    pub params: &'a [u32],
    /// The imports, to tell call sites' absolute callees apart from the
    /// defined functions everything else here is indexed by.
    pub imported: Imported,
}

impl Graph<'_> {
    /// The defined function a call site calls, as a position in the
    /// per-function tables. Sites are only recorded for calls of builtin
    /// functions, which are all defined.
    fn callee(&self, site: &Site) -> usize {
        self.imported
            .defined(site.callee)
            .expect("call sites name defined functions")
            .index()
    }
}

/// Decides which call sites are inlined.
pub fn plan(graph: &Graph<'_>, mode: InlineMode) -> InlinePlan {
    if mode == InlineMode::None {
        return InlinePlan::default();
    }
    let count = graph.facts.len();
    let callees = |f: usize| graph.facts[f].sites.iter().map(|s| graph.callee(s));
    let components = tarjan(count, |f| graph.builtin[f] && graph.live[f], &callees);
    let mut recursive = vec![false; count];
    for component in &components {
        let single = component.len() == 1;
        for &f in component {
            recursive[f] = !single || callees(f).any(|g| g == f);
        }
    }

    let order = components
        .iter()
        .flatten()
        .copied()
        .chain((0..count).filter(|&f| !graph.builtin[f] && graph.live[f]));
    let original_code: u64 = graph.facts.iter().map(|f| u64::from(f.bytes)).sum();
    let budget = original_code
        .saturating_mul(ALL_GROWTH_FACTOR)
        .saturating_add(ALL_GROWTH_SLACK_BYTES);
    let mut total_code = original_code;
    let mut sizes: Vec<Size> = graph
        .facts
        .iter()
        .map(|f| Size {
            instructions: u64::from(f.instructions),
            bytes: u64::from(f.bytes),
            locals: u64::from(f.locals),
        })
        .collect();
    // Whether a function's body, after its own inlining, has a tail call
    // where one of its handlers is in force (see `leaves_handler`).
    let mut tail_call_in_handler: Vec<bool> =
        graph.facts.iter().map(|f| f.tail_call_in_handler).collect();
    let mut rewrites = Vec::new();
    for f in order {
        let mut size = sizes[f];
        let mut inline = vec![false; graph.facts[f].sites.len()];
        let mut pooled: Vec<usize> = Vec::new();
        for (k, site) in graph.facts[f].sites.iter().enumerate() {
            let g = graph.callee(site);
            if recursive[g] || leaves_handler(site, tail_call_in_handler[g]) {
                continue;
            }
            let callee = sizes[g];
            let params = u64::from(graph.params[g]);
            let others = callee.locals - params;
            let small = callee.instructions <= AUTO_MAX_CALLEE_INSTRUCTIONS
                && others <= AUTO_MAX_CALLEE_LOCALS;
            if mode == InlineMode::Auto && !small {
                continue;
            }
            let first_site = !pooled.contains(&g);
            let grown = Size {
                // The call becomes parameter stores, re-zeroed locals, a
                // block and the body, whose `end` closes the block.
                instructions: size.instructions - 1
                    + params
                    + 2 * others
                    + 1
                    + callee.instructions
                    + u64::from(site.tail),
                bytes: size.bytes + site_bytes(callee),
                locals: size.locals + if first_site { callee.locals } else { 0 },
            };
            if grown.locals > MAX_FUNCTION_LOCALS || grown.bytes > MAX_FUNCTION_BYTES {
                continue;
            }
            let growth = grown.bytes - size.bytes;
            if mode == InlineMode::All && !small && total_code + growth > budget {
                continue;
            }
            total_code += growth;
            size = grown;
            inline[k] = true;
            // At a tail site the callee's tail calls stay tail calls, in
            // the caller now.
            tail_call_in_handler[f] |= site.tail && tail_call_in_handler[g];
            if first_site {
                pooled.push(g);
            }
        }
        sizes[f] = size;
        if inline.contains(&true) {
            rewrites.push(Rewrite {
                func: DefinedFuncIdx::new(f as u32),
                inline,
            });
        }
    }
    InlinePlan { rewrites }
}

/// Whether inlining at `site` would move code into or out of an exception
/// handler's reach; `callee_tail_call_in_handler` says whether the callee
/// has a tail call inside one of its own handlers.
///
/// A tail call leaves its frame, and with it every handler of the frame,
/// before the called function runs. So
///
/// - at a `return_call` site inside a handler of the caller, the callee's
///   exceptions escape that handler; an inlined body would run inside it
///   and be caught;
/// - a callee's own `return_call` inside one of its handlers becomes a
///   plain call when the site is not a tail call, and the handler would
///   then catch what the tail-called function throws.
///
/// Those calls stay calls. Inlined at a tail site, the callee's tail calls
/// stay tail calls and leave every handler as before.
fn leaves_handler(site: &super::scan::Site, callee_tail_call_in_handler: bool) -> bool {
    if site.tail {
        site.in_handler
    } else {
        callee_tail_call_in_handler
    }
}

/// An upper bound on the bytes one inlined copy of `callee` adds: its body,
/// each local index growing by up to two bytes of LEB128 in the caller, a
/// store (and a zero constant of up to a `v128.const`) per local, and the
/// block around it.
fn site_bytes(callee: Size) -> u64 {
    const PER_INSTRUCTION: u64 = 2;
    const PER_LOCAL: u64 = 4 + 18;
    const BLOCK: u64 = 8;
    callee.bytes + PER_INSTRUCTION * callee.instructions + PER_LOCAL * callee.locals + BLOCK
}

/// Strongly connected components of the graph restricted to the nodes
/// `member` accepts, callees before callers. Iterative: the input decides
/// how deep the graph is.
fn tarjan<I: Iterator<Item = usize>>(
    count: usize,
    member: impl Fn(usize) -> bool,
    edges: &impl Fn(usize) -> I,
) -> Vec<Vec<usize>> {
    const UNVISITED: u32 = u32::MAX;
    let mut index = vec![UNVISITED; count];
    let mut low = vec![0u32; count];
    let mut on_stack = vec![false; count];
    let mut stack: Vec<usize> = Vec::new();
    let mut components = Vec::new();
    let mut next = 0u32;
    // Each frame: a node and the successors it has yet to visit.
    let mut frames: Vec<(usize, Vec<usize>)> = Vec::new();
    for root in 0..count {
        if !member(root) || index[root] != UNVISITED {
            continue;
        }
        let mut visit = |v: usize,
                         index: &mut Vec<u32>,
                         low: &mut Vec<u32>,
                         on_stack: &mut Vec<bool>,
                         stack: &mut Vec<usize>,
                         frames: &mut Vec<(usize, Vec<usize>)>| {
            index[v] = next;
            low[v] = next;
            next += 1;
            stack.push(v);
            on_stack[v] = true;
            // Successors in reverse, popped in call order.
            let mut successors: Vec<usize> = edges(v).filter(|&w| member(w)).collect();
            successors.reverse();
            frames.push((v, successors));
        };
        visit(
            root,
            &mut index,
            &mut low,
            &mut on_stack,
            &mut stack,
            &mut frames,
        );
        while let Some((v, successors)) = frames.last_mut() {
            let v = *v;
            if let Some(w) = successors.pop() {
                if index[w] == UNVISITED {
                    visit(
                        w,
                        &mut index,
                        &mut low,
                        &mut on_stack,
                        &mut stack,
                        &mut frames,
                    );
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            frames.pop();
            if let Some((parent, _)) = frames.last() {
                low[*parent] = low[*parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                component.sort_unstable();
                components.push(component);
            }
        }
    }
    components
}

#[cfg(test)]
mod tests {
    use super::*;

    fn components(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
        tarjan(edges.len(), |_| true, &|v| edges[v].iter().copied())
    }

    #[test]
    fn finds_cycles_callees_first() {
        // 0 -> 1 -> 2 -> 1, 2 -> 3, 4 -> 4
        let edges = vec![vec![1], vec![2], vec![1, 3], vec![], vec![4]];
        assert_eq!(
            components(&edges),
            vec![vec![3], vec![1, 2], vec![0], vec![4]]
        );
    }

    #[test]
    fn deep_chains_do_not_recurse() {
        let n = 200_000;
        let edges: Vec<Vec<usize>> = (0..n)
            .map(|i| if i + 1 < n { vec![i + 1] } else { vec![] })
            .collect();
        let found = components(&edges);
        assert_eq!(found.len(), n);
        assert_eq!(found[0], vec![n - 1]);
    }
}
