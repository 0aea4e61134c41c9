//! Turning a call to an intrinsic into native loads and stores.
//!
//! Each [`Shape`] of intrinsic has one small helper below; the table in
//! [`crate::intrinsics`] says which shape and access width each intrinsic
//! has, so the helpers never match on individual intrinsics.
//!
//! # Memory flags, and why
//!
//! Native accesses use `MemFlags::new().with_notrap()` and nothing else:
//!
//! * **No alias region.** Cranelift's alias analysis splits memory into the
//!   `heap`, `table` and `vmctx` regions and "everything else", and assumes
//!   accesses in different regions never touch the same bytes. Native memory
//!   is host memory the runtime may also read or write for its own purposes,
//!   so it goes in "everything else" — the category of every access nobody
//!   labelled, including the runtime's own unlabelled loads and stores — and
//!   is never marked as a Wasm `heap` access. The consequence, which is the
//!   contract with the host: memory a builtin reaches natively must not be
//!   memory the runtime accesses under the `heap`, `table` or `vmctx` labels
//!   (in particular, builtins access Wasm linear memory with ordinary Wasm
//!   loads, not through a native pointer to it). The checked variants' trap
//!   sits in a cold block of its own, off the path that continues, so it
//!   does not act as a barrier that would force the buffer pointer and length
//!   to be reloaded between two accesses. (Inside a loop that stores,
//!   Cranelift reloads them anyway; [`crate::redundant`] removes those
//!   repeated loads using the same contract.)
//! * **`notrap`.** The access itself is to trusted host memory. Without
//!   `notrap`, Cranelift would record the instruction as a Wasm
//!   heap-out-of-bounds trap site, and a runtime's fault handler would turn a
//!   wild host pointer — a bug in trusted code — into an ordinary, catchable
//!   Wasm trap. With it, such a fault crashes the host exactly as the host
//!   implementation in [`crate::host`] would, so the two paths agree. Bounds
//!   errors of the checked variants are reported by an explicit `trap` with
//!   [`TrapCode::HeapOutOfBounds`], reached by a branch before the access.
//! * **Not `aligned`**: the intrinsics have no alignment requirement.
//! * **Not `readonly`**: native memory may change (native stores, the host).
//!   The one exception is made after translation, not here: loads of a
//!   declared store-data descriptor in a function that cannot change it
//!   (see [`crate::descriptor`]).
//! * **Native endianness**, as the intrinsics are defined.
//!
//! # Pointer width
//!
//! Addresses are `i64` in Wasm. On 32-bit targets the plugin `ireduce`s the
//! final address to the pointer type (the high bits are ignored, as the host
//! implementations do), while the checked variants' bounds arithmetic stays
//! 64-bit so a large offset cannot wrap into range.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, types, InstBuilder, MemFlags, TrapCode};
use cranelift_frontend::FunctionBuilder;
use cranelift_wasm::{FuncIndex, WasmError, WasmResult};

use crate::error::Error;
use crate::facts::{Check, Record};
use crate::hook::StoreDataAddress;
use crate::intrinsics::{clif_type, Intrinsic, Shape};
use crate::module::{Intrinsics, DEFAULT_NAMESPACE};

/// Options of the lowering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    namespace: String,
    spectre_mitigation: bool,
    store_data_descriptor: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            namespace: DEFAULT_NAMESPACE.to_owned(),
            spectre_mitigation: false,
            store_data_descriptor: 0,
        }
    }
}

impl Config {
    /// The defaults: namespace [`DEFAULT_NAMESPACE`], no Spectre mitigation,
    /// no store-data descriptor.
    pub fn new() -> Config {
        Config::default()
    }

    /// Sets the module name whose imports are intrinsics.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Config {
        self.namespace = namespace.into();
        self
    }

    /// When `true`, the checked variants also select a null address when out
    /// of bounds (with `select_spectre_guard`), so a mispredicted bounds
    /// check cannot speculatively touch memory outside `base..base+length`.
    pub fn spectre_mitigation(mut self, enable: bool) -> Config {
        self.spectre_mitigation = enable;
        self
    }

    /// Declares that the first `bytes` bytes at the store-data address are a
    /// *descriptor*: host data that builtins read to find their buffers, and
    /// that the runtime promises stays put while a function runs.
    ///
    /// The promise, which the plugin cannot check and the runtime must keep:
    ///
    /// 1. the bytes can be read at any time while the store exists (the
    ///    store data does not move, and is at least `bytes` long);
    /// 2. while one function runs, they change only through native stores of
    ///    that function or during the calls it makes (host functions, other
    ///    Wasm functions) — never from another thread;
    /// 3. no address computed from a value read out of them (a buffer
    ///    pointer plus an index, say) points back into them.
    ///
    /// In exchange, [`FunctionLowering::finish`](crate::FunctionLowering::finish)
    /// treats the descriptor as unchanged for the whole run of a function
    /// that neither calls nor stores to it, so its loads are shared across
    /// the function, hoisted out of loops and compared as equal values by
    /// the bounds checks (see [`crate::descriptor`]). The default, 0, makes
    /// no such assumption.
    pub fn store_data_descriptor(mut self, bytes: u32) -> Config {
        self.store_data_descriptor = bytes;
        self
    }

    /// The size of the declared store-data descriptor, 0 when none.
    pub fn store_data_descriptor_size(&self) -> u32 {
        self.store_data_descriptor
    }

    /// The configured namespace.
    pub fn namespace_name(&self) -> &str {
        &self.namespace
    }

    /// Whether the Spectre mitigation is on.
    pub fn spectre_mitigation_enabled(&self) -> bool {
        self.spectre_mitigation
    }
}

/// The lowering for one module: its intrinsics plus the options.
///
/// Immutable and `Sync`, so one value can serve functions translated in
/// parallel.
#[derive(Clone, Debug)]
pub struct Lowering {
    intrinsics: Intrinsics,
    spectre_mitigation: bool,
    store_data_descriptor: u32,
}

impl Lowering {
    /// Reads the intrinsic imports of `wasm` under `config`.
    pub fn new(wasm: &[u8], config: &Config) -> Result<Lowering, Error> {
        let intrinsics = Intrinsics::from_module(wasm, &config.namespace)?;
        Ok(Lowering::from_intrinsics(intrinsics, config))
    }

    /// Uses an already built intrinsics map (its namespace wins over
    /// `config`'s).
    pub fn from_intrinsics(intrinsics: Intrinsics, config: &Config) -> Lowering {
        Lowering {
            intrinsics,
            spectre_mitigation: config.spectre_mitigation,
            store_data_descriptor: config.store_data_descriptor,
        }
    }

    /// The size of the store-data descriptor the runtime declared
    /// ([`Config::store_data_descriptor`]), 0 when none.
    pub fn store_data_descriptor(&self) -> u32 {
        self.store_data_descriptor
    }

    /// The module's intrinsics.
    pub fn intrinsics(&self) -> &Intrinsics {
        &self.intrinsics
    }

    /// Lowers a direct `call` of `callee` if it is an intrinsic.
    ///
    /// `args` are the Wasm-level arguments (as cranelift-wasm passes them to
    /// `FuncEnvironment::translate_call`, without any vmctx), and
    /// `pointer_type` is the target's (`i32` or `i64`). Returns `None`, having
    /// emitted nothing, when `callee` is not an intrinsic; otherwise returns
    /// the instruction whose results are the call's Wasm results, which is
    /// what `translate_call` must return.
    ///
    /// Each call is lowered on its own; [`FunctionLowering::lower_call`]
    /// does the same and also lets repeated loads and checks be removed
    /// once the function is translated.
    ///
    /// [`FunctionLowering::lower_call`]: crate::FunctionLowering::lower_call
    pub fn lower_call(
        &self,
        builder: &mut FunctionBuilder<'_>,
        callee: FuncIndex,
        args: &[ir::Value],
        pointer_type: ir::Type,
        hook: &mut dyn StoreDataAddress,
    ) -> WasmResult<Option<ir::Inst>> {
        match self.intrinsics.get(callee) {
            Some(intrinsic) => self
                .lower_intrinsic(builder, intrinsic, args, pointer_type, hook)
                .map(Some),
            None => Ok(None),
        }
    }

    /// Lowers a `return_call` of `callee` if it is an intrinsic: the
    /// intrinsic's code followed by a `return` of its results. Returns
    /// whether it did.
    ///
    /// The `return` carries the Wasm results only; a runtime whose functions
    /// return hidden values, or that must run code before returning, uses
    /// [`Lowering::lower_call`] and emits its own return.
    pub fn lower_return_call(
        &self,
        builder: &mut FunctionBuilder<'_>,
        callee: FuncIndex,
        args: &[ir::Value],
        pointer_type: ir::Type,
        hook: &mut dyn StoreDataAddress,
    ) -> WasmResult<bool> {
        let Some(inst) = self.lower_call(builder, callee, args, pointer_type, hook)? else {
            return Ok(false);
        };
        return_results_of(builder, inst);
        Ok(true)
    }

    /// Lowers one intrinsic with the given Wasm-level arguments, returning
    /// the instruction whose results are its Wasm results.
    pub fn lower_intrinsic(
        &self,
        builder: &mut FunctionBuilder<'_>,
        intrinsic: Intrinsic,
        args: &[ir::Value],
        pointer_type: ir::Type,
        hook: &mut dyn StoreDataAddress,
    ) -> WasmResult<ir::Inst> {
        self.lower_recorded(builder, intrinsic, args, pointer_type, hook, None)
    }

    /// [`Lowering::lower_intrinsic`], noting in `record` (when given) what
    /// the per-function pass may later find redundant.
    pub(crate) fn lower_recorded(
        &self,
        builder: &mut FunctionBuilder<'_>,
        intrinsic: Intrinsic,
        args: &[ir::Value],
        pointer_type: ir::Type,
        hook: &mut dyn StoreDataAddress,
        record: Option<&mut Record>,
    ) -> WasmResult<ir::Inst> {
        check_args(builder, intrinsic, args)?;
        if pointer_type != types::I32 && pointer_type != types::I64 {
            return Err(WasmError::Unsupported(format!(
                "intrinsic `{intrinsic}` cannot be lowered for {}-bit pointers",
                pointer_type.bits()
            )));
        }
        let mut lower = Lower {
            builder,
            pointer_type,
            spectre_mitigation: self.spectre_mitigation,
            record,
        };
        Ok(match (Shape::of(intrinsic), args) {
            (Shape::StoreDataAddress, []) => lower.store_data_address(hook)?,
            (Shape::Load { access }, &[address]) => {
                let address = lower.native_address(address);
                let load = lower.load(intrinsic, access, address);
                if let Some(record) = lower.record.as_deref_mut() {
                    record.loads.push(load);
                }
                load
            }
            (Shape::Store { access }, &[address, value]) => {
                let address = lower.native_address(address);
                lower.store(access, address, value)
            }
            (Shape::CheckedLoad { access }, &[base, offset, length]) => {
                let address = lower.checked_address(access, base, offset, length);
                lower.load(intrinsic, access, address)
            }
            (Shape::CheckedStore { access }, &[base, offset, length, value]) => {
                let address = lower.checked_address(access, base, offset, length);
                lower.store(access, address, value)
            }
            // `check_args` compared `args` with the table's signature, and
            // the table's unit tests tie each shape to its arity.
            _ => return Err(arity_error(intrinsic, args.len())),
        })
    }
}

/// The flags of every native access; see the module documentation.
pub const NATIVE_FLAGS: MemFlags = MemFlags::new().with_notrap();

/// The trap code of a failed bounds check: the same a Wasm heap access out
/// of bounds raises, which is what the host implementation reports too.
pub const OUT_OF_BOUNDS: TrapCode = TrapCode::HeapOutOfBounds;

/// State shared by the per-shape helpers for one lowered call.
struct Lower<'a, 'b> {
    builder: &'a mut FunctionBuilder<'b>,
    pointer_type: ir::Type,
    spectre_mitigation: bool,
    record: Option<&'a mut Record>,
}

impl Lower<'_, '_> {
    /// `store-data-address`: the runtime emits the address; it is
    /// pointer-sized, and the intrinsic returns `i64`, so a 32-bit address is
    /// zero-extended (an address is unsigned).
    fn store_data_address(&mut self, hook: &mut dyn StoreDataAddress) -> WasmResult<ir::Inst> {
        let address = hook.store_data_address(self.builder, self.pointer_type)?;
        let found = self.builder.func.dfg.value_type(address);
        if found != self.pointer_type {
            return Err(WasmError::User(format!(
                "the store-data-address hook returned a `{found}` value, expected the pointer type `{}`",
                self.pointer_type
            )));
        }
        if let Some(record) = self.record.as_deref_mut() {
            record.store_data.push(address);
        }
        if self.pointer_type != types::I64 {
            let extended = self.builder.ins().uextend(types::I64, address);
            return Ok(self.defining_inst(extended));
        }
        // `translate_call` must return an instruction whose only result is
        // the value. The hook's value usually is one (a load); a block
        // parameter or one result of several needs an instruction of its
        // own, and adding zero is one the optimizer removes again.
        match self.builder.func.dfg.value_def(address) {
            ir::ValueDef::Result(inst, 0) if self.builder.inst_results(inst).len() == 1 => Ok(inst),
            _ => {
                let copy = self.builder.ins().iadd_imm(address, 0);
                Ok(self.defining_inst(copy))
            }
        }
    }

    /// The native address from a Wasm `i64`: as is on 64-bit targets, the low
    /// bits on 32-bit ones (where the high bits are defined to be ignored).
    fn native_address(&mut self, address: ir::Value) -> ir::Value {
        if self.pointer_type == types::I64 {
            address
        } else {
            self.builder.ins().ireduce(self.pointer_type, address)
        }
    }

    /// The address `base + offset` of a checked access of `access`'s width,
    /// after trapping unless `offset + width <= length` holds without
    /// overflow.
    ///
    /// The condition is evaluated as one unsigned comparison of `offset`
    /// with a limit computed from `length` alone (see [`Lower::limit`]):
    /// `offset < limit` is exactly "`offset + width <= length` without
    /// overflow", tested with a single branch. The limit does not depend on
    /// the offset, so Cranelift shares it between accesses and hoists it out
    /// of a loop whenever the length is loop-invariant.
    ///
    /// The check branches to a cold block holding the trap instead of using
    /// `trapnz`: Cranelift's alias analysis treats every instruction that
    /// can trap as a memory fence, so a `trapnz` between two checked
    /// accesses would force the second one to reload the buffer pointer and
    /// length the first one already loaded. A trap in a block of its own is
    /// not on the path that continues.
    ///
    /// With the Spectre mitigation the address is also guarded by
    /// `select_spectre_guard` on the same condition, so that even a
    /// mispredicted branch reads from address 0 instead of out of bounds.
    fn checked_address(
        &mut self,
        access: ir::Type,
        base: ir::Value,
        offset: ir::Value,
        length: ir::Value,
    ) -> ir::Value {
        let size = access.bytes();
        let limit = self.limit(length, size);
        let out_of_bounds =
            self.builder
                .ins()
                .icmp(IntCC::UnsignedGreaterThanOrEqual, offset, limit);
        let trap_block = self.builder.create_block();
        self.builder.set_cold_block(trap_block);
        let branch = self.branch_unless(out_of_bounds, trap_block);
        self.finish_trap_block(trap_block);
        if let Some(record) = self.record.as_deref_mut() {
            let continuation = self
                .builder
                .current_block()
                .expect("lowering always happens inside a block");
            record.checks.push(Check {
                branch,
                continuation,
                offset,
                length,
                limit,
                size,
            });
        }
        let address = self.builder.ins().iadd(base, offset);
        let address = self.native_address(address);
        if self.spectre_mitigation {
            let null = self.builder.ins().iconst(self.pointer_type, 0);
            self.builder
                .ins()
                .select_spectre_guard(out_of_bounds, null, address)
        } else {
            address
        }
    }

    /// The exclusive upper bound of the offsets at which `size` bytes fit
    /// in `length`: `length - (size - 1)`, or 0 when `length < size - 1`
    /// (the subtraction would wrap, and no offset fits).
    fn limit(&mut self, length: ir::Value, size: u32) -> ir::Value {
        if size == 1 {
            return length;
        }
        let ins = self.builder.ins();
        let spare = i64::from(size - 1);
        let fits = ins.icmp_imm(IntCC::UnsignedGreaterThanOrEqual, length, spare);
        let limit = self.builder.ins().iadd_imm(length, -spare);
        let zero = self.builder.ins().iconst(types::I64, 0);
        self.builder.ins().select(fits, limit, zero)
    }

    /// Branches to `trap_block` when `condition` holds and continues in a
    /// new block otherwise; returns the branch.
    fn branch_unless(&mut self, condition: ir::Value, trap_block: ir::Block) -> ir::Inst {
        let continue_block = self.builder.create_block();
        let branch = self
            .builder
            .ins()
            .brif(condition, trap_block, &[], continue_block, &[]);
        self.builder.seal_block(continue_block);
        self.builder.switch_to_block(continue_block);
        branch
    }

    /// Fills the (now complete) trap block and returns to the current block.
    fn finish_trap_block(&mut self, trap_block: ir::Block) {
        let current = self
            .builder
            .current_block()
            .expect("lowering always happens inside a block");
        self.builder.seal_block(trap_block);
        self.builder.switch_to_block(trap_block);
        self.builder.ins().trap(OUT_OF_BOUNDS);
        self.builder.switch_to_block(current);
    }

    /// A native load of `access`'s width. Core Wasm has no 8- or 16-bit
    /// values, so narrow loads zero-extend into the `i32` result as part of
    /// the load (`uload8`/`uload16`), keeping the load the one instruction
    /// whose result is the call's result.
    fn load(&mut self, intrinsic: Intrinsic, access: ir::Type, address: ir::Value) -> ir::Inst {
        let result = clif_type(intrinsic.results()[0]);
        let ins = self.builder.ins();
        let value = match access {
            types::I8 => ins.uload8(result, NATIVE_FLAGS, address, 0),
            types::I16 => ins.uload16(result, NATIVE_FLAGS, address, 0),
            types::I32 if result == types::I64 => ins.uload32(NATIVE_FLAGS, address, 0),
            _ => ins.load(access, NATIVE_FLAGS, address, 0),
        };
        self.defining_inst(value)
    }

    /// A native store of `access`'s width. The Wasm value may be wider (an
    /// `i32` for `u8-native-store`); the narrow store instructions keep only
    /// the low bytes, which is the truncation the intrinsic specifies.
    fn store(&mut self, access: ir::Type, address: ir::Value, value: ir::Value) -> ir::Inst {
        let value_type = self.builder.func.dfg.value_type(value);
        let ins = self.builder.ins();
        match (access, value_type) {
            (types::I8, _) => ins.istore8(NATIVE_FLAGS, value, address, 0),
            (types::I16, _) => ins.istore16(NATIVE_FLAGS, value, address, 0),
            (types::I32, types::I64) => ins.istore32(NATIVE_FLAGS, value, address, 0),
            _ => ins.store(NATIVE_FLAGS, value, address, 0),
        }
    }

    fn defining_inst(&self, value: ir::Value) -> ir::Inst {
        match self.builder.func.dfg.value_def(value) {
            ir::ValueDef::Result(inst, _) => inst,
            // Every value passed here was just created by an instruction.
            other => unreachable!("freshly built value defined by {other:?}"),
        }
    }
}

/// Checks the arguments cranelift-wasm passed against the intrinsic's
/// signature. Translation validated the module, so a mismatch means the
/// caller passed extra (e.g. vmctx) arguments, which is reported rather than
/// miscompiled.
fn check_args(
    builder: &FunctionBuilder<'_>,
    intrinsic: Intrinsic,
    args: &[ir::Value],
) -> WasmResult<()> {
    let params = intrinsic.params();
    if args.len() != params.len() {
        return Err(arity_error(intrinsic, args.len()));
    }
    for (&arg, param) in args.iter().zip(params) {
        let found = builder.func.dfg.value_type(arg);
        if found != clif_type(*param) {
            return Err(WasmError::User(format!(
                "intrinsic `{intrinsic}` was passed a `{found}` argument where `{param}` is expected"
            )));
        }
    }
    Ok(())
}

fn arity_error(intrinsic: Intrinsic, found: usize) -> WasmError {
    WasmError::User(format!(
        "intrinsic `{intrinsic}` takes {} Wasm arguments, {found} were passed",
        intrinsic.params().len()
    ))
}

/// Returns from the function with the results of `inst`: the tail-call
/// form of a lowered intrinsic, whose Wasm results are the function's.
pub(crate) fn return_results_of(builder: &mut FunctionBuilder<'_>, inst: ir::Inst) {
    let results = builder.inst_results(inst).to_vec();
    builder.ins().return_(&results);
}
