//! Removing native loads and bounds checks that repeat an earlier one.
//!
//! A builtin that is inlined into a loop asks for the same things again and
//! again: the host-buffer API's `get` and `set` each load the buffer's
//! pointer and length from the store data and check the index against the
//! length, so a loop that reads and writes each byte loads both words twice
//! and checks twice per byte. Cranelift would remove the second loads itself
//! if it could see that nothing stores in between, but its alias analysis
//! (0.112) gives every block of a loop that contains a store a memory
//! version of its own, so a load in the block after a checked access's
//! branch never matches the same load before the branch. This pass, run by
//! [`FunctionLowering::finish`](crate::FunctionLowering::finish) once the
//! function is translated, does that one job for the plugin's own
//! instructions, with a dataflow that keeps the version across blocks no
//! store touches:
//!
//! 1. **Loads.** Two native loads of the same kind from the same address
//!    (the same SSA value plus the same constant, where every value the
//!    store-data hook returned counts as one value) read the same bytes if
//!    no instruction that may write native memory runs between them. The
//!    later one is replaced by the earlier one's result when the earlier one
//!    dominates it and both see the same memory *version*: the last
//!    instruction that may have written native memory, or the block where
//!    paths with different last writers meet.
//! 2. **Checks.** A bounds check of `offset` against `length` for an access
//!    of `size` bytes cannot fail after a check of the same two SSA values
//!    for at least `size` bytes has passed, so when the earlier check's
//!    continuation dominates the later check, the later branch becomes a
//!    jump. Loads are merged first, so the two checks of a `get` and a `set`
//!    see one length value.
//! 3. **Checks the code already made.** Nor can a check fail where a
//!    conditional branch has established `offset < limit` — the unsigned
//!    comparison the check itself makes — on every path to it: a loop that
//!    exits when `i >= n` runs its body only with `i < n`. Branch
//!    conditions are read through the widening and the `i32.eqz` that Wasm
//!    comparisons come with. This only matters when `limit` and `n` are one
//!    value, which for a length loaded once before the loop and again
//!    inside it takes a declared store-data descriptor (see
//!    [`crate::descriptor`]): then the loads are versioned by what may
//!    change the descriptor alone, and in a function that cannot change it
//!    not at all, so the load in the loop becomes the one before it.
//!
//! What may write native memory is decided conservatively: every call,
//! every instruction that can trap or has other side effects, every atomic
//! or fence, and every store except those labelled with the `heap`, `table`
//! or `vmctx` alias region, which by the plugin's contract (see
//! [`crate::lower`]) never touch memory a builtin reaches natively. The
//! checks' own trap blocks have no successors, so they never separate two
//! accesses. Nothing else in the function is changed, except that the
//! descriptor loads of a function that cannot change the descriptor are
//! marked `readonly`; Cranelift's optimizer then works on code in which the
//! repeated loads and checks are gone.
//!
//! The pass builds a control-flow graph and dominator tree only for a
//! function in which two recorded loads or two recorded checks could match,
//! a branch compares a checked offset, or a descriptor is read, so
//! functions that use intrinsics once pay next to nothing.

use std::collections::{HashMap, HashSet};

use cranelift_codegen::dominator_tree::DominatorTree;
use cranelift_codegen::flowgraph::ControlFlowGraph;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    self, Block, Function, Inst, InstBuilder, InstructionData, Opcode, Value,
};

use crate::descriptor::{labelled_away_from_native_memory, orders_memory, Descriptor};
use crate::facts::{address_root, defining_data, operand, Check, Operand, Record, Root};

/// Everything that makes two loads read the same bytes into the same value:
/// the instruction (opcode, flags, result type) and the address as a root
/// plus a constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct LoadKey {
    opcode: Opcode,
    flags: ir::MemFlags,
    result: ir::Type,
    root: Root,
    offset: i64,
}

/// The memory version at a program point: the last instruction that may
/// have written native memory, the function entry, or the start of a block
/// where several control-flow edges meet, whichever came last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Version {
    Entry,
    After(Inst),
    Join(Block),
}

/// Removes the recorded loads and checks that repeat an earlier one, and
/// marks the loads of a declared store-data descriptor of
/// `descriptor_size` bytes `readonly` where the function cannot change it.
pub(crate) fn remove_redundant(func: &mut Function, record: &Record, descriptor_size: u32) {
    let descriptor_loads = Descriptor::loads(func, record, descriptor_size);
    // Keyed before descriptor loads may be marked `readonly`: the mark
    // goes on all of them or none, and whether a load reads the descriptor
    // follows from its key, so keys that are equal stay equal.
    let load_keys: HashMap<Inst, LoadKey> = recorded_loads(func, record)
        .filter_map(|inst| Some((inst, load_key(func, inst, &record.store_data)?)))
        .collect();
    let loads_may_match = has_duplicates(load_keys.values());
    // Before the control-flow graph exists, checks are compared by offset
    // only: lengths often arrive through block parameters, which need it.
    let check_offsets: Vec<Operand> = record
        .checks
        .iter()
        .map(|check| operand(func, None, check.offset))
        .collect();
    let checks_may_match =
        has_duplicates(check_offsets.iter()) || branches_compare_any(func, &check_offsets);
    if descriptor_loads.is_empty() && !loads_may_match && !checks_may_match {
        return;
    }
    let cfg = ControlFlowGraph::with_function(func);
    let descriptor = (!descriptor_loads.is_empty())
        .then(|| Descriptor::analyze(func, &cfg, record, descriptor_size, descriptor_loads));
    if let Some(descriptor) = &descriptor {
        descriptor.mark_readonly(func);
    }
    if !loads_may_match && !checks_may_match {
        return;
    }
    let domtree = DominatorTree::with_function(func, &cfg);
    if loads_may_match {
        remove_loads(func, &cfg, &domtree, &load_keys, descriptor.as_ref());
    }
    if checks_may_match {
        remove_checks(func, &cfg, &domtree, &record.checks);
    }
}

/// The recorded loads still in the function.
fn recorded_loads<'a>(func: &'a Function, record: &'a Record) -> impl Iterator<Item = Inst> + 'a {
    record
        .loads
        .iter()
        .copied()
        .filter(|&inst| func.layout.inst_block(inst).is_some())
}

fn has_duplicates<T: Eq + std::hash::Hash>(items: impl IntoIterator<Item = T>) -> bool {
    let mut seen = HashSet::new();
    items.into_iter().any(|item| !seen.insert(item))
}

/// The key of a recorded load, or `None` if it is no longer a plain load.
fn load_key(func: &Function, inst: Inst, store_data: &[Value]) -> Option<LoadKey> {
    let InstructionData::Load {
        opcode,
        arg,
        flags,
        offset,
    } = func.dfg.insts[inst]
    else {
        return None;
    };
    let (root, constant) = address_root(func, arg, store_data);
    Some(LoadKey {
        opcode,
        flags,
        result: func.dfg.value_type(func.dfg.first_result(inst)),
        root,
        offset: constant.wrapping_add(i64::from(offset)),
    })
}

/// Whether `inst` may write memory a builtin reaches natively.
fn may_write_native_memory(func: &Function, inst: Inst) -> bool {
    let data = &func.dfg.insts[inst];
    let opcode = data.opcode();
    if opcode.is_call() || opcode.can_trap() || opcode.other_side_effects() || orders_memory(opcode)
    {
        return true;
    }
    if !opcode.can_store() {
        return false;
    }
    !data
        .memflags()
        .is_some_and(labelled_away_from_native_memory)
}

/// The memory versions at a program point: one for native memory as a
/// whole, one for the store-data descriptor alone (which fewer
/// instructions may change; see [`crate::descriptor`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Versions {
    native: Version,
    descriptor: Version,
}

/// The memory versions on entry to `block`, given the versions at the end
/// of the blocks visited before it in reverse postorder.
///
/// A block with one predecessor continues its predecessor's versions (that
/// predecessor is its immediate dominator, so it was visited first); a
/// block where several edges meet starts versions of its own. A loop's
/// body thus keeps the loop header's version up to the first instruction
/// that may write memory, which is what lets a `set` reuse the loads of the
/// `get` before it. (Cranelift's own analysis would give every block of such
/// a loop a version of its own.)
fn entry_versions(
    func: &Function,
    cfg: &ControlFlowGraph,
    block: Block,
    exit_versions: &HashMap<Block, Versions>,
) -> Versions {
    if func.layout.entry_block() == Some(block) {
        return Versions {
            native: Version::Entry,
            descriptor: Version::Entry,
        };
    }
    let join = Versions {
        native: Version::Join(block),
        descriptor: Version::Join(block),
    };
    let mut predecessors = cfg.pred_iter(block);
    match (predecessors.next(), predecessors.next()) {
        (Some(only), None) => exit_versions.get(&only.block).copied().unwrap_or(join),
        _ => join,
    }
}

/// Replaces each recorded load by an earlier, dominating load with the same
/// key and memory version.
///
/// A descriptor load is versioned by the instructions that may change the
/// descriptor only, and in a function that cannot change it at all, not at
/// all: then any dominating descriptor load with the same key will do, even
/// one before a loop whose body stores.
fn remove_loads(
    func: &mut Function,
    cfg: &ControlFlowGraph,
    domtree: &DominatorTree,
    keys: &HashMap<Inst, LoadKey>,
    descriptor: Option<&Descriptor>,
) {
    let mut exit_versions: HashMap<Block, Versions> = HashMap::new();
    let mut kept: HashMap<(LoadKey, Version), Vec<Inst>> = HashMap::new();
    let mut redundant = Vec::new();
    // Reverse postorder visits a dominator before the blocks it dominates.
    for &block in domtree.cfg_postorder().iter().rev() {
        let mut versions = entry_versions(func, cfg, block, &exit_versions);
        for inst in func.layout.block_insts(block) {
            if let Some(&key) = keys.get(&inst) {
                let version = match descriptor {
                    Some(d) if d.is_load(inst) && d.is_stable() => Version::Entry,
                    Some(d) if d.is_load(inst) => versions.descriptor,
                    _ => versions.native,
                };
                let candidates = kept.entry((key, version)).or_default();
                match candidates
                    .iter()
                    .find(|&&earlier| domtree.dominates(earlier, inst, &func.layout))
                {
                    Some(&earlier) => redundant.push((inst, func.dfg.first_result(earlier))),
                    None => candidates.push(inst),
                }
            }
            if may_write_native_memory(func, inst) {
                versions.native = Version::After(inst);
            }
            if descriptor.is_some_and(|d| d.may_change(inst)) {
                versions.descriptor = Version::After(inst);
            }
        }
        exit_versions.insert(block, versions);
    }
    for (inst, earlier) in redundant {
        let result = func.dfg.first_result(inst);
        func.layout.remove_inst(inst);
        func.dfg.clear_results(inst);
        func.dfg.change_to_alias(result, earlier);
    }
}

/// Turns each recorded check into a jump to its continuation when it
/// cannot fail: an earlier check of the same offset and length, for at
/// least as many bytes, has passed on every path to it, or a branch on
/// every path to it went the way that means `offset < limit`.
fn remove_checks(
    func: &mut Function,
    cfg: &ControlFlowGraph,
    domtree: &DominatorTree,
    checks: &[Check],
) {
    let below = known_below(func, cfg, domtree);
    let mut passed: HashMap<(Operand, Operand), Vec<Check>> = HashMap::new();
    let mut ordered: Vec<&Check> = checks
        .iter()
        .filter(|check| {
            func.layout
                .inst_block(check.branch)
                .is_some_and(|block| domtree.is_reachable(block))
        })
        .collect();
    ordered.sort_by(|a, b| domtree.rpo_cmp(a.branch, b.branch, &func.layout));
    let mut redundant = Vec::new();
    for check in ordered {
        let offset = operand(func, Some(cfg), check.offset);
        let implied = below
            .get(&(offset, operand(func, Some(cfg), check.limit)))
            .is_some_and(|blocks| {
                blocks
                    .iter()
                    .any(|&block| domtree.dominates(block, check.branch, &func.layout))
            });
        let key = (offset, operand(func, Some(cfg), check.length));
        let earlier = passed.entry(key).or_default();
        if implied
            || earlier.iter().any(|e| {
                e.size >= check.size
                    && domtree.dominates(e.continuation, check.branch, &func.layout)
            })
        {
            redundant.push(*check);
        } else {
            earlier.push(*check);
        }
    }
    for check in redundant {
        func.dfg.replace(check.branch).jump(check.continuation, &[]);
    }
}

/// For each pair `(a, b)` of operands, the blocks on entry to which `a <
/// b` (unsigned) is known to hold: the targets, with no other way in, of
/// conditional branches on `a < b`, `a >= b`, `b > a` or `b <= a` that lead
/// there exactly when `a < b`.
///
/// This is how a loop that tests its index against a length before every
/// iteration — `br_if $done (i64.ge_u (local.get $i) (local.get $n))` —
/// spares the bounds check of an access at that index, when the length
/// the check uses is the same value (see [`crate::descriptor`]).
fn known_below(
    func: &Function,
    cfg: &ControlFlowGraph,
    domtree: &DominatorTree,
) -> HashMap<(Operand, Operand), Vec<Block>> {
    let mut below: HashMap<(Operand, Operand), Vec<Block>> = HashMap::new();
    for &block in domtree.cfg_postorder() {
        let Some(branch) = func.layout.last_inst(block) else {
            continue;
        };
        let InstructionData::Brif {
            arg,
            blocks: [taken, not_taken],
            ..
        } = func.dfg.insts[branch]
        else {
            continue;
        };
        let (taken, not_taken) = (
            taken.block(&func.dfg.value_lists),
            not_taken.block(&func.dfg.value_lists),
        );
        let Some((comparison, holds_when_taken)) = unsigned_below(func, arg) else {
            continue;
        };
        let target = if holds_when_taken { taken } else { not_taken };
        if taken == not_taken || cfg.pred_iter(target).count() != 1 {
            continue;
        }
        let (a, b) = comparison;
        below
            .entry((operand(func, Some(cfg), a), operand(func, Some(cfg), b)))
            .or_default()
            .push(target);
    }
    below
}

/// The most negations and widenings looked through when reading a branch
/// condition: Wasm puts a `uextend` after every comparison and an
/// `icmp_imm eq 0` for every `i32.eqz`, a handful at most.
const CONDITION_DEPTH: u32 = 8;

/// If the branch condition `value` is an unsigned comparison, possibly
/// widened or negated, returns `(a, b)` and whether a non-zero `value`
/// means `a < b` (otherwise zero does).
fn unsigned_below(func: &Function, value: Value) -> Option<((Value, Value), bool)> {
    let mut value = func.dfg.resolve_aliases(value);
    let mut nonzero_means_true = true;
    for _ in 0..CONDITION_DEPTH {
        match defining_data(func, value)? {
            InstructionData::Unary {
                opcode: Opcode::Uextend,
                arg,
            } => value = func.dfg.resolve_aliases(arg),
            InstructionData::IntCompareImm {
                opcode: Opcode::IcmpImm,
                cond: cond @ (IntCC::Equal | IntCC::NotEqual),
                arg,
                imm,
            } if imm.bits() == 0 => {
                if cond == IntCC::Equal {
                    nonzero_means_true = !nonzero_means_true;
                }
                value = func.dfg.resolve_aliases(arg);
            }
            InstructionData::IntCompare {
                opcode: Opcode::Icmp,
                cond,
                args: [a, b],
            } => {
                let (pair, when_compare_holds) = match cond {
                    IntCC::UnsignedLessThan => ((a, b), true),
                    IntCC::UnsignedGreaterThanOrEqual => ((a, b), false),
                    IntCC::UnsignedGreaterThan => ((b, a), true),
                    IntCC::UnsignedLessThanOrEqual => ((b, a), false),
                    _ => return None,
                };
                return Some((pair, when_compare_holds == nonzero_means_true));
            }
            _ => return None,
        }
    }
    None
}

/// Whether some conditional branch compares one of `offsets` with
/// anything: the cheap test, before any control-flow graph, for whether
/// [`known_below`] could spare a check.
fn branches_compare_any(func: &Function, offsets: &[Operand]) -> bool {
    if offsets.is_empty() {
        return false;
    }
    func.layout.blocks().any(|block| {
        let Some(branch) = func.layout.last_inst(block) else {
            return false;
        };
        let InstructionData::Brif { arg, .. } = func.dfg.insts[branch] else {
            return false;
        };
        unsigned_below(func, arg).is_some_and(|((a, b), _)| {
            [a, b]
                .iter()
                .any(|&value| offsets.contains(&operand(func, None, value)))
        })
    })
}
