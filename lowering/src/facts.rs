//! What the lowering records about a function and how a value is traced
//! back to where it comes from, shared by the two passes that reason about
//! the recorded accesses: the store-data descriptor (`descriptor.rs`) and
//! redundant load and check removal (`redundant.rs`). Keeping these here
//! lets each pass depend on them without depending on the other.

use cranelift_codegen::flowgraph::ControlFlowGraph;
use cranelift_codegen::ir::{self, Block, Function, Inst, InstructionData, Opcode, Value};

/// What the lowering emitted in one function, for the pass.
#[derive(Clone, Debug, Default)]
pub(crate) struct Record {
    /// The plain native loads (`uN-native-load`).
    pub loads: Vec<Inst>,
    /// The bounds checks of the checked variants.
    pub checks: Vec<Check>,
    /// Every value the store-data hook returned.
    pub store_data: Vec<Value>,
}

impl Record {
    pub fn clear(&mut self) {
        self.loads.clear();
        self.checks.clear();
        self.store_data.clear();
    }
}

/// One bounds check: `branch` goes to the trap block unless
/// `offset + size <= length`, and to `continuation` otherwise.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Check {
    pub branch: Inst,
    pub continuation: Block,
    pub offset: Value,
    pub length: Value,
    /// The value `offset` is compared with: `length` itself for one-byte
    /// accesses, `length - (size - 1)` clamped at zero otherwise.
    pub limit: Value,
    pub size: u32,
}

/// Where an address comes from: a value, or the store data (all hook
/// results are the same address; see `StoreDataAddress`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Root {
    StoreData,
    Value(Value),
}

/// Splits `address` into a root and a constant, looking through additions
/// of constants and through the conversions the plugin itself applies on
/// 32-bit targets: the narrowing of every native address to the pointer
/// type, which is the load's own operand (every recorded load has it, or
/// none has: the pointer width is fixed within a function), and the
/// widening of a store-data address to `i64`. Other conversions are roots:
/// `uextend(ireduce(x))` is not `x`.
pub(crate) fn address_root(func: &Function, address: Value, store_data: &[Value]) -> (Root, i64) {
    let mut value = func.dfg.resolve_aliases(address);
    if let Some(InstructionData::Unary {
        opcode: Opcode::Ireduce,
        arg,
    }) = defining_data(func, value)
    {
        value = func.dfg.resolve_aliases(arg);
    }
    let mut constant = 0i64;
    loop {
        if store_data.contains(&value) {
            return (Root::StoreData, constant);
        }
        if let Some(InstructionData::Unary {
            opcode: Opcode::Uextend,
            arg,
        }) = defining_data(func, value)
        {
            if store_data.contains(&func.dfg.resolve_aliases(arg)) {
                return (Root::StoreData, constant);
            }
        }
        let ir::ValueDef::Result(inst, 0) = func.dfg.value_def(value) else {
            return (Root::Value(value), constant);
        };
        match func.dfg.insts[inst] {
            InstructionData::Binary {
                opcode: Opcode::Iadd,
                args: [a, b],
            } => {
                let (a, b) = (func.dfg.resolve_aliases(a), func.dfg.resolve_aliases(b));
                if let Some(c) = iconst(func, b) {
                    constant = constant.wrapping_add(c);
                    value = a;
                } else if let Some(c) = iconst(func, a) {
                    constant = constant.wrapping_add(c);
                    value = b;
                } else {
                    return (Root::Value(value), constant);
                }
            }
            InstructionData::BinaryImm64 {
                opcode: Opcode::IaddImm,
                arg,
                imm,
            } => {
                constant = constant.wrapping_add(imm.bits());
                value = func.dfg.resolve_aliases(arg);
            }
            _ => return (Root::Value(value), constant),
        }
    }
}

/// The instruction defining `value`, if it is an instruction's only or
/// first result.
pub(crate) fn defining_data(func: &Function, value: Value) -> Option<InstructionData> {
    match func.dfg.value_def(value) {
        ir::ValueDef::Result(inst, 0) => Some(func.dfg.insts[inst]),
        _ => None,
    }
}

pub(crate) fn iconst(func: &Function, value: Value) -> Option<i64> {
    match func.dfg.value_def(value) {
        ir::ValueDef::Result(inst, 0) => match func.dfg.insts[inst] {
            InstructionData::UnaryImm {
                opcode: Opcode::Iconst,
                imm,
            } => Some(imm.bits()),
            _ => None,
        },
        _ => None,
    }
}

/// A check operand, identified so that two equal keys are equal values: a
/// value, a constant, or a widening or narrowing of a value (an `i32` index
/// is extended to `i64` anew at every call).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Operand {
    Value(Value),
    Const(ir::Type, i64),
    Convert(Opcode, ir::Type, Value),
}

pub(crate) fn operand(func: &Function, cfg: Option<&ControlFlowGraph>, value: Value) -> Operand {
    let value = resolve(func, cfg, value);
    let ty = func.dfg.value_type(value);
    if let Some(constant) = iconst(func, value) {
        return Operand::Const(ty, constant);
    }
    if let ir::ValueDef::Result(inst, 0) = func.dfg.value_def(value) {
        if let InstructionData::Unary {
            opcode: opcode @ (Opcode::Uextend | Opcode::Sextend | Opcode::Ireduce),
            arg,
        } = func.dfg.insts[inst]
        {
            return Operand::Convert(opcode, ty, resolve(func, cfg, arg));
        }
    }
    Operand::Value(value)
}

/// `value` with aliases resolved and, given the control-flow graph, block
/// parameters of blocks with a single predecessor replaced by the argument
/// that predecessor passes (a value leaving an inlined function or a Wasm
/// `block` with results arrives that way).
pub(crate) fn resolve(func: &Function, cfg: Option<&ControlFlowGraph>, value: Value) -> Value {
    let mut value = func.dfg.resolve_aliases(value);
    let Some(cfg) = cfg else {
        return value;
    };
    // A chain of single-predecessor blocks is no longer than the function;
    // the bound only guards against cycles of unreachable blocks.
    for _ in 0..func.dfg.num_blocks() {
        let ir::ValueDef::Param(block, index) = func.dfg.value_def(value) else {
            break;
        };
        let mut predecessors = cfg.pred_iter(block);
        let (Some(only), None) = (predecessors.next(), predecessors.next()) else {
            break;
        };
        let mut calls = func.dfg.insts[only.inst]
            .branch_destination(&func.dfg.jump_tables)
            .iter()
            .filter(|call| call.block(&func.dfg.value_lists) == block);
        let (Some(call), None) = (calls.next(), calls.next()) else {
            break;
        };
        value = func
            .dfg
            .resolve_aliases(call.args_slice(&func.dfg.value_lists)[index]);
    }
    value
}
