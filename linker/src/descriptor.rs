//! Hoisting loads of the store-data descriptor to function entry, for
//! engines that cannot do it themselves.
//!
//! A builtin finds host memory through the store data: the host-buffer
//! API keeps a `{ ptr, len }` pair there, and every inlined `get` and `set`
//! reads both words (`u64-native-load` of the store-data address plus 0
//! and 8) before it touches the buffer. Our runtime's lowering plugin
//! loads them once per function, because the runtime declares the pair a
//! *descriptor* that stays put while a function runs
//! (`wasm_prelink_lowering::Config::store_data_descriptor`, whose
//! documentation states the promise in full). Wasmtime lowers the same
//! intrinsics to native loads and stores but cannot know that a byte store
//! into the buffer does not change the pair, so it reloads both in every
//! iteration of the loop, and that, not the intrinsics, is what separates
//! it from our runtime on the host-buffer loop.
//!
//! When the embedder makes the same promise to the linker
//! ([`Linker::store_data_descriptor`](crate::Linker::store_data_descriptor)),
//! this pass does at the Wasm level what the plugin does in Cranelift: in
//! every function that cannot change the descriptor, each
//! `u64-native-load` of the store-data address plus a constant `K`, with
//! the eight bytes at `K` inside the descriptor, becomes `local.get` of a
//! new local that the function's entry fills with the same load. Written
//! as one sequence (`call store-data-address [i64.const K i64.add] call
//! u64-native-load`, as an inlined accessor is) the whole sequence goes;
//! when the address came from elsewhere (out of a block) it is dropped
//! instead, which costs an engine nothing it would not remove. Any engine
//! then sees a loop whose only native accesses are the buffer's.
//!
//! **Which functions.** A function can change the descriptor, and is left
//! alone, if it makes any call other than to intrinsics that read
//! (`store-data-address` and the loads; a tail call cannot, it has ended
//! the function), or if it has a native store whose address cannot be
//! shown to derive from a value read out of the descriptor (promise 3 of
//! the contract: such addresses never point back into it). Linear-memory
//! instructions never touch host memory. Addresses are followed on an
//! abstract operand stack that mirrors the validator's: through
//! `i64.add` and out of blocks nothing branches to; a value that passed
//! through a local or anything else is assumed to point anywhere, which
//! only ever keeps a function out.
//!
//! **Why this is exact.** In a function that cannot change the descriptor,
//! and under the promise that nothing else does while it runs, every load
//! of the same descriptor bytes returns the same value wherever it runs,
//! so loading at entry instead changes no result. The entry load runs even
//! on paths that never read the descriptor; it has no effect and cannot
//! fault (promise 1: the bytes are readable while the store exists).
//!
//! Offsets of instructions move, so a branch-hint section is dropped with
//! a warning when a function is rewritten, as inlining does.

use std::collections::BTreeMap;
use std::ops::Range;

use wasm_prelink_intrinsics::{Intrinsic, Operation};
use wasmparser::{
    BinaryReader, FuncValidatorAllocations, Operator, Parser, Payload, TypeRef, Validator,
};

use crate::debug::map::{CodeMap, Origin, Recorder, Source};
use crate::error::LinkError;

/// What the pass did, for the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DescriptorCounts {
    /// Functions whose descriptor loads now read locals.
    pub functions: usize,
    /// Descriptor loads replaced.
    pub loads_hoisted: usize,
}

/// Where a value on the operand stack came from, as far as the descriptor
/// is concerned.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Value {
    /// The store-data address.
    StoreData,
    /// The store-data address plus a constant.
    StoreDataPlus(u64),
    /// An `i64` constant.
    Const(u64),
    /// Read out of the descriptor, or computed from such a value by
    /// addition: by the promise, never an address inside it.
    FromDescriptor,
    /// Anything else.
    Unknown,
}

/// One control frame of the abstract stack.
struct Frame {
    /// Whether it is a `block` (whose results, when nothing branches to it,
    /// are exactly what its last instructions left).
    is_block: bool,
    branched: bool,
}

/// One descriptor load to replace.
struct Load {
    /// Its bytes in the module: the whole sequence that computes the
    /// address and loads, or only the `call` of the load when the address
    /// was computed elsewhere (in a block, say).
    range: Range<usize>,
    /// Whether `range` is only the load, whose address operand must then
    /// be dropped.
    drop_address: bool,
    /// The descriptor offset read.
    offset: u64,
}

/// What the analysis of one function found.
#[derive(Default)]
struct Function {
    /// The function may change the descriptor.
    may_change: bool,
    /// Descriptor loads, in code order.
    loads: Vec<Load>,
    /// Parameters plus declared locals.
    locals: u32,
}

/// The intrinsics imported from `namespace`, by function index.
fn intrinsic_imports(wasm: &[u8], namespace: &str) -> Result<BTreeMap<u32, Intrinsic>, LinkError> {
    let mut found = BTreeMap::new();
    for payload in Parser::new(0).parse_all(wasm) {
        if let Payload::ImportSection(imports) = payload.map_err(invalid)? {
            let mut func = 0;
            for import in imports.into_imports() {
                let import = import.map_err(invalid)?;
                if let TypeRef::Func(_) | TypeRef::FuncExact(_) = import.ty {
                    if import.module == namespace {
                        if let Ok(intrinsic) = import.name.parse::<Intrinsic>() {
                            found.insert(func, intrinsic);
                        }
                    }
                    func += 1;
                }
            }
        }
    }
    Ok(found)
}

fn invalid(e: wasmparser::BinaryReaderError) -> LinkError {
    LinkError::InvalidOutput(e.to_string())
}

/// Analyses every function body of `wasm` (a valid module).
fn analyse(
    wasm: &[u8],
    intrinsics: &BTreeMap<u32, Intrinsic>,
    size: u32,
) -> Result<Vec<Function>, LinkError> {
    let mut validator = Validator::new_with_features(crate::validate::features());
    let mut allocations = FuncValidatorAllocations::default();
    let mut functions = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(invalid)?;
        if let Payload::CodeSectionEntry(body) = &payload {
            let to_validate = match validator.payload(&payload).map_err(invalid)? {
                wasmparser::ValidPayload::Func(func, _) => func,
                _ => return Err(LinkError::InvalidOutput("a body without a function".into())),
            };
            let mut func = to_validate.into_validator(std::mem::take(&mut allocations));
            let analysed = analyse_body(body, &mut func, intrinsics, size)?;
            allocations = func.into_allocations();
            functions.push(analysed);
        } else {
            validator.payload(&payload).map_err(invalid)?;
        }
    }
    Ok(functions)
}

fn analyse_body(
    body: &wasmparser::FunctionBody<'_>,
    func: &mut wasmparser::FuncValidator<wasmparser::ValidatorResources>,
    intrinsics: &BTreeMap<u32, Intrinsic>,
    size: u32,
) -> Result<Function, LinkError> {
    let mut locals = body.get_locals_reader().map_err(invalid)?;
    for _ in 0..locals.get_count() {
        let offset = locals.original_position() as usize;
        let (count, ty) = locals.read().map_err(invalid)?;
        func.define_locals(offset as u64, count, ty)
            .map_err(invalid)?;
    }
    let mut out = Function {
        locals: func.len_locals(),
        ..Function::default()
    };
    let mut stack: Vec<Value> = Vec::new();
    let mut frames = vec![Frame {
        is_block: false,
        branched: false,
    }];
    // The starts of the last four instructions, newest last, to recognise
    // a load written as one contiguous sequence.
    let mut recent: Vec<(usize, Operator<'_>)> = Vec::new();
    let mut reader = body.get_operators_reader().map_err(invalid)?;
    while !reader.eof() {
        let start = reader.original_position() as usize;
        let op = reader.read().map_err(invalid)?;
        let end = reader.original_position() as usize;
        let Some((pops, pushes)) = op.operator_arity(&*func) else {
            // An instruction whose effect on the stack is not known here:
            // nothing after it can be followed.
            out.may_change = true;
            func.op(start as u64, &op).map_err(invalid)?;
            break;
        };
        let args = stack.split_off(stack.len().saturating_sub(pops as usize));
        let arg = |i: usize| args.get(i).copied().unwrap_or(Value::Unknown);
        let result = match &op {
            Operator::Call { function_index } => match intrinsics.get(function_index) {
                Some(intrinsic) => {
                    let value = call(*intrinsic, &args, size, &mut out);
                    if let (Value::FromDescriptor, Some(offset)) =
                        (value, descriptor_offset(&args, size))
                    {
                        let sequence = contiguous_load(&recent, intrinsics);
                        out.loads.push(Load {
                            range: sequence.unwrap_or(start)..end,
                            drop_address: sequence.is_none(),
                            offset,
                        });
                    }
                    Some(value)
                }
                None => {
                    out.may_change = true;
                    None
                }
            },
            Operator::CallIndirect { .. } | Operator::CallRef { .. } => {
                out.may_change = true;
                None
            }
            Operator::I64Const { value } => Some(Value::Const(*value as u64)),
            Operator::I64Add => Some(add(arg(0), arg(1))),
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                frames.push(Frame {
                    is_block: matches!(op, Operator::Block { .. }),
                    branched: false,
                });
                None
            }
            Operator::TryTable { .. } | Operator::Try { .. } => {
                frames.push(Frame {
                    is_block: false,
                    branched: false,
                });
                None
            }
            Operator::Br { relative_depth }
            | Operator::BrIf { relative_depth }
            | Operator::BrOnNull { relative_depth }
            | Operator::BrOnNonNull { relative_depth }
            | Operator::BrOnCast { relative_depth, .. }
            | Operator::BrOnCastFail { relative_depth, .. } => {
                mark_branched(&mut frames, *relative_depth);
                None
            }
            Operator::BrTable { targets } => {
                for target in targets.targets().chain(Some(Ok(targets.default()))) {
                    mark_branched(&mut frames, target.map_err(invalid)?);
                }
                None
            }
            Operator::Delegate { .. } => {
                frames.pop();
                None
            }
            Operator::End => {
                let frame = frames.pop();
                if frame.is_some_and(|f| f.is_block && !f.branched) {
                    // The results are what the block's last instructions
                    // left: keep them.
                    stack.extend(args.iter().copied());
                    func.op(start as u64, &op).map_err(invalid)?;
                    resize(&mut stack, func.operand_stack_height());
                    remember(&mut recent, start, op);
                    continue;
                }
                None
            }
            _ => None,
        };
        match result {
            Some(value) if pushes == 1 => stack.push(value),
            _ => stack.extend(std::iter::repeat_n(Value::Unknown, pushes as usize)),
        }
        func.op(start as u64, &op).map_err(invalid)?;
        resize(&mut stack, func.operand_stack_height());
        remember(&mut recent, start, op);
    }
    // The new locals must not take the function past the limit engines
    // enforce; such a function keeps its loads.
    let offsets: std::collections::BTreeSet<u64> = out.loads.iter().map(|l| l.offset).collect();
    if u64::from(out.locals) + offsets.len() as u64 > crate::inline::plan::MAX_FUNCTION_LOCALS {
        out.loads.clear();
    }
    Ok(out)
}

/// The value an intrinsic call leaves, noting in `out` a native store that
/// may change the descriptor.
fn call(intrinsic: Intrinsic, args: &[Value], size: u32, out: &mut Function) -> Value {
    let points_elsewhere = |v: Option<&Value>| matches!(v, Some(Value::FromDescriptor));
    match intrinsic.operation() {
        Operation::StoreDataAddress => Value::StoreData,
        Operation::Load if intrinsic == Intrinsic::U64NativeLoad => {
            match descriptor_offset(args, size) {
                Some(_) => Value::FromDescriptor,
                None => Value::Unknown,
            }
        }
        Operation::Load | Operation::CheckedLoad => Value::Unknown,
        Operation::Store | Operation::CheckedStore => {
            // The address, or the base of a checked store, is the first
            // argument.
            if !points_elsewhere(args.first()) {
                out.may_change = true;
            }
            Value::Unknown
        }
    }
}

/// The descriptor offset a `u64-native-load` with these arguments reads,
/// when all eight bytes lie inside the descriptor.
fn descriptor_offset(args: &[Value], size: u32) -> Option<u64> {
    let offset = match args.first()? {
        Value::StoreData => 0,
        Value::StoreDataPlus(offset) => *offset,
        _ => return None,
    };
    (offset.checked_add(8)? <= u64::from(size)).then_some(offset)
}

fn add(a: Value, b: Value) -> Value {
    match (a, b) {
        (Value::StoreData, Value::Const(k)) | (Value::Const(k), Value::StoreData) => {
            Value::StoreDataPlus(k)
        }
        (Value::FromDescriptor, _) | (_, Value::FromDescriptor) => Value::FromDescriptor,
        _ => Value::Unknown,
    }
}

/// Where a descriptor load that ends with the instruction just read starts,
/// when it was written as one sequence: `call store-data-address`, then
/// `i64.const K` and `i64.add` unless `K` is 0, then the load itself.
fn contiguous_load(
    recent: &[(usize, Operator<'_>)],
    intrinsics: &BTreeMap<u32, Intrinsic>,
) -> Option<usize> {
    let is_address = |op: &Operator<'_>| {
        matches!(op, Operator::Call { function_index }
            if intrinsics.get(function_index) == Some(&Intrinsic::StoreDataAddress))
    };
    match recent {
        [.., (start, address), (_, Operator::I64Const { .. }), (_, Operator::I64Add)]
            if is_address(address) =>
        {
            Some(*start)
        }
        [.., (start, address)] if is_address(address) => Some(*start),
        _ => None,
    }
}

fn mark_branched(frames: &mut [Frame], depth: u32) {
    if let Some(index) = frames.len().checked_sub(depth as usize + 1) {
        frames[index].branched = true;
    }
}

/// Makes the abstract stack as high as the validator's: after
/// `unreachable` and the like the validator's stack is polymorphic and
/// pops values nobody pushed.
fn resize(stack: &mut Vec<Value>, height: u32) {
    stack.resize(height as usize, Value::Unknown);
}

fn remember<'a>(recent: &mut Vec<(usize, Operator<'a>)>, start: usize, op: Operator<'a>) {
    if recent.len() == 4 {
        recent.remove(0);
    }
    recent.push((start, op));
}

/// Rewrites `wasm` (a valid module whose intrinsics come from `namespace`)
/// for a descriptor of `size` bytes.
pub(crate) fn hoist(
    wasm: Vec<u8>,
    namespace: &str,
    size: u32,
    warnings: &mut Vec<String>,
    record: bool,
) -> Result<(Vec<u8>, DescriptorCounts, Option<CodeMap>), LinkError> {
    let intrinsics = intrinsic_imports(&wasm, namespace)?;
    let Some((&address, _)) = intrinsics
        .iter()
        .find(|(_, &i)| i == Intrinsic::StoreDataAddress)
    else {
        return Ok((wasm, DescriptorCounts::default(), None));
    };
    let Some((&load, _)) = intrinsics
        .iter()
        .find(|(_, &i)| i == Intrinsic::U64NativeLoad)
    else {
        return Ok((wasm, DescriptorCounts::default(), None));
    };
    let functions = analyse(&wasm, &intrinsics, size)?;
    let mut counts = DescriptorCounts::default();
    for f in functions
        .iter()
        .filter(|f| !f.may_change && !f.loads.is_empty())
    {
        counts.functions += 1;
        counts.loads_hoisted += f.loads.len();
    }
    if counts.functions == 0 {
        return Ok((wasm, counts, None));
    }
    let mut recorder = record.then(Recorder::default);
    let out = rebuild(
        &wasm,
        &functions,
        address,
        load,
        warnings,
        recorder.as_mut(),
    )?;
    let map = recorder.map(|r| {
        let end = crate::debug::record::CodeSection::read(&out)
            .ok()
            .flatten()
            .map_or(0, |c| c.range.end - c.range.start);
        r.finish(end)
    });
    Ok((out, counts, map))
}

/// The module with its code section rewritten.
fn rebuild(
    wasm: &[u8],
    functions: &[Function],
    address: u32,
    load: u32,
    warnings: &mut Vec<String>,
    mut recorder: Option<&mut Recorder>,
) -> Result<Vec<u8>, LinkError> {
    let mut out = wasm[..8].to_vec();
    let mut reader = BinaryReader::new(&wasm[8..], 8);
    while !reader.eof() {
        let section_start = reader.original_position() as usize;
        let id = reader.read_u8().map_err(invalid)?;
        let len = reader.read_var_u32().map_err(invalid)? as usize;
        let contents = reader.original_position() as usize;
        reader.read_bytes(len).map_err(invalid)?;
        let end = reader.original_position() as usize;
        match id {
            10 => {
                let code = code_section(
                    wasm,
                    contents..end,
                    functions,
                    address,
                    load,
                    recorder.as_deref_mut(),
                )?;
                out.push(10);
                crate::leb128::unsigned(&mut out, code.len() as u64);
                out.extend_from_slice(&code);
            }
            0 if custom_name(&wasm[contents..end]) == Some(crate::hints::SECTION) => {
                warnings.push(format!(
                    "dropped the `{}` custom section: hoisting descriptor loads moved the instructions it refers to",
                    crate::hints::SECTION
                ));
            }
            _ => out.extend_from_slice(&wasm[section_start..end]),
        }
    }
    Ok(out)
}

fn custom_name(contents: &[u8]) -> Option<&str> {
    BinaryReader::new(contents, 0).read_string().ok()
}

/// The contents of the new code section.
fn code_section(
    wasm: &[u8],
    range: Range<usize>,
    functions: &[Function],
    address: u32,
    load: u32,
    mut recorder: Option<&mut Recorder>,
) -> Result<Vec<u8>, LinkError> {
    let reader = wasmparser::CodeSectionReader::new(BinaryReader::new(
        &wasm[range.clone()],
        range.start as u64,
    ))
    .map_err(invalid)?;
    let origin = |at: usize| Origin {
        input: 0,
        offset: (at - range.start) as u32,
    };
    let mut section = wasm_encoder::CodeSection::new();
    // Where the next body starts in the new contents: after the count.
    let mut position = leb_len(reader.count());
    for (body, function) in reader.into_iter().zip(functions) {
        let body = body.map_err(invalid)?;
        let mut stretches = Vec::new();
        let length = if function.may_change || function.loads.is_empty() {
            let bytes = &wasm[usize_range(body.range())];
            section.raw(bytes);
            stretches.push((0, Source::Copy(origin(body.range().start as usize))));
            bytes.len()
        } else {
            let rewritten = rewrite(
                wasm,
                &body,
                function,
                address,
                load,
                &origin,
                &mut stretches,
            )?;
            section.function(&rewritten);
            rewritten.byte_len()
        };
        position += leb_len(length as u32);
        if let Some(recorder) = recorder.as_deref_mut() {
            recorder.body(position..position + length as u32);
            for (at, source) in stretches {
                recorder.push(position + at, source, None);
            }
        }
        position += length as u32;
    }
    let mut bytes = Vec::new();
    wasm_encoder::Encode::encode(&section, &mut bytes);
    // `Encode` writes the section's size first; the caller writes its own.
    let mut reader = BinaryReader::new(&bytes, 0);
    let _ = reader.read_var_u32().map_err(invalid)?;
    Ok(bytes[reader.original_position() as usize..].to_vec())
}

/// One function with its descriptor loads read from new locals filled at
/// entry.
fn rewrite(
    wasm: &[u8],
    body: &wasmparser::FunctionBody<'_>,
    function: &Function,
    address: u32,
    load: u32,
    origin: &dyn Fn(usize) -> Origin,
    stretches: &mut Vec<(u32, Source)>,
) -> Result<wasm_encoder::Function, LinkError> {
    // The new locals and the loads at entry stand for the function's
    // header; copied code keeps its place; a replaced load stands for the
    // load.
    let header = Source::At(origin(body.range().start as usize));
    stretches.push((0, header));
    let mut groups = Vec::new();
    let mut locals = body.get_locals_reader().map_err(invalid)?;
    for _ in 0..locals.get_count() {
        let (count, ty) = locals.read().map_err(invalid)?;
        let ty = wasm_encoder::reencode::Reencode::val_type(
            &mut wasm_encoder::reencode::RoundtripReencoder,
            ty,
        )
        .map_err(|e| LinkError::InvalidOutput(format!("{e:?}")))?;
        groups.push((count, ty));
    }
    // One local per descriptor offset read, in offset order.
    let offsets: BTreeMap<u64, u32> = function
        .loads
        .iter()
        .map(|load| load.offset)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .zip(function.locals..)
        .collect();
    groups.push((offsets.len() as u32, wasm_encoder::ValType::I64));
    let mut out = wasm_encoder::Function::new(groups);
    for (&offset, &local) in &offsets {
        out.instructions().call(address);
        if offset != 0 {
            out.instructions().i64_const(offset as i64).i64_add();
        }
        out.instructions().call(load).local_set(local);
    }
    let ops = body.get_operators_reader().map_err(invalid)?;
    let mut at = ops.original_position() as usize;
    for load in &function.loads {
        stretches.push((out.byte_len() as u32, Source::Copy(origin(at))));
        out.raw(wasm[at..load.range.start].iter().copied());
        stretches.push((out.byte_len() as u32, Source::At(origin(load.range.start))));
        if load.drop_address {
            out.instructions().drop();
        }
        out.instructions().local_get(offsets[&load.offset]);
        at = load.range.end;
    }
    stretches.push((out.byte_len() as u32, Source::Copy(origin(at))));
    out.raw(wasm[at..usize_range(body.range()).end].iter().copied());
    Ok(out)
}

fn usize_range(range: Range<u64>) -> Range<usize> {
    range.start as usize..range.end as usize
}

/// The size of `value` as an unsigned LEB128.
fn leb_len(value: u32) -> u32 {
    crate::leb128::unsigned_len(u64::from(value)) as u32
}
