//! Writing the merged module from the plan.
//!
//! Emission makes no decisions: every index it writes comes from the plan's
//! maps, every item's place from the plan's lists. Sections are written in
//! the standard order; the app's custom sections go back after the same
//! standard section they followed in the app; the code section is streamed
//! into the output buffer (its size patched afterwards) so large modules are
//! not copied twice.

use crate::code::{self, Rewriter, Unchanged};
use crate::error::LinkError;
use crate::index::{DefinedFuncIdx, Idx, ModuleMaps};
use crate::info::{rank, CustomSection, ModuleInfo};
use crate::plan::{MergedTypeGroup, Placed, Plan, SegmentMode, StartPlan, StartStep};
use std::borrow::Cow;
use wasm_encoder::reencode::Reencode;
use wasm_encoder::{
    CodeSection, ConstExpr, DataCountSection, DataSection, ElementSection, Elements, Encode,
    ExportSection, FunctionSection, GlobalSection, ImportSection, Instruction, MemorySection,
    Section, StartSection, TableSection, TagSection, TypeSection,
};
use wasmparser::{DataKind, ElementItems, ElementKind, TableInit};

/// Code is rewritten in this many rounds of one range per core (see
/// [`crate::parallel::split_in_waves`]): enough that the rounds' output
/// held besides the module stays small, few enough that starting threads
/// costs nothing measurable.
const CODE_WAVES: usize = 8;

/// Each placed body's drift from its original, as [`code::rewrite_body`]
/// records it, in the order of `plan.funcs`.
pub type Drifts = Vec<Vec<(u32, u32)>>;

/// The merged module, the warnings writing it gave, and its bodies' drifts
/// when they were asked for.
pub type Emitted = (Vec<u8>, Vec<String>, Option<Drifts>);

/// Writes the merged module. `name_section` is appended after the data
/// section, where tools expect it. With `record`, also says where each
/// placed body drifts from its original (for debug information).
pub fn emit(
    modules: &[ModuleInfo<'_>],
    plan: &Plan,
    name_section: Option<&wasm_encoder::NameSection>,
    output_hint: usize,
    record: bool,
) -> Result<Emitted, LinkError> {
    let mut warnings = Vec::new();
    let customs = Customs::sort(modules, &mut warnings);
    let mut out = Vec::with_capacity(output_hint);
    out.extend_from_slice(&wasm_encoder::Module::HEADER);
    let mut emitter = Emitter {
        modules,
        plan,
        customs: &customs,
        out,
        drifts: record.then(Vec::new),
    };
    emitter.customs_after(rank::START_OF_MODULE);
    emitter.then_customs(rank::TYPE, Emitter::type_section)?;
    emitter.then_customs(rank::IMPORT, Emitter::import_section)?;
    emitter.then_customs(rank::FUNCTION, Emitter::function_section)?;
    emitter.then_customs(rank::TABLE, Emitter::table_section)?;
    emitter.then_customs(rank::MEMORY, Emitter::memory_section)?;
    emitter.then_customs(rank::TAG, Emitter::tag_section)?;
    emitter.then_customs(rank::GLOBAL, Emitter::global_section)?;
    emitter.then_customs(rank::EXPORT, Emitter::export_section)?;
    emitter.then_customs(rank::START, Emitter::start_section)?;
    emitter.then_customs(rank::ELEMENT, Emitter::element_section)?;
    emitter.then_customs(rank::DATA_COUNT, Emitter::data_count_section)?;
    emitter.then_customs(rank::CODE, Emitter::code_section)?;
    emitter.data_section()?;
    if let Some(names) = name_section {
        names.append_to(&mut emitter.out);
    }
    emitter.customs_after(rank::DATA);
    for custom in &customs.trailing {
        append_custom(&mut emitter.out, custom);
    }
    for custom in &customs.builtin_component_types {
        append_custom(&mut emitter.out, custom);
    }
    Ok((emitter.out, warnings, emitter.drifts))
}

/// Custom sections that tool conventions place after the name section.
const TRAILING: &[&str] = &["producers", "target_features"];

/// The custom sections that go into the merged module.
struct Customs<'a> {
    /// The app's kept custom sections, grouped by the rank of the standard
    /// section they follow.
    after: Vec<Vec<&'a CustomSection<'a>>>,
    /// The app's tool-convention sections that follow the name section
    /// (`producers`, `target_features`): an app without a data section has
    /// them after its code, but the merged module's name section goes after
    /// the data section, and readers such as LLVM's reject them before it.
    trailing: Vec<&'a CustomSection<'a>>,
    /// The builtins' wit-bindgen metadata, which goes at the end.
    builtin_component_types: Vec<&'a CustomSection<'a>>,
}

impl<'a> Customs<'a> {
    /// Sorts the inputs' custom sections into kept and dropped ones,
    /// warning about the dropped ones.
    fn sort<'m: 'a>(modules: &'a [ModuleInfo<'m>], warnings: &mut Vec<String>) -> Customs<'a> {
        let (app, builtins) = modules.split_last().expect("the app is last");
        let mut after = app_customs(app, warnings);
        let mut trailing = Vec::new();
        for group in &mut after {
            group.retain(|custom| {
                let follows_names = TRAILING.contains(&custom.name);
                if follows_names {
                    trailing.push(*custom);
                }
                !follows_names
            });
        }
        Customs {
            after,
            trailing,
            builtin_component_types: builtin_customs(builtins, warnings),
        }
    }
}

/// The app's custom sections, grouped by the standard section they follow.
/// Debug information is left to `crate::debug`, object-file sections are
/// dropped: the code offsets and indices they record have moved.
fn app_customs<'a, 'm: 'a>(
    app: &'a ModuleInfo<'m>,
    warnings: &mut Vec<String>,
) -> Vec<Vec<&'a CustomSection<'a>>> {
    let mut customs = vec![Vec::new(); rank::DATA as usize + 1];
    let mut object_file = Vec::new();
    for custom in &app.customs {
        if crate::debug::is_debug_section(custom.name) {
            // Rewritten, or dropped with a reason, by `crate::debug`.
        } else if crate::hints::is_object_file_section(custom.name) {
            object_file.push(custom.name);
        } else if custom.name != crate::hints::SECTION {
            // The hints section is translated and inserted by `crate::hints`.
            customs[custom.after as usize].push(custom);
        }
    }
    if !object_file.is_empty() {
        warnings.push(format!(
            "dropped the app's object-file section(s) {}: they are for a static linker such as `wasm-ld`, and the offsets and indices they record have moved",
            name_list(object_file).0
        ));
    }
    customs
}

/// The builtins' kept custom sections. Their wit-bindgen metadata describes
/// imports the merged module still has (a builtin's own imports are
/// forwarded), so `wit-component` needs it; it goes at the end, after the
/// app's, in builtin order. The rest is dropped, with one warning per
/// builtin naming what it lost.
fn builtin_customs<'a, 'm: 'a>(
    builtins: &'a [ModuleInfo<'m>],
    warnings: &mut Vec<String>,
) -> Vec<&'a CustomSection<'a>> {
    let mut kept = Vec::new();
    for module in builtins {
        let mut dropped = Vec::new();
        for custom in &module.customs {
            if is_component_type(custom.name) {
                kept.push(custom);
            } else if !crate::debug::is_debug_section(custom.name) {
                dropped.push(custom.name);
            }
        }
        if !dropped.is_empty() {
            let (list, count) = name_list(dropped);
            let noun = if count == 1 { "section" } else { "sections" };
            warnings.push(format!(
                "dropped the custom {noun} {list} of {} (a builtin keeps only its names and its `component-type` sections)",
                module.input
            ));
        }
    }
    kept
}

/// Section names for a message: quoted and escaped, each once in the order
/// first met, at most five and then how many more, so that a module of a
/// million sections gives one short line; and how many distinct names
/// there are.
fn name_list<'n>(names: impl IntoIterator<Item = &'n str>) -> (String, usize) {
    const LISTED: usize = 5;
    let mut seen = std::collections::BTreeSet::new();
    let mut shown = Vec::new();
    for name in names {
        if seen.insert(name) && shown.len() < LISTED {
            shown.push(format!("`{}`", crate::error::printable(name)));
        }
    }
    let mut list = shown.join(", ");
    if seen.len() > LISTED {
        list.push_str(&format!(" and {} more", seen.len() - LISTED));
    }
    (list, seen.len())
}

fn append_custom(out: &mut Vec<u8>, custom: &CustomSection<'_>) {
    wasm_encoder::CustomSection {
        name: Cow::Borrowed(custom.name),
        data: Cow::Borrowed(custom.data),
    }
    .append_to(out);
}

fn reencode_failed(e: wasm_encoder::reencode::Error<std::convert::Infallible>) -> LinkError {
    LinkError::InvalidOutput(e.to_string())
}

/// What every section writer reads, and the output it appends to.
struct Emitter<'a, 'm> {
    modules: &'a [ModuleInfo<'m>],
    plan: &'a Plan,
    customs: &'a Customs<'a>,
    out: Vec<u8>,
    /// The placed bodies' drifts, when recorded.
    drifts: Option<Drifts>,
}

impl Emitter<'_, '_> {
    /// Writes a section, then the app's custom sections that followed it.
    fn then_customs(
        &mut self,
        after: u8,
        section: impl FnOnce(&mut Self) -> Result<(), LinkError>,
    ) -> Result<(), LinkError> {
        section(self)?;
        self.customs_after(after);
        Ok(())
    }

    /// The app's custom sections that followed the standard section `after`.
    fn customs_after(&mut self, after: u8) {
        for custom in &self.customs.after[after as usize] {
            append_custom(&mut self.out, custom);
        }
    }

    /// The type section: the planned rec groups, each input's rewritten
    /// into merged type indices.
    fn type_section(&mut self) -> Result<(), LinkError> {
        if self.plan.type_groups.is_empty() {
            return Ok(());
        }
        let mut section = TypeSection::new();
        for group in &self.plan.type_groups {
            match *group {
                MergedTypeGroup::Input { module, group } => {
                    Rewriter::new(&self.plan.maps[module])
                        .parse_recursive_type_group(
                            section.ty(),
                            self.modules[module].rec_groups[group].clone(),
                        )
                        .map_err(reencode_failed)?;
                }
                MergedTypeGroup::EmptyFunc => section.ty().function([], []),
            }
        }
        section.append_to(&mut self.out);
        Ok(())
    }

    /// The import section: each planned import's declaration, its type
    /// mapped.
    fn import_section(&mut self) -> Result<(), LinkError> {
        if self.plan.imports.is_empty() {
            return Ok(());
        }
        let mut section = ImportSection::new();
        for merged in &self.plan.imports {
            let import = &self.modules[merged.module].imports[merged.import];
            let ty = Rewriter::new(&self.plan.maps[merged.module])
                .entity_type(import.ty)
                .map_err(reencode_failed)?;
            section.import(import.module, import.name, ty);
        }
        section.append_to(&mut self.out);
        Ok(())
    }

    /// The function section: the type of every placed function, then of the
    /// synthesized start function.
    fn function_section(&mut self) -> Result<(), LinkError> {
        let plan = self.plan;
        if plan.funcs.is_empty() && plan.start_func.is_none() {
            return Ok(());
        }
        let mut section = FunctionSection::new();
        for placed in &plan.funcs {
            let module = &self.modules[placed.module];
            let func = module.imported.absolute(DefinedFuncIdx::new(placed.index));
            let ty = module.func_types[func.raw() as usize];
            section.function(plan.maps[placed.module].types.get(Idx::new(ty)).raw());
        }
        if let Some(ty) = plan.start_type.filter(|_| plan.start_func.is_some()) {
            section.function(ty);
        }
        section.append_to(&mut self.out);
        Ok(())
    }

    /// The table section, with initializer expressions rewritten.
    fn table_section(&mut self) -> Result<(), LinkError> {
        if self.plan.tables.is_empty() {
            return Ok(());
        }
        let mut section = TableSection::new();
        for placed in &self.plan.tables {
            let table = &self.modules[placed.module].tables[placed.index as usize];
            let mut rewriter = Rewriter::new(&self.plan.maps[placed.module]);
            let ty = rewriter.table_type(table.ty).map_err(reencode_failed)?;
            match &table.init {
                TableInit::RefNull => section.table(ty),
                TableInit::Expr(expr) => section.table_with_init(
                    ty,
                    &crate::table_init::rewrite(self.modules, self.plan, placed.module, expr)?,
                ),
            };
        }
        section.append_to(&mut self.out);
        Ok(())
    }

    /// The memory section.
    fn memory_section(&mut self) -> Result<(), LinkError> {
        if self.plan.memories.is_empty() {
            return Ok(());
        }
        let mut section = MemorySection::new();
        for placed in &self.plan.memories {
            let memory = self.modules[placed.module].memories[placed.index as usize];
            section.memory(
                Rewriter::new(&self.plan.maps[placed.module])
                    .memory_type(memory)
                    .map_err(reencode_failed)?,
            );
        }
        section.append_to(&mut self.out);
        Ok(())
    }

    /// The tag section.
    fn tag_section(&mut self) -> Result<(), LinkError> {
        if self.plan.tags.is_empty() {
            return Ok(());
        }
        let mut section = TagSection::new();
        for placed in &self.plan.tags {
            let tag = self.modules[placed.module].tags[placed.index as usize];
            section.tag(
                Rewriter::new(&self.plan.maps[placed.module])
                    .tag_type(tag)
                    .map_err(reencode_failed)?,
            );
        }
        section.append_to(&mut self.out);
        Ok(())
    }

    /// The global section, with initializer expressions rewritten.
    fn global_section(&mut self) -> Result<(), LinkError> {
        if self.plan.globals.is_empty() {
            return Ok(());
        }
        let mut section = GlobalSection::new();
        for placed in &self.plan.globals {
            let global = &self.modules[placed.module].globals[placed.index as usize];
            let mut rewriter = Rewriter::new(&self.plan.maps[placed.module]);
            let ty = rewriter.global_type(global.ty).map_err(reencode_failed)?;
            let init = rewriter
                .const_expr(global.init_expr.clone())
                .map_err(reencode_failed)?;
            section.global(ty, &init);
        }
        section.append_to(&mut self.out);
        Ok(())
    }

    /// The export section: the app's exports, in its order. Builtins'
    /// exports are internal. Streamed, since an export list can be large.
    fn export_section(&mut self) -> Result<(), LinkError> {
        let app = self.modules.len() - 1;
        let exports = &self.modules[app].exports;
        if exports.is_empty() {
            return Ok(());
        }
        let maps = &self.plan.maps[app];
        streamed_section(
            &mut self.out,
            ExportSection::new().id(),
            exports.len(),
            |out| {
                for export in exports {
                    let (kind, index) = maps.export(export.kind, export.index);
                    export.name.encode(out);
                    kind.encode(out);
                    index.encode(out);
                }
                Ok(())
            },
        )
    }

    /// The start section: an input's start function kept as it is, or the
    /// synthesized one.
    fn start_section(&mut self) -> Result<(), LinkError> {
        let start = match &self.plan.start {
            StartPlan::None => None,
            StartPlan::Existing(index) => Some(*index),
            StartPlan::Synthesized(_) => self.plan.start_func,
        };
        if let Some(start) = start {
            StartSection {
                function_index: start.raw(),
            }
            .append_to(&mut self.out);
        }
        Ok(())
    }

    /// The element section; deferred active segments turn passive.
    fn element_section(&mut self) -> Result<(), LinkError> {
        if self.plan.elems.is_empty() {
            return Ok(());
        }
        let mut section = ElementSection::new();
        for (placed, mode) in &self.plan.elems {
            let element = &self.modules[placed.module].elements[placed.index as usize];
            let maps = &self.plan.maps[placed.module];
            element_segment(&mut section, element, *mode, maps)?;
        }
        section.append_to(&mut self.out);
        Ok(())
    }

    /// The data count section, needed when any code may name a data
    /// segment: an input's code did, or the synthesized start function does.
    fn data_count_section(&mut self) -> Result<(), LinkError> {
        let plan = self.plan;
        let deferred_data = plan
            .data
            .iter()
            .any(|(_, mode)| *mode == SegmentMode::Deferred);
        if deferred_data || self.modules.iter().any(|m| m.has_data_count) {
            DataCountSection {
                count: plan.data.len() as u32,
            }
            .append_to(&mut self.out);
        }
        Ok(())
    }

    /// The code section, streamed into the output: every placed body
    /// rewritten (in parallel, see [`code_runs`]), then the synthesized
    /// start function.
    fn code_section(&mut self) -> Result<(), LinkError> {
        let (modules, plan) = (self.modules, self.plan);
        let function_count = plan.funcs.len() + usize::from(plan.start_func.is_some());
        if function_count == 0 {
            return Ok(());
        }
        let drifts = self.drifts.as_mut();
        streamed_section(
            &mut self.out,
            CodeSection::new().id(),
            function_count,
            |out| {
                code_runs(modules, plan, out, drifts)?;
                if let StartPlan::Synthesized(steps) = &plan.start {
                    let mut body = Vec::new();
                    synthesized_start(modules, plan, steps, &mut body)
                        .map_err(LinkError::InvalidOutput)?;
                    body.len().encode(out);
                    out.extend_from_slice(&body);
                }
                Ok(())
            },
        )
    }

    /// The data section, streamed like the code: their bytes are most of
    /// some modules, and building the section apart would hold them twice.
    fn data_section(&mut self) -> Result<(), LinkError> {
        let (modules, plan) = (self.modules, self.plan);
        if plan.data.is_empty() {
            return Ok(());
        }
        streamed_section(
            &mut self.out,
            DataSection::new().id(),
            plan.data.len(),
            |out| {
                for (placed, mode) in &plan.data {
                    let data = modules[placed.module].data(placed.index);
                    data_segment(out, &data, *mode, &plan.maps[placed.module])?;
                }
                Ok(())
            },
        )
    }
}

/// Rewrites every placed body into `out`, size-prefixed. Each range becomes
/// its run of size-prefixed bodies; the runs are appended in order, so the
/// bytes do not depend on the split. A wave's runs are dropped once
/// appended: only about a `CODE_WAVES`th of the code section exists twice
/// at any time.
fn code_runs(
    modules: &[ModuleInfo<'_>],
    plan: &Plan,
    out: &mut Vec<u8>,
    mut drifts: Option<&mut Drifts>,
) -> Result<(), LinkError> {
    let record = drifts.is_some();
    let unchanged: Vec<Unchanged> = plan.maps.iter().map(Unchanged::of).collect();
    let size_of = |placed: &Placed| {
        modules[placed.module].bodies[placed.index as usize]
            .as_bytes()
            .len()
    };
    let ranges = crate::parallel::split_in_waves(plan.funcs.iter().map(size_of), CODE_WAVES);
    for wave in ranges.chunks(crate::parallel::workers()) {
        let runs = crate::parallel::map(wave.to_vec(), |range| {
            let funcs = &plan.funcs[range];
            let mut run = Vec::with_capacity(funcs.iter().map(size_of).sum::<usize>() + 8);
            let mut run_drifts = Vec::with_capacity(if record { funcs.len() } else { 0 });
            let mut body = Vec::new();
            for placed in funcs {
                body.clear();
                let mut body_drifts = Vec::new();
                code::rewrite_body(
                    &modules[placed.module].bodies[placed.index as usize],
                    &plan.maps[placed.module],
                    &unchanged[placed.module],
                    &mut body,
                    record.then_some(&mut body_drifts),
                )?;
                body.len().encode(&mut run);
                run.extend_from_slice(&body);
                if record {
                    run_drifts.push(body_drifts);
                }
            }
            Ok::<_, code::RewriteError>((run, run_drifts))
        });
        for run in runs {
            let (run, run_drifts) = run.map_err(LinkError::InvalidOutput)?;
            out.extend_from_slice(&run);
            if let Some(drifts) = drifts.as_deref_mut() {
                drifts.extend(run_drifts);
            }
        }
    }
    Ok(())
}

/// One element segment, its items and offset rewritten; a deferred active
/// segment is written passive.
fn element_segment(
    section: &mut ElementSection,
    element: &wasmparser::Element<'_>,
    mode: SegmentMode,
    maps: &ModuleMaps,
) -> Result<(), LinkError> {
    let mut rewriter = Rewriter::new(maps);
    let items = element_items(&mut rewriter, &element.items).map_err(LinkError::InvalidOutput)?;
    let items = match &items {
        ItemsOwned::Functions(f) => Elements::Functions(Cow::Borrowed(f)),
        ItemsOwned::Expressions(ty, e) => Elements::Expressions(*ty, Cow::Borrowed(e)),
    };
    match (&element.kind, mode) {
        (
            ElementKind::Active {
                table_index,
                offset_expr,
            },
            SegmentMode::AsIs,
        ) => {
            let table = rewriter
                .table_index(table_index.unwrap_or(0))
                .map_err(reencode_failed)?;
            // Keep the short encoding for table 0 when the input used it.
            let table = if table_index.is_none() && table == 0 {
                None
            } else {
                Some(table)
            };
            let offset = rewriter
                .const_expr(offset_expr.clone())
                .map_err(reencode_failed)?;
            section.active(table, &offset, items);
        }
        (ElementKind::Active { .. }, SegmentMode::Deferred) | (ElementKind::Passive, _) => {
            section.passive(items);
        }
        (ElementKind::Declared, _) => {
            section.declared(items);
        }
    };
    Ok(())
}

/// One data segment, written straight into the streamed section.
fn data_segment(
    out: &mut Vec<u8>,
    data: &wasmparser::Data<'_>,
    mode: SegmentMode,
    maps: &ModuleMaps,
) -> Result<(), LinkError> {
    let mut rewriter = Rewriter::new(maps);
    // The segment encodings of the binary format: flags 0 (active in
    // memory 0), 2 (active, memory index follows) or 1 (passive).
    match (&data.kind, mode) {
        (
            DataKind::Active {
                memory_index,
                offset_expr,
            },
            SegmentMode::AsIs,
        ) => {
            let memory = rewriter
                .memory_index(*memory_index)
                .map_err(reencode_failed)?;
            if memory == 0 {
                out.push(0x00);
            } else {
                out.push(0x02);
                memory.encode(out);
            }
            rewriter
                .const_expr(offset_expr.clone())
                .map_err(reencode_failed)?
                .encode(out);
        }
        _ => out.push(0x01),
    }
    data.data.len().encode(out);
    out.extend_from_slice(data.data);
    Ok(())
}

/// Whether a custom section is component-model metadata (`component-type`,
/// `component-type:…`), which `wit-component` reads from every section
/// whose name starts so and merges.
pub fn is_component_type(name: &str) -> bool {
    name.starts_with("component-type")
}

enum ItemsOwned {
    Functions(Vec<u32>),
    Expressions(wasm_encoder::RefType, Vec<ConstExpr>),
}

fn element_items(
    rewriter: &mut Rewriter<'_>,
    items: &ElementItems<'_>,
) -> Result<ItemsOwned, code::RewriteError> {
    Ok(match items {
        ElementItems::Functions(reader) => {
            let mut funcs = Vec::with_capacity(reader.count() as usize);
            for func in reader.clone() {
                funcs.push(
                    rewriter
                        .function_index(func.map_err(|e| e.to_string())?)
                        .map_err(code::internal)?,
                );
            }
            ItemsOwned::Functions(funcs)
        }
        ElementItems::Expressions(ty, reader) => {
            let ty = rewriter.ref_type(*ty).map_err(code::internal)?;
            let mut exprs = Vec::with_capacity(reader.count() as usize);
            for expr in reader.clone() {
                exprs.push(
                    rewriter
                        .const_expr(expr.map_err(|e| e.to_string())?)
                        .map_err(code::internal)?,
                );
            }
            ItemsOwned::Expressions(ty, exprs)
        }
    })
}

fn element_count(items: &ElementItems<'_>) -> u32 {
    match items {
        ElementItems::Functions(reader) => reader.count(),
        ElementItems::Expressions(_, reader) => reader.count(),
    }
}

/// The body of the start function that replays, in order, what separate
/// instantiation would have done after the first module with effects:
/// each later module's active segments (initialized, then dropped, exactly
/// as instantiation does) and its start function.
fn synthesized_start(
    modules: &[ModuleInfo<'_>],
    plan: &Plan,
    steps: &[StartStep],
    body: &mut Vec<u8>,
) -> Result<(), code::RewriteError> {
    let mut function = Vec::new();
    0u32.encode(&mut function); // no locals
    for step in steps {
        match *step {
            StartStep::InitElem { module, segment } => {
                let element = &modules[module].elements[segment as usize];
                init_elem(element, segment, &plan.maps[module], &mut function)?;
            }
            StartStep::InitData { module, segment } => {
                let data = modules[module].data(segment);
                init_data(&data, segment, &plan.maps[module], &mut function)?;
            }
            StartStep::CallStart { module } => {
                let start = modules[module]
                    .start
                    .expect("only modules with a start function");
                Instruction::Call(plan.maps[module].funcs.get(start).raw()).encode(&mut function);
            }
        }
    }
    Instruction::End.encode(&mut function);
    body.extend_from_slice(&function);
    Ok(())
}

/// `table.init` and `elem.drop` of deferred element segment `segment`.
fn init_elem(
    element: &wasmparser::Element<'_>,
    segment: u32,
    maps: &ModuleMaps,
    function: &mut Vec<u8>,
) -> Result<(), code::RewriteError> {
    let ElementKind::Active {
        table_index,
        offset_expr,
    } = &element.kind
    else {
        unreachable!("only active segments are deferred");
    };
    code::inline_const_expr(offset_expr, maps, function)?;
    Instruction::I32Const(0).encode(function);
    Instruction::I32Const(element_count(&element.items) as i32).encode(function);
    let elem_index = maps.elems.get(Idx::new(segment)).raw();
    Instruction::TableInit {
        elem_index,
        table: maps.tables.get(Idx::new(table_index.unwrap_or(0))).raw(),
    }
    .encode(function);
    Instruction::ElemDrop(elem_index).encode(function);
    Ok(())
}

/// `memory.init` and `data.drop` of deferred data segment `segment`.
fn init_data(
    data: &wasmparser::Data<'_>,
    segment: u32,
    maps: &ModuleMaps,
    function: &mut Vec<u8>,
) -> Result<(), code::RewriteError> {
    let DataKind::Active {
        memory_index,
        offset_expr,
    } = &data.kind
    else {
        unreachable!("only active segments are deferred");
    };
    code::inline_const_expr(offset_expr, maps, function)?;
    Instruction::I32Const(0).encode(function);
    Instruction::I32Const(data.data.len() as i32).encode(function);
    let data_index = maps.data.get(Idx::new(segment)).raw();
    Instruction::MemoryInit {
        mem: maps.memories.get(Idx::new(*memory_index)).raw(),
        data_index,
    }
    .encode(function);
    Instruction::DataDrop(data_index).encode(function);
    Ok(())
}

/// Writes a section of `count` items straight into `out`: `write` appends
/// the items, and the section size, unknown until then, goes into a
/// five-byte LEB128 reserved before them. Sections that can be as large as
/// the input (code, data, a large export list) are never built apart, so
/// their bytes are never held twice.
fn streamed_section(
    out: &mut Vec<u8>,
    id: u8,
    count: usize,
    write: impl FnOnce(&mut Vec<u8>) -> Result<(), LinkError>,
) -> Result<(), LinkError> {
    let too_large = || LinkError::InvalidOutput(format!("section {id} larger than 4 GiB"));
    out.push(id);
    let size_at = out.len();
    out.extend_from_slice(&[0x80, 0x80, 0x80, 0x80, 0x00]);
    let content_start = out.len();
    u32::try_from(count).map_err(|_| too_large())?.encode(out);
    write(out)?;
    let size = u32::try_from(out.len() - content_start).map_err(|_| too_large())?;
    write_padded_u32(&mut out[size_at..size_at + 5], size);
    Ok(())
}

/// Writes `value` as a 5-byte LEB128, the padded form a size placeholder uses.
fn write_padded_u32(dst: &mut [u8], mut value: u32) {
    for (i, byte) in dst.iter_mut().enumerate() {
        let mut b = (value & 0x7f) as u8;
        value >>= 7;
        if i < 4 {
            b |= 0x80;
        }
        *byte = b;
    }
}

#[cfg(test)]
mod tests {
    use super::name_list;
    use crate::Linker;

    #[test]
    fn section_names_are_listed_briefly_and_printably() {
        assert_eq!(name_list(["a"]), ("`a`".into(), 1));
        assert_eq!(name_list(["a", "b", "a"]), ("`a`, `b`".into(), 2));
        let many = ["1", "2", "3", "4", "5", "6", "7", "1"];
        assert_eq!(
            name_list(many),
            ("`1`, `2`, `3`, `4`, `5` and 2 more".into(), 7)
        );
        assert_eq!(name_list(["\u{1b}[31mred\n"]).0, "`\\u{1b}[31mred\\n`");
    }

    /// A module of `fields` and a custom section of each of `names`.
    fn with_sections(fields: &str, names: impl Iterator<Item = String>) -> String {
        let sections: String = names.map(|n| format!(r#" (@custom "{n}" "x")"#)).collect();
        format!("(module {fields}{sections})")
    }

    /// The app's object-file sections are listed the same way, however
    /// many a hostile module has.
    #[test]
    fn dropped_object_file_sections_are_listed_briefly() {
        let names = (0..30).map(|i| format!("reloc.{}", i % 9));
        let app = with_sections("", names.chain(["linking".into()]));
        let linked = Linker::new().link(app.as_bytes()).expect("links");
        assert_eq!(
            linked.report.warnings.len(),
            1,
            "{:?}",
            linked.report.warnings
        );
        assert!(
            linked.report.warnings[0].starts_with(
                "dropped the app's object-file section(s) `reloc.0`, `reloc.1`, `reloc.2`, \
                 `reloc.3`, `reloc.4` and 5 more: "
            ),
            "{:?}",
            linked.report.warnings
        );
    }

    /// One warning per builtin, each naming it and what it lost once,
    /// however many sections of one name it had; what it keeps is not
    /// named.
    #[test]
    fn each_builtin_is_told_what_it_lost() {
        let names = (0..40).map(|i| format!("note-{}", i % 8));
        let lib = with_sections(
            r#"(func (export "f"))"#,
            names.chain(["component-type:lib".into()]),
        );
        let other = r#"(module (global (export "g") i32 (i32.const 1)) (@custom "producers" ""))"#;
        let app = r#"(module (import "lib" "f" (func)) (import "other" "g" (global i32)))"#;
        let linked = Linker::new()
            .builtin("lib", &lib)
            .and_then(|l| l.builtin("other", other))
            .and_then(|l| l.link(app.as_bytes()))
            .expect("links");
        let keeps = "(a builtin keeps only its names and its `component-type` sections)";
        assert_eq!(
            linked.report.warnings,
            [
                format!(
                    "dropped the custom sections `note-0`, `note-1`, `note-2`, `note-3`, \
                     `note-4` and 3 more of builtin `lib` {keeps}"
                ),
                format!("dropped the custom section `producers` of builtin `other` {keeps}"),
            ]
        );
    }
}
