//! The store-data descriptor: loads that may be treated as unchanging.
//!
//! Builtins find host memory through the store data. The host-buffer API,
//! for one, keeps a `{ ptr, len }` pair there, and each `get` or `set`
//! reads both words before it touches the buffer. Once a loop over that
//! API is inlined and lowered, those two loads run once per byte, for a
//! reason that has nothing to do with the host: the byte store in the loop
//! is a native store, and as far as any compiler can see it might write
//! the pair itself. Only the runtime knows that it cannot, so the runtime
//! says so, by declaring the size of a *descriptor* at the start of its
//! store data ([`crate::Config::store_data_descriptor`], whose documentation
//! states the promise in full). From that promise this module decides two
//! things for each function, once it is translated.
//!
//! **Which loads read the descriptor.** A recorded native load whose
//! address is the store-data address plus a constant, with every byte it
//! reads inside the declared size. A load that reaches past the end is not
//! one: it reads host data nobody vouched for.
//!
//! **Whether the function can change the descriptor.** It can if any of
//! its instructions might write those bytes:
//!
//! * a call, since during a call the host may change anything (a tail call
//!   cannot: the function has ended by then);
//! * an atomic access, a fence, or an instruction with effects Cranelift
//!   does not describe;
//! * a store, unless it is labelled `heap`, `table` or `vmctx` (which by
//!   the plugin's contract, see [`crate::lower`], never touch native
//!   memory), writes the stack, or its address is known to lie elsewhere:
//!   it is computed from a value loaded out of the descriptor (promise 3:
//!   such addresses never point back into it), or it is the store-data
//!   address plus a constant that misses the descriptor's bytes.
//!
//! Traps do not count: a trap ends the function without writing anything.
//! Addresses are followed through additions, the plugin's own pointer-width
//! conversions and its Spectre guard, up to [`ADDRESS_STEPS`] instructions
//! deep; an address that cannot be traced might point anywhere.
//!
//! A function that cannot change the descriptor is *stable*: each of its
//! descriptor loads returns the same value wherever and whenever it runs
//! in that function, and (promise 1) it cannot fault. Its descriptor loads
//! are marked `readonly`, which together with their `notrap` makes them
//! pure to Cranelift's optimizer: it shares them and hoists them out of
//! loops. [`crate::redundant`] also merges them itself, before the
//! optimizer runs, so that two bounds checks — or a bounds check and the
//! loop condition that already tested the same index against the same
//! length — compare equal values and the later one can go. In a function
//! that is not stable, descriptor loads are still merged, across every
//! instruction that cannot change the descriptor, such as the byte stores
//! into a buffer it describes.

use std::collections::HashSet;

use cranelift_codegen::flowgraph::ControlFlowGraph;
use cranelift_codegen::ir::{
    self, AliasRegion, Function, Inst, InstructionData, MemFlags, Opcode, Value,
};

use crate::facts::{address_root, iconst, resolve, Record, Root};

/// How many instructions of one address are followed before it is assumed
/// to point anywhere. Addresses the plugin sees are short sums (base plus
/// index plus constant, perhaps narrowed or guarded); the bound only keeps
/// the walk linear on pathological code.
pub const ADDRESS_STEPS: u32 = 32;

/// What one function does with the declared descriptor.
#[derive(Debug)]
pub(crate) struct Descriptor {
    /// The recorded loads that read only descriptor bytes.
    loads: HashSet<Inst>,
    /// The instructions that may change the descriptor: none in a stable
    /// function.
    changes: HashSet<Inst>,
}

/// Where an address may point, as far as the descriptor is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Points {
    /// The store-data address plus this constant.
    StoreData(i64),
    /// Derived from a value loaded out of the descriptor: never into it.
    FromDescriptor,
    /// A constant (the null address of a Spectre guard, typically).
    Constant(i64),
    /// Anything at all.
    Anywhere,
}

impl Points {
    /// The address `self + other`.
    fn add(self, other: Points) -> Points {
        use Points::*;
        match (self, other) {
            (StoreData(a), Constant(b)) | (Constant(b), StoreData(a)) => {
                StoreData(a.wrapping_add(b))
            }
            (Constant(a), Constant(b)) => Constant(a.wrapping_add(b)),
            // A value from the descriptor plus an index or a constant is
            // still derived from it; mixed with the store-data address it
            // could be anything.
            (FromDescriptor, StoreData(_)) | (StoreData(_), FromDescriptor) => Anywhere,
            (FromDescriptor, _) | (_, FromDescriptor) => FromDescriptor,
            _ => Anywhere,
        }
    }

    /// An address that is either `self` or `other`, where a null arm (a
    /// Spectre guard's) is never written through: it faults.
    fn either(self, other: Points) -> Points {
        match (self, other) {
            (Points::Constant(0), points) | (points, Points::Constant(0)) => points,
            (a, b) if a == b => a,
            _ => Points::Anywhere,
        }
    }
}

impl Descriptor {
    /// The recorded loads of `func` that read only bytes of a descriptor of
    /// `size` bytes: none when `size` is 0. Needs no control-flow graph,
    /// so it also tells cheaply whether there is anything to analyse.
    pub(crate) fn loads(func: &Function, record: &Record, size: u32) -> HashSet<Inst> {
        if size == 0 {
            return HashSet::new();
        }
        record
            .loads
            .iter()
            .copied()
            .filter(|&inst| func.layout.inst_block(inst).is_some())
            .filter(|&inst| reads_only_descriptor(func, inst, &record.store_data, size))
            .collect()
    }

    /// Finds the instructions of `func` that may change a descriptor of
    /// `size` bytes whose loads are `loads` (from [`Descriptor::loads`]).
    pub(crate) fn analyze(
        func: &Function,
        cfg: &ControlFlowGraph,
        record: &Record,
        size: u32,
        loads: HashSet<Inst>,
    ) -> Descriptor {
        let addresses = Addresses {
            func,
            cfg,
            size,
            loads: &loads,
            store_data: record
                .store_data
                .iter()
                .map(|&value| func.dfg.resolve_aliases(value))
                .collect(),
        };
        let changes = func
            .layout
            .blocks()
            .flat_map(|block| func.layout.block_insts(block))
            .filter(|&inst| addresses.may_change(inst))
            .collect();
        Descriptor { loads, changes }
    }

    /// Whether `inst` is a load of descriptor bytes.
    pub(crate) fn is_load(&self, inst: Inst) -> bool {
        self.loads.contains(&inst)
    }

    /// Whether nothing in the function may change the descriptor.
    pub(crate) fn is_stable(&self) -> bool {
        self.changes.is_empty()
    }

    /// Whether `inst` may change the descriptor.
    pub(crate) fn may_change(&self, inst: Inst) -> bool {
        self.changes.contains(&inst)
    }

    /// Marks the descriptor loads `readonly` if the function is stable, so
    /// that Cranelift's optimizer may share and hoist them.
    pub(crate) fn mark_readonly(&self, func: &mut Function) {
        if !self.is_stable() {
            return;
        }
        for &inst in &self.loads {
            if let InstructionData::Load { flags, .. } = &mut func.dfg.insts[inst] {
                *flags = flags.with_readonly();
            }
        }
    }
}

/// What tracing an address of one function needs.
struct Addresses<'a> {
    func: &'a Function,
    cfg: &'a ControlFlowGraph,
    size: u32,
    loads: &'a HashSet<Inst>,
    /// The values the store-data hook returned.
    store_data: HashSet<Value>,
}

impl Addresses<'_> {
    /// Whether `inst` might write descriptor bytes; see the module
    /// documentation for the rules.
    fn may_change(&self, inst: Inst) -> bool {
        let func = self.func;
        let data = &func.dfg.insts[inst];
        let opcode = data.opcode();
        if matches!(opcode, Opcode::ReturnCall | Opcode::ReturnCallIndirect) {
            return false;
        }
        if opcode.is_call() || opcode.other_side_effects() || orders_memory(opcode) {
            return true;
        }
        if !opcode.can_store() {
            return false;
        }
        match *data {
            InstructionData::StackStore { .. } | InstructionData::DynamicStackStore { .. } => false,
            InstructionData::Store {
                opcode,
                args: [value, address],
                flags,
                offset,
            } => {
                if labelled_away_from_native_memory(flags) {
                    return false;
                }
                let width = match opcode {
                    Opcode::Istore8 => 1,
                    Opcode::Istore16 => 2,
                    Opcode::Istore32 => 4,
                    _ => func.dfg.value_type(value).bytes(),
                };
                let mut steps = ADDRESS_STEPS;
                match self.points(address, &mut steps) {
                    Points::FromDescriptor => false,
                    Points::StoreData(constant) => {
                        let start = constant.wrapping_add(i64::from(offset));
                        overlaps(start, width, self.size)
                    }
                    Points::Constant(_) | Points::Anywhere => true,
                }
            }
            _ => true,
        }
    }

    /// Where `address` may point, following at most `steps` instructions
    /// (and the block parameters through which a Wasm block's result
    /// arrives, as [`resolve`] does). On 32-bit targets the store-data
    /// address is widened to `i64` first, which the `uextend` arm follows.
    fn points(&self, address: Value, steps: &mut u32) -> Points {
        let func = self.func;
        let value = resolve(func, Some(self.cfg), address);
        if self.store_data.contains(&value) {
            return Points::StoreData(0);
        }
        if let Some(constant) = iconst(func, value) {
            return Points::Constant(constant);
        }
        let ir::ValueDef::Result(inst, 0) = func.dfg.value_def(value) else {
            return Points::Anywhere;
        };
        if self.loads.contains(&inst) {
            return Points::FromDescriptor;
        }
        if *steps == 0 {
            return Points::Anywhere;
        }
        *steps -= 1;
        match func.dfg.insts[inst] {
            InstructionData::Binary {
                opcode: Opcode::Iadd,
                args: [a, b],
            } => self.points(a, steps).add(self.points(b, steps)),
            InstructionData::BinaryImm64 {
                opcode: Opcode::IaddImm,
                arg,
                imm,
            } => self.points(arg, steps).add(Points::Constant(imm.bits())),
            InstructionData::Unary {
                opcode: Opcode::Ireduce | Opcode::Uextend,
                arg,
            } => self.points(arg, steps),
            InstructionData::Ternary {
                opcode: Opcode::SelectSpectreGuard,
                args: [_, a, b],
            } => self.points(a, steps).either(self.points(b, steps)),
            _ => Points::Anywhere,
        }
    }
}

/// Whether the recorded load `inst` reads only bytes `0..size` past the
/// store-data address.
fn reads_only_descriptor(func: &Function, inst: Inst, store_data: &[Value], size: u32) -> bool {
    let InstructionData::Load {
        opcode,
        arg,
        offset,
        ..
    } = func.dfg.insts[inst]
    else {
        return false;
    };
    let (Root::StoreData, constant) = address_root(func, arg, store_data) else {
        return false;
    };
    let width = match opcode {
        Opcode::Uload8 | Opcode::Sload8 => 1,
        Opcode::Uload16 | Opcode::Sload16 => 2,
        Opcode::Uload32 | Opcode::Sload32 => 4,
        _ => func.dfg.value_type(func.dfg.first_result(inst)).bytes(),
    };
    let start = constant.wrapping_add(i64::from(offset));
    start >= 0 && start.checked_add(i64::from(width)) <= Some(i64::from(size))
}

/// Whether `width` bytes at `start` share a byte with `0..size`.
fn overlaps(start: i64, width: u32, size: u32) -> bool {
    let end = start.saturating_add(i64::from(width));
    start < i64::from(size) && end > 0
}

/// Whether `opcode` is an atomic access or a fence: it may write anything
/// another thread shares, whatever its address says.
pub(crate) fn orders_memory(opcode: Opcode) -> bool {
    matches!(
        opcode,
        Opcode::AtomicRmw | Opcode::AtomicCas | Opcode::AtomicStore | Opcode::Fence
    )
}

/// Whether a store is labelled with a region that by the plugin's contract
/// holds no native memory.
pub(crate) fn labelled_away_from_native_memory(flags: MemFlags) -> bool {
    matches!(
        flags.alias_region(),
        Some(AliasRegion::Heap | AliasRegion::Table | AliasRegion::Vmctx)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_is_any_shared_byte() {
        assert!(overlaps(0, 1, 16));
        assert!(overlaps(15, 1, 16));
        assert!(overlaps(-4, 8, 16));
        assert!(!overlaps(16, 8, 16));
        assert!(!overlaps(-8, 8, 16));
        assert!(!overlaps(i64::MAX, 8, 16));
    }

    #[test]
    fn derived_addresses_stay_derived_unless_mixed_with_store_data() {
        use Points::*;
        assert_eq!(StoreData(8).add(Constant(-8)), StoreData(0));
        assert_eq!(FromDescriptor.add(Anywhere), FromDescriptor);
        assert_eq!(Anywhere.add(FromDescriptor), FromDescriptor);
        assert_eq!(FromDescriptor.add(StoreData(0)), Anywhere);
        assert_eq!(StoreData(0).add(Anywhere), Anywhere);
        assert_eq!(Constant(0).either(FromDescriptor), FromDescriptor);
        assert_eq!(FromDescriptor.either(StoreData(0)), Anywhere);
    }
}
