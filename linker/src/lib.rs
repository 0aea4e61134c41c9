//! Static linking of trusted builtin modules into a WebAssembly application.
//!
//! A host that embeds WebAssembly usually offers small host functions —
//! getters and setters over a host buffer — and pays for an opaque import
//! call on every use. wasm-prelink lets the host write those functions in
//! Wasm instead, as *builtin* modules, and merges them into the application
//! before it ever reaches an engine:
//!
//! ```text
//! ;; app.wat                              ;; builtin `host-buf`
//! (import "host-buf" "get" (func $get     (func (export "get") (param i64) (result i32)
//!   (param i64) (result i32)))              ... (call $u8-native-load ...))
//! (func (export "run") ... (call $get))
//! ```
//!
//! After linking there is one module: `host-buf`'s `get` is an ordinary
//! function of it, the app's call is a direct call (and, once inlined, no
//! call at all), and the only imports left are the builtin's own imports —
//! the *intrinsics*, which a compiler like the `lowering` crate turns into
//! single machine loads and stores, and any host functions.
//!
//! The rule above all others: **linking never changes semantics.** Whether an
//! import was satisfied by a builtin here or by the host at instantiation is
//! invisible to the program: same results, same traps, same host-visible
//! effects in the same order. The pipeline is short and each phase has its
//! own module:
//!
//! 1. **Read and validate** every input ([`validate`], `info`): text or
//!    binary, all standard Wasm 3.0 features, one shared type context so that
//!    types of different modules can be compared by id.
//! 2. **Plan** (`plan`, `types`): instantiation order (builtins
//!    dependency-first, a cycle is an error), how every import is satisfied
//!    (resolved to a builtin export and type-checked, kept as an intrinsic, or
//!    forwarded to the host and shared when identical), whether the app
//!    could obtain a reference to an intrinsic (`trust`: refused, every
//!    way listed), where every item lands
//!    in the merged index spaces (`index`), and how segment initialization
//!    and start functions keep their separate-instantiation order.
//! 3. **Emit** (`emit`, `code`, `names`): write the merged module from
//!    the plan, copying function bodies byte for byte except where an index
//!    moved, and merging name sections.
//! 4. **Inline and remove dead code** (`inline`, `inline::dce`), unless
//!    `InlineMode::None`: builtin functions are copied into their callers
//!    and builtin items nothing reaches any more are removed.
//! 5. **Hoist descriptor loads** (`descriptor`), only when the embedder
//!    vouches for a store-data descriptor: loads of it move to function
//!    entry wherever nothing in the function can change it.
//! 6. **Rewrite debug information** (`debug`), only when an input has
//!    DWARF or a source map is given: the phases above record where each
//!    output byte came from, and every input's DWARF and the app's source
//!    map are rewritten for the output's code.
//! 7. **Validate the output.** An invalid output is a linker bug and is never
//!    returned.
//!
//! The same inputs always give the same bytes: no hash-map order reaches
//! the output.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub(crate) mod code;
pub mod component;
pub mod debug;
pub(crate) mod describe;
pub(crate) mod descriptor;
pub(crate) mod emit;
pub mod error;
pub(crate) mod hints;
pub(crate) mod index;
pub(crate) mod info;
pub(crate) mod inline;
pub(crate) mod input;
pub(crate) mod intrinsics;
pub(crate) mod leb128;
pub(crate) mod names;
pub(crate) mod parallel;
pub(crate) mod plan;
mod table_init;
pub(crate) mod trust;
pub(crate) mod types;
pub mod validate;
pub(crate) mod virtualize;

pub use descriptor::DescriptorCounts;
pub use error::{Escape, InputName, LinkError, ResolveError, Route};
pub use inline::InlineCounts;
pub use intrinsics::{Intrinsic, DEFAULT_NAMESPACE};

use info::ModuleInfo;
use input::to_binary;
use std::borrow::Cow;
use std::time::{Duration, Instant};

/// How much the linker inlines across the former import boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InlineMode {
    /// Merge only: no inlining and no dead-code removal.
    None,
    /// Inline small, non-recursive builtin functions into their callers (at
    /// most 64 instructions (`AUTO_MAX_CALLEE_INSTRUCTIONS`) and
    /// 32 locals (`AUTO_MAX_CALLEE_LOCALS`) besides their
    /// parameters, counted after their own inlining), then remove
    /// unreachable builtin code.
    #[default]
    Auto,
    /// Inline every non-recursive builtin function, within the growth
    /// guards of `linker/src/inline/plan.rs`, then remove unreachable
    /// builtin code.
    All,
}

impl std::str::FromStr for InlineMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "none" => Ok(InlineMode::None),
            "auto" => Ok(InlineMode::Auto),
            "all" => Ok(InlineMode::All),
            other => Err(format!(
                "unknown inline mode `{other}` (expected `none`, `auto` or `all`)"
            )),
        }
    }
}

/// What a link did, for `--stats` and for callers that want to log it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Imports satisfied by a builtin's export.
    pub imports_resolved: usize,
    /// Host imports of the merged module.
    pub imports_forwarded: usize,
    /// Host imports that were identical to another and now share it.
    pub imports_shared: usize,
    /// Intrinsic imports of the merged module.
    pub intrinsics_kept: usize,
    /// Builtin types already present in the merged module.
    pub types_deduplicated: usize,
    /// Items defined by builtins that were merged in.
    pub merged: MergedCounts,
    /// Builtins nothing imports from (linked anyway: their start functions
    /// and segments still run).
    pub unused_builtins: Vec<String>,
    /// Names of virtualizers that provide no import of any input (linked
    /// anyway, like unused builtins), once per such layer.
    pub unused_virtualizers: Vec<String>,
    /// Whether a start function was synthesized to keep instantiation order.
    pub start_synthesized: bool,
    /// What inlining and dead-code removal did.
    pub inlining: InlineCounts,
    /// What hoisting descriptor loads did (see
    /// [`Linker::store_data_descriptor`]).
    pub descriptor: DescriptorCounts,
    /// Total size of all inputs in binary form.
    pub bytes_in: usize,
    /// Size of the output.
    pub bytes_out: usize,
    /// Things the user should know that did not stop the link.
    pub warnings: Vec<String>,
    /// Wall-clock time of the link.
    pub elapsed: Duration,
    /// Wall-clock time of each phase, in pipeline order.
    pub phases: Vec<(&'static str, Duration)>,
}

/// Defined items that came from builtins.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MergedCounts {
    /// Functions.
    pub funcs: usize,
    /// Tables.
    pub tables: usize,
    /// Memories.
    pub memories: usize,
    /// Globals.
    pub globals: usize,
    /// Tags.
    pub tags: usize,
    /// Element segments.
    pub elems: usize,
    /// Data segments.
    pub data: usize,
}

/// The result of a successful link.
#[derive(Debug, Clone)]
pub struct Linked {
    /// The merged module, validated.
    pub wasm: Vec<u8>,
    /// The output's source map (JSON), when the app's was given with
    /// [`Linker::input_source_map`].
    pub source_map: Option<Vec<u8>>,
    /// Where each byte of the output's code came from, when the inputs had
    /// debug information to rewrite (or a source map was given): what the
    /// DWARF and source map were rewritten with, for tools that map
    /// offsets of their own.
    pub code_map: Option<debug::map::CodeMap>,
    /// What the link did.
    pub report: Report,
}

/// Links builtins into an app. Configure it, then call [`Linker::link`].
///
/// ```
/// let builtin = r#"(module (func (export "answer") (result i32) i32.const 42))"#;
/// let app = r#"(module
///     (import "oracle" "answer" (func $answer (result i32)))
///     (func (export "run") (result i32) call $answer))"#;
/// let linked = wasm_prelink::Linker::new()
///     .builtin("oracle", builtin)?
///     .link(app.as_bytes())?;
/// assert_eq!(linked.report.imports_resolved, 1);
/// # Ok::<(), wasm_prelink::LinkError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Linker {
    builtins: Vec<(String, Vec<u8>)>,
    /// Virtualizers in the order given: for one name, bottom layer first.
    virtualizers: Vec<(String, Vec<u8>)>,
    inline: InlineMode,
    namespace: String,
    /// The size of the store-data descriptor the embedder vouches for; 0
    /// for none.
    descriptor: u32,
    debug: debug::Options,
}

impl Default for Linker {
    fn default() -> Self {
        Self::new()
    }
}

impl Linker {
    /// A linker with no builtins, the default intrinsics namespace and
    /// `InlineMode::Auto`.
    pub fn new() -> Self {
        Linker {
            builtins: Vec::new(),
            virtualizers: Vec::new(),
            inline: InlineMode::default(),
            namespace: DEFAULT_NAMESPACE.to_string(),
            descriptor: 0,
            debug: debug::Options::default(),
        }
    }

    /// Registers a builtin under `name`: app imports from module `name` are
    /// resolved to its exports. `module` is binary or text.
    pub fn builtin(mut self, name: &str, module: impl AsRef<[u8]>) -> Result<Self, LinkError> {
        if self.builtins.iter().any(|(n, _)| n == name) {
            return Err(LinkError::DuplicateBuiltin(name.to_string()));
        }
        if self.virtualizers.iter().any(|(n, _)| n == name) {
            return Err(LinkError::BuiltinAndVirtualizer(name.to_string()));
        }
        let bytes = to_binary(&InputName::Builtin(name.to_string()), module.as_ref())?;
        self.builtins.push((name.to_string(), bytes.into_owned()));
        Ok(self)
    }

    /// Registers a virtualizer of host module `name` (see `docs/virtualize.md`):
    /// app imports from `name` that `module` exports resolve to it, the
    /// others stay host imports, and `module`'s own imports from `name` go
    /// to the host — or, when `name` is virtualized several times, to the
    /// virtualizers registered before it, which it wraps. `module` is binary
    /// or text.
    pub fn virtualize(mut self, name: &str, module: impl AsRef<[u8]>) -> Result<Self, LinkError> {
        if self.builtins.iter().any(|(n, _)| n == name) {
            return Err(LinkError::BuiltinAndVirtualizer(name.to_string()));
        }
        let input = InputName::Virtualizer {
            name: name.to_string(),
            layer: self.virtualizers.iter().filter(|(n, _)| n == name).count() + 1,
        };
        let bytes = to_binary(&input, module.as_ref())?;
        self.virtualizers
            .push((name.to_string(), bytes.into_owned()));
        Ok(self)
    }

    /// The non-app inputs in input order — builtins, then virtualizers —
    /// with the name each is registered under and how errors name it.
    fn provider_inputs(&self) -> impl Iterator<Item = (&str, InputName, &[u8])> {
        let builtins = self
            .builtins
            .iter()
            .map(|(name, bytes)| (name.as_str(), InputName::Builtin(name.clone()), bytes));
        let mut layers: std::collections::BTreeMap<&str, usize> = Default::default();
        let virtualizers = self.virtualizers.iter().map(move |(name, bytes)| {
            let layer = layers.entry(name.as_str()).or_default();
            *layer += 1;
            let input = InputName::Virtualizer {
                name: name.clone(),
                layer: *layer,
            };
            (name.as_str(), input, bytes)
        });
        builtins
            .chain(virtualizers)
            .map(|(name, input, bytes)| (name, input, bytes.as_slice()))
    }

    /// Sets how much to inline.
    pub fn inline(mut self, mode: InlineMode) -> Self {
        self.inline = mode;
        self
    }

    /// Sets the module name intrinsics are imported from.
    pub fn intrinsics_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// Declares, for the embedder, that the first `bytes` bytes at the
    /// store-data address are a *descriptor* that stays put while a
    /// function runs, and hoists the loads of it to function entry (see
    /// `descriptor.rs`). Engines that lower intrinsics without knowing
    /// this (Wasmtime's) then load a buffer's pointer and length once per
    /// call instead of once per access.
    ///
    /// The embedder promises, and nothing checks, exactly what our runtime
    /// promises its lowering plugin: the bytes are readable while the
    /// store exists; while a function runs they change only through that
    /// function's native stores or the calls it makes (never from another
    /// thread); and no address computed from a value read out of them
    /// points back into them. `wasm-prelink run --engine wasmtime` keeps it
    /// for its `{ ptr, len }` store data. The default, 0, assumes nothing.
    pub fn store_data_descriptor(mut self, bytes: u32) -> Self {
        self.descriptor = bytes;
        self
    }

    /// Drops the inputs' debug information (DWARF, source-map URLs) on
    /// purpose, without the warnings a failed rewrite gives. By default
    /// DWARF is rewritten for the output's code offsets.
    pub fn strip_debug(mut self, strip: bool) -> Self {
        self.debug.strip = strip;
        self
    }

    /// Gives the app's source map (JSON, Source Map v3 with byte offsets of
    /// the app as columns), to be rewritten for the output into
    /// [`Linked::source_map`].
    pub fn input_source_map(mut self, json: impl Into<Vec<u8>>) -> Self {
        self.debug.source_map = Some(json.into());
        self
    }

    /// Has the output name its source map in a `sourceMappingURL` section.
    pub fn source_map_url(mut self, url: impl Into<String>) -> Self {
        self.debug.source_map_url = Some(url.into());
        self
    }

    /// Links the builtins into `app` (binary or text).
    pub fn link(&self, app: &[u8]) -> Result<Linked, LinkError> {
        self.link_input(Cow::Borrowed(app))
    }

    /// Like [`Linker::link`], but takes the app by value so its bytes can be
    /// freed as soon as the merged module is written, before the output is
    /// validated: for large modules that lowers peak memory by the input's
    /// size.
    pub fn link_owned(&self, app: Vec<u8>) -> Result<Linked, LinkError> {
        self.link_input(Cow::Owned(app))
    }

    /// The phases of the essay above, in order.
    fn link_input(&self, app: Cow<'_, [u8]>) -> Result<Linked, LinkError> {
        let mut clock = PhaseClock::start();
        self.check_provider_names()?;
        let app = app_binary(app)?;
        let names: Vec<String> = self
            .provider_inputs()
            .map(|(name, _, _)| name.to_string())
            .collect();
        let modules = self.read_and_validate(app.as_ref())?;
        clock.phase("read and validate inputs");
        let plan = plan::plan(&modules, &names, &self.namespace)?;
        clock.phase("plan");
        let collected = debug::collect(&modules, &self.debug)?;
        let record = collected.is_some();
        let (wasm, mut warnings, drifts) = emit_merged(&modules, &names, &plan, record)?;
        clock.phase("emit");
        let merged_map = match drifts {
            Some(drifts) => Some(
                debug::record::merged(&modules, &plan, &wasm, &drifts)
                    .map_err(LinkError::InvalidOutput)?,
            ),
            None => None,
        };
        if record {
            clock.phase("record code map");
        }
        let mut report = merge_report(&modules, &names, &plan);
        let app_id = modules.len() - 1;
        // The inputs' validator state is as large as the output's; free it
        // before inlining and validating the output so peak memory stays
        // near input plus output. Inlining needs only the plan.
        drop(modules);
        // The app's bytes go too, unless its debug information is still to
        // be rewritten from them.
        let app = record.then_some(app);
        let inlined = inline::run(wasm, &plan, app_id, self.inline, record)?;
        if self.inline != InlineMode::None {
            clock.phase("inline and remove dead code");
        }
        drop(plan);
        warnings.extend(inlined.warnings);
        report.inlining = inlined.counts;
        let (wasm, descriptor_map) = if self.descriptor > 0 {
            let (wasm, counts, map) = descriptor::hoist(
                inlined.wasm,
                &self.namespace,
                self.descriptor,
                &mut warnings,
                record,
            )?;
            report.descriptor = counts;
            clock.phase("hoist descriptor loads");
            (wasm, map)
        } else {
            (inlined.wasm, None)
        };
        let (wasm, source_map, code_map) = match (collected, merged_map) {
            (Some(collected), Some(merged)) => {
                let map = debug::compose(merged, &[inlined.map, descriptor_map]);
                let bytes: Vec<&[u8]> = self
                    .provider_inputs()
                    .map(|(_, _, bytes)| bytes)
                    .chain(app.as_deref())
                    .collect();
                let finished =
                    self.finish_debug(collected, &bytes, wasm, &map, &mut warnings, &mut clock)?;
                (finished.wasm, finished.source_map, Some(map))
            }
            _ => {
                validate_output(&wasm)?;
                clock.phase("validate output");
                (wasm, None, None)
            }
        };
        report.bytes_out = wasm.len();
        report.warnings = warnings;
        (report.elapsed, report.phases) = clock.finish();
        Ok(Linked {
            wasm,
            source_map,
            code_map,
            report,
        })
    }

    /// The output with its debug information rewritten, validated. With a
    /// megabyte or more of debug information, the module is validated
    /// beside the rewrite: it is final before its debug sections are
    /// appended, and the rewrite only reads it, so it is validated as it
    /// is, and the output must be it followed by custom sections only,
    /// which is all validation would check of them.
    fn finish_debug(
        &self,
        collected: debug::Collected,
        bytes: &[&[u8]],
        wasm: Vec<u8>,
        map: &debug::map::CodeMap,
        warnings: &mut Vec<String>,
        clock: &mut PhaseClock,
    ) -> Result<debug::Finished, LinkError> {
        if !collected.is_large() || parallel::workers() < 2 {
            let finished = collected.finish(bytes, &wasm, map, &self.debug, warnings)?;
            drop(wasm);
            clock.phase("rewrite debug information");
            validate_output(&finished.wasm)?;
            clock.phase("validate output");
            return Ok(finished);
        }
        let (finished, valid) = std::thread::scope(|scope| {
            let valid = scope.spawn(|| validate_output(&wasm));
            let finished = collected.finish(bytes, &wasm, map, &self.debug, warnings);
            (finished, valid.join())
        });
        let finished = finished?;
        valid.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        let changed = "the debug rewrite changed the module before its sections";
        let appended = finished
            .wasm
            .strip_prefix(wasm.as_slice())
            .ok_or_else(|| LinkError::InvalidOutput(changed.into()))?;
        custom_sections_only(appended)?;
        clock.phase("rewrite debug information and validate output");
        Ok(finished)
    }

    /// A builtin or virtualizer may not take the intrinsics' module name.
    fn check_provider_names(&self) -> Result<(), LinkError> {
        match self
            .provider_inputs()
            .find(|(name, _, _)| *name == self.namespace)
        {
            Some((name, _, _)) => Err(LinkError::BadBuiltinName {
                name: name.to_string(),
                reason: "it is the intrinsics namespace".into(),
            }),
            None => Ok(()),
        }
    }

    /// Validates every input with one validator so type ids are shared;
    /// the app goes last and its type snapshot then knows every id.
    fn read_and_validate<'a>(&'a self, app: &'a [u8]) -> Result<Vec<ModuleInfo<'a>>, LinkError> {
        let mut validator = wasmparser::Validator::new_with_features(validate::features());
        let mut modules = Vec::with_capacity(self.builtins.len() + self.virtualizers.len() + 1);
        let inputs = self
            .provider_inputs()
            .map(|(_, input, bytes)| (input, bytes))
            .chain(std::iter::once((InputName::App, app)));
        for (input, bytes) in inputs {
            let types = validate::validate_module(&mut validator, bytes).map_err(|e| {
                LinkError::Invalid {
                    input: input.clone(),
                    message: e.to_string(),
                }
            })?;
            modules.push(ModuleInfo::read(input, bytes, types)?);
        }
        Ok(modules)
    }
}

/// The app in binary form; text is parsed, binary bytes owned are kept.
fn app_binary(app: Cow<'_, [u8]>) -> Result<Cow<'_, [u8]>, LinkError> {
    Ok(match app {
        Cow::Borrowed(bytes) => to_binary(&InputName::App, bytes)?,
        Cow::Owned(bytes) if bytes.starts_with(b"\0asm") => Cow::Owned(bytes),
        Cow::Owned(bytes) => Cow::Owned(to_binary(&InputName::App, &bytes)?.into_owned()),
    })
}

/// Emission: the merged module, its merged name section, and the app's
/// branch hints carried over; with the warnings of each.
fn emit_merged(
    modules: &[ModuleInfo<'_>],
    names: &[String],
    plan: &plan::Plan,
    record: bool,
) -> Result<emit::Emitted, LinkError> {
    let (name_section, mut warnings) = names::merge(modules, names, plan);
    // Debug sections never go through emission (they are rewritten after
    // it, or dropped), and they can be most of an input.
    let debug: usize = modules
        .iter()
        .flat_map(|m| &m.customs)
        .filter(|c| debug::is_debug_section(c.name))
        .map(|c| c.data.len())
        .sum();
    let bytes_in = modules.iter().map(|m| m.bytes.len()).sum::<usize>() - debug;
    // Room for the rest of the inputs plus growth (re-encoded indices may
    // take an extra byte, builtin functions are added): reallocating a
    // buffer of this size would briefly need three times the memory.
    let capacity = bytes_in + bytes_in / 16 + 4096;
    let app_id = modules.len() - 1;
    let branch_hints = hints::read(&modules[app_id], &plan.maps[app_id], &mut warnings);
    let (wasm, emit_warnings, drifts) =
        emit::emit(modules, plan, name_section.as_ref(), capacity, record)?;
    warnings.extend(emit_warnings);
    let wasm = match &branch_hints {
        Some(branch_hints) => hints::insert(wasm, branch_hints),
        None => wasm,
    };
    Ok((wasm, warnings, drifts))
}

/// What planning and emission did, for the report; the later phases fill
/// in the rest.
fn merge_report(modules: &[ModuleInfo<'_>], names: &[String], plan: &plan::Plan) -> Report {
    let builtins = &modules[..modules.len() - 1];
    let from_builtins =
        |count: &dyn Fn(&ModuleInfo<'_>) -> usize| -> usize { builtins.iter().map(count).sum() };
    let unused = |virtualizers: bool| -> Vec<String> {
        plan.unused_builtins
            .iter()
            .filter(|&&b| virtualize::is_virtualizer(&modules[b].input) == virtualizers)
            .map(|&b| names[b].clone())
            .collect()
    };
    Report {
        imports_resolved: plan.counts.resolved,
        imports_forwarded: plan.counts.forwarded,
        imports_shared: plan.counts.shared,
        intrinsics_kept: plan.counts.intrinsics,
        types_deduplicated: plan.counts.types_deduplicated,
        merged: MergedCounts {
            funcs: from_builtins(&|m| m.bodies.len()),
            tables: from_builtins(&|m| m.tables.len()),
            memories: from_builtins(&|m| m.memories.len()),
            globals: from_builtins(&|m| m.globals.len()),
            tags: from_builtins(&|m| m.tags.len()),
            elems: from_builtins(&|m| m.elements.len()),
            data: from_builtins(&|m| m.data_segments.len()),
        },
        unused_builtins: unused(false),
        unused_virtualizers: unused(true),
        start_synthesized: plan.start_func.is_some(),
        bytes_in: modules.iter().map(|m| m.bytes.len()).sum(),
        ..Report::default()
    }
}

/// An invalid output is a linker bug, never returned.
fn validate_output(wasm: &[u8]) -> Result<(), LinkError> {
    let mut validator = wasmparser::Validator::new_with_features(validate::features());
    validate::validate_module(&mut validator, wasm)
        .map(|_| ())
        .map_err(|e| LinkError::InvalidOutput(e.to_string()))
}

/// Checks that `appended`, the end of a module, is whole custom sections:
/// an id of 0, a size that fits, and a UTF-8 name inside it.
fn custom_sections_only(mut appended: &[u8]) -> Result<(), LinkError> {
    let invalid = |what: &str| LinkError::InvalidOutput(format!("appended debug sections: {what}"));
    while let Some((&id, rest)) = appended.split_first() {
        if id != 0 {
            return Err(invalid("a section that is not a custom section"));
        }
        let mut reader = wasmparser::BinaryReader::new(rest, 0);
        let size = reader
            .read_var_u32()
            .map_err(|_| invalid("an unreadable section size"))? as usize;
        let start = reader.current_position();
        let section = rest
            .get(start..start + size)
            .ok_or_else(|| invalid("a section past the end"))?;
        wasmparser::BinaryReader::new(section, 0)
            .read_string()
            .map_err(|_| invalid("a section without a valid name"))?;
        appended = &rest[start + size..];
    }
    Ok(())
}

/// The wall-clock time of each phase, for `--stats`.
struct PhaseClock {
    started: Instant,
    phase_start: Instant,
    phases: Vec<(&'static str, Duration)>,
}

impl PhaseClock {
    fn start() -> PhaseClock {
        let now = Instant::now();
        PhaseClock {
            started: now,
            phase_start: now,
            phases: Vec::new(),
        }
    }

    /// Ends the phase called `name`.
    fn phase(&mut self, name: &'static str) {
        let now = Instant::now();
        self.phases.push((name, now - self.phase_start));
        self.phase_start = now;
    }

    /// The whole link's time and each phase's.
    fn finish(self) -> (Duration, Vec<(&'static str, Duration)>) {
        (self.started.elapsed(), self.phases)
    }
}

#[cfg(test)]
mod tests {
    use super::{custom_sections_only, validate_output, InlineMode, Linker};

    const APP: &[u8] = include_bytes!("../tests/data/debug/app.wasm");
    const BUILTIN: &[u8] = include_bytes!("../tests/data/debug/builtin.wasm");

    /// With the output validated beside the DWARF rewrite (which the unit
    /// tests take for any debug information), the link reports it as one
    /// phase and gives a module that validates whole, its DWARF included,
    /// in every inline mode, on however many threads there are.
    #[test]
    fn output_validated_beside_the_rewrite_is_valid_whole() {
        for inline in [InlineMode::None, InlineMode::Auto, InlineMode::All] {
            let linked = Linker::new()
                .inline(inline)
                .builtin("host-buf", BUILTIN)
                .and_then(|linker| linker.link(APP))
                .expect("links");
            let phases: Vec<&str> = linked.report.phases.iter().map(|(name, _)| *name).collect();
            let beside = super::parallel::workers() > 1;
            assert_eq!(
                phases.contains(&"rewrite debug information and validate output"),
                beside,
                "{phases:?}"
            );
            assert_eq!(phases.contains(&"validate output"), !beside, "{phases:?}");
            validate_output(&linked.wasm).expect("valid output");
            let names: Vec<String> = wasmparser::Parser::new(0)
                .parse_all(&linked.wasm)
                .filter_map(|payload| match payload.expect("parses") {
                    wasmparser::Payload::CustomSection(c) => Some(c.name().to_string()),
                    _ => None,
                })
                .collect();
            for name in [".debug_info", ".debug_line", ".debug_str", ".debug_abbrev"] {
                assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
            }
        }
    }

    fn custom(name: &[u8], data: &[u8]) -> Vec<u8> {
        let mut contents = vec![name.len() as u8];
        contents.extend_from_slice(name);
        contents.extend_from_slice(data);
        let mut section = vec![0, contents.len() as u8];
        section.extend(contents);
        section
    }

    /// What the rewrite appends passes only as whole custom sections with
    /// valid names, which is what validating the whole output checks of
    /// them.
    #[test]
    fn appended_sections_must_be_whole_custom_sections() {
        let two = [custom(b".debug_info", &[1, 2, 3]), custom(b"x", &[])].concat();
        assert!(custom_sections_only(&[]).is_ok());
        assert!(custom_sections_only(&two).is_ok());
        let mut not_custom = two.clone();
        not_custom.extend([1, 1, 0]);
        let mut truncated = two.clone();
        truncated.pop();
        let bad_name = custom(&[0xff, 0xfe], &[]);
        let name_past_end = [0, 1, 5];
        for (case, bytes) in [
            ("not custom", not_custom),
            ("truncated", truncated),
            ("bad name", bad_name),
            ("name past end", name_past_end.to_vec()),
            ("no size", vec![0]),
        ] {
            let error = custom_sections_only(&bytes).expect_err(case).to_string();
            assert!(error.contains("appended debug sections"), "{case}: {error}");
        }
    }
}
