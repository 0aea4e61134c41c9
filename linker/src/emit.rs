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
use crate::info::{rank, ModuleInfo};
use crate::plan::{MergedTypeGroup, Plan, SegmentMode, StartPlan, StartStep};
use std::borrow::Cow;
use wasm_encoder::reencode::Reencode;
use wasm_encoder::{
    CodeSection, ConstExpr, DataCountSection, DataSection, ElementSection, Elements, Encode,
    ExportKind, ExportSection, FunctionSection, GlobalSection, ImportSection, MemorySection,
    Section, StartSection, TableSection, TagSection, TypeSection,
};
use wasmparser::{DataKind, ElementItems, ElementKind, ExternalKind, TableInit};

/// Code is rewritten in this many rounds of one range per core (see
/// [`crate::parallel::split_in_waves`]): enough that the rounds' output
/// held besides the module stays small, few enough that starting threads
/// costs nothing measurable.
const CODE_WAVES: usize = 8;

/// Writes the merged module. `name_section` is appended after the data
/// section, where tools expect it.
pub fn emit(
    modules: &[ModuleInfo<'_>],
    plan: &Plan,
    name_section: Option<&wasm_encoder::NameSection>,
    output_hint: usize,
) -> Result<(Vec<u8>, Vec<String>), LinkError> {
    let app = modules.len() - 1;
    let mut warnings = Vec::new();
    let mut out = Vec::with_capacity(output_hint);
    out.extend_from_slice(&wasm_encoder::Module::HEADER);
    let internal = LinkError::InvalidOutput;
    let reencode_failed = |e: wasm_encoder::reencode::Error<std::convert::Infallible>| {
        LinkError::InvalidOutput(e.to_string())
    };

    // Custom sections of the app, grouped by the standard section they follow.
    let mut customs: Vec<Vec<&crate::info::CustomSection<'_>>> =
        vec![Vec::new(); rank::DATA as usize + 1];
    let mut dropped = Vec::new();
    let mut object_file = Vec::new();
    for custom in &modules[app].customs {
        let shown = || format!("`{}`", crate::error::printable(custom.name));
        if custom.name.starts_with(".debug_") || custom.name == "sourceMappingURL" {
            dropped.push(shown());
            continue;
        }
        if crate::hints::is_object_file_section(custom.name) {
            object_file.push(shown());
            continue;
        }
        if custom.name == crate::hints::SECTION {
            continue; // Translated and inserted by `crate::hints`.
        }
        customs[custom.after as usize].push(custom);
    }
    if !dropped.is_empty() {
        warnings.push(format!(
            "dropped the app's debug-info section(s) {}: they refer to code offsets, which linking changes",
            dropped.join(", ")
        ));
    }
    if !object_file.is_empty() {
        warnings.push(format!(
            "dropped the app's object-file section(s) {}: they are for a static linker such as `wasm-ld`, and the offsets and indices they record have moved",
            object_file.join(", ")
        ));
    }
    // wit-bindgen metadata of builtins describes imports the merged module
    // still has (a builtin's own imports are forwarded), so `wit-component`
    // needs it; it goes at the end, after the app's, in builtin order.
    let builtin_component_types: Vec<&crate::info::CustomSection<'_>> = modules[..app]
        .iter()
        .flat_map(|m| &m.customs)
        .filter(|c| is_component_type(c.name))
        .collect();
    let dropped_builtin_customs: usize = modules[..app]
        .iter()
        .flat_map(|m| &m.customs)
        .filter(|c| !is_component_type(c.name))
        .count();
    if dropped_builtin_customs > 0 {
        warnings.push(format!(
            "dropped {dropped_builtin_customs} custom section(s) of builtins (only their names are merged)"
        ));
    }
    let emit_customs = |out: &mut Vec<u8>, after: u8| {
        for custom in &customs[after as usize] {
            wasm_encoder::CustomSection {
                name: Cow::Borrowed(custom.name),
                data: Cow::Borrowed(custom.data),
            }
            .append_to(out);
        }
    };
    emit_customs(&mut out, rank::START_OF_MODULE);

    // Types.
    if !plan.type_groups.is_empty() {
        let mut section = TypeSection::new();
        for group in &plan.type_groups {
            match *group {
                MergedTypeGroup::Input { module, group } => {
                    Rewriter::new(&plan.maps[module])
                        .parse_recursive_type_group(
                            section.ty(),
                            modules[module].rec_groups[group].clone(),
                        )
                        .map_err(reencode_failed)?;
                }
                MergedTypeGroup::EmptyFunc => section.ty().function([], []),
            }
        }
        section.append_to(&mut out);
    }
    emit_customs(&mut out, rank::TYPE);

    // Imports.
    if !plan.imports.is_empty() {
        let mut section = ImportSection::new();
        for merged in &plan.imports {
            let import = &modules[merged.module].imports[merged.import];
            let ty = Rewriter::new(&plan.maps[merged.module])
                .entity_type(import.ty)
                .map_err(reencode_failed)?;
            section.import(import.module, import.name, ty);
        }
        section.append_to(&mut out);
    }
    emit_customs(&mut out, rank::IMPORT);

    // Functions.
    if !plan.funcs.is_empty() || plan.start_func.is_some() {
        let mut section = FunctionSection::new();
        for placed in &plan.funcs {
            let module = &modules[placed.module];
            let ty = module.func_types[(module.imported.funcs + placed.index) as usize];
            section.function(plan.maps[placed.module].types.get(ty));
        }
        if let Some(ty) = plan.start_type.filter(|_| plan.start_func.is_some()) {
            section.function(ty);
        }
        section.append_to(&mut out);
    }
    emit_customs(&mut out, rank::FUNCTION);

    // Tables.
    if !plan.tables.is_empty() {
        let mut section = TableSection::new();
        for placed in &plan.tables {
            let table = &modules[placed.module].tables[placed.index as usize];
            let mut rewriter = Rewriter::new(&plan.maps[placed.module]);
            let ty = rewriter.table_type(table.ty).map_err(reencode_failed)?;
            match &table.init {
                TableInit::RefNull => section.table(ty),
                TableInit::Expr(expr) => section.table_with_init(
                    ty,
                    &crate::table_init::rewrite(modules, plan, placed.module, expr)?,
                ),
            };
        }
        section.append_to(&mut out);
    }
    emit_customs(&mut out, rank::TABLE);

    // Memories.
    if !plan.memories.is_empty() {
        let mut section = MemorySection::new();
        for placed in &plan.memories {
            let memory = modules[placed.module].memories[placed.index as usize];
            section.memory(
                Rewriter::new(&plan.maps[placed.module])
                    .memory_type(memory)
                    .map_err(reencode_failed)?,
            );
        }
        section.append_to(&mut out);
    }
    emit_customs(&mut out, rank::MEMORY);

    // Tags.
    if !plan.tags.is_empty() {
        let mut section = TagSection::new();
        for placed in &plan.tags {
            let tag = modules[placed.module].tags[placed.index as usize];
            section.tag(
                Rewriter::new(&plan.maps[placed.module])
                    .tag_type(tag)
                    .map_err(reencode_failed)?,
            );
        }
        section.append_to(&mut out);
    }
    emit_customs(&mut out, rank::TAG);

    // Globals.
    if !plan.globals.is_empty() {
        let mut section = GlobalSection::new();
        for placed in &plan.globals {
            let global = &modules[placed.module].globals[placed.index as usize];
            let mut rewriter = Rewriter::new(&plan.maps[placed.module]);
            let ty = rewriter.global_type(global.ty).map_err(reencode_failed)?;
            let init = rewriter
                .const_expr(global.init_expr.clone())
                .map_err(reencode_failed)?;
            section.global(ty, &init);
        }
        section.append_to(&mut out);
    }
    emit_customs(&mut out, rank::GLOBAL);

    // Exports: the app's, in its order. Builtins' exports are internal.
    if !modules[app].exports.is_empty() {
        let maps = &plan.maps[app];
        let exports = &modules[app].exports;
        streamed_section(&mut out, ExportSection::new().id(), exports.len(), |out| {
            for export in exports {
                let (kind, index) = match export.kind {
                    ExternalKind::Func | ExternalKind::FuncExact => {
                        (ExportKind::Func, maps.funcs.get(export.index))
                    }
                    ExternalKind::Table => (ExportKind::Table, maps.tables.get(export.index)),
                    ExternalKind::Memory => (ExportKind::Memory, maps.memories.get(export.index)),
                    ExternalKind::Global => (ExportKind::Global, maps.globals.get(export.index)),
                    ExternalKind::Tag => (ExportKind::Tag, maps.tags.get(export.index)),
                };
                export.name.encode(out);
                kind.encode(out);
                index.encode(out);
            }
            Ok(())
        })?;
    }
    emit_customs(&mut out, rank::EXPORT);

    // Start.
    let start = match &plan.start {
        StartPlan::None => None,
        StartPlan::Existing(index) => Some(*index),
        StartPlan::Synthesized(_) => plan.start_func,
    };
    if let Some(function_index) = start {
        StartSection { function_index }.append_to(&mut out);
    }
    emit_customs(&mut out, rank::START);

    // Element segments.
    if !plan.elems.is_empty() {
        let mut section = ElementSection::new();
        for (placed, mode) in &plan.elems {
            let element = &modules[placed.module].elements[placed.index as usize];
            let mut rewriter = Rewriter::new(&plan.maps[placed.module]);
            let items = element_items(&mut rewriter, &element.items).map_err(internal)?;
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
            }
        }
        section.append_to(&mut out);
    }
    emit_customs(&mut out, rank::ELEMENT);

    // Data count: needed when any code may name a data segment.
    let deferred_data = plan
        .data
        .iter()
        .any(|(_, mode)| *mode == SegmentMode::Deferred);
    if deferred_data || modules.iter().any(|m| m.has_data_count) {
        DataCountSection {
            count: plan.data.len() as u32,
        }
        .append_to(&mut out);
    }
    emit_customs(&mut out, rank::DATA_COUNT);

    // Code.
    let function_count = plan.funcs.len() + usize::from(plan.start_func.is_some());
    if function_count > 0 {
        streamed_section(&mut out, CodeSection::new().id(), function_count, |out| {
            let unchanged: Vec<Unchanged> = plan.maps.iter().map(Unchanged::of).collect();
            let size_of = |placed: &crate::plan::Placed| {
                modules[placed.module].bodies[placed.index as usize]
                    .as_bytes()
                    .len()
            };
            // Each range becomes its run of size-prefixed bodies; the runs are
            // appended in order, so the bytes do not depend on the split. A
            // wave's runs are dropped once appended: only about a
            // `CODE_WAVES`th of the code section exists twice at any time.
            let ranges =
                crate::parallel::split_in_waves(plan.funcs.iter().map(size_of), CODE_WAVES);
            for wave in ranges.chunks(crate::parallel::workers()) {
                let runs = crate::parallel::map(wave.to_vec(), |range| {
                    let funcs = &plan.funcs[range];
                    let mut run = Vec::with_capacity(funcs.iter().map(size_of).sum::<usize>() + 8);
                    let mut body = Vec::new();
                    for placed in funcs {
                        body.clear();
                        code::rewrite_body(
                            &modules[placed.module].bodies[placed.index as usize],
                            &plan.maps[placed.module],
                            &unchanged[placed.module],
                            &mut body,
                        )?;
                        body.len().encode(&mut run);
                        run.extend_from_slice(&body);
                    }
                    Ok::<_, code::RewriteError>(run)
                });
                for run in runs {
                    out.extend_from_slice(&run.map_err(internal)?);
                }
            }
            if let StartPlan::Synthesized(steps) = &plan.start {
                let mut body = Vec::new();
                synthesized_start(modules, plan, steps, &mut body).map_err(internal)?;
                body.len().encode(out);
                out.extend_from_slice(&body);
            }
            Ok(())
        })?;
    }
    emit_customs(&mut out, rank::CODE);

    // Data segments, streamed like the code: their bytes are most of some
    // modules, and building the section apart would hold them twice.
    if !plan.data.is_empty() {
        streamed_section(&mut out, DataSection::new().id(), plan.data.len(), |out| {
            for (placed, mode) in &plan.data {
                let data = modules[placed.module].data(placed.index);
                let mut rewriter = Rewriter::new(&plan.maps[placed.module]);
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
            }
            Ok(())
        })?;
    }
    if let Some(names) = name_section {
        names.append_to(&mut out);
    }
    emit_customs(&mut out, rank::DATA);
    for custom in builtin_component_types {
        wasm_encoder::CustomSection {
            name: Cow::Borrowed(custom.name),
            data: Cow::Borrowed(custom.data),
        }
        .append_to(&mut out);
    }
    Ok((out, warnings))
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
    use wasm_encoder::Instruction;
    let mut function = Vec::new();
    0u32.encode(&mut function); // no locals
    for step in steps {
        match *step {
            StartStep::InitElem { module, segment } => {
                let maps = &plan.maps[module];
                let element = &modules[module].elements[segment as usize];
                let ElementKind::Active {
                    table_index,
                    offset_expr,
                } = &element.kind
                else {
                    unreachable!("only active segments are deferred");
                };
                code::inline_const_expr(offset_expr, maps, &mut function)?;
                Instruction::I32Const(0).encode(&mut function);
                Instruction::I32Const(element_count(&element.items) as i32).encode(&mut function);
                let elem_index = maps.elems.get(segment);
                Instruction::TableInit {
                    elem_index,
                    table: maps.tables.get(table_index.unwrap_or(0)),
                }
                .encode(&mut function);
                Instruction::ElemDrop(elem_index).encode(&mut function);
            }
            StartStep::InitData { module, segment } => {
                let maps = &plan.maps[module];
                let data = modules[module].data(segment);
                let DataKind::Active {
                    memory_index,
                    offset_expr,
                } = &data.kind
                else {
                    unreachable!("only active segments are deferred");
                };
                code::inline_const_expr(offset_expr, maps, &mut function)?;
                Instruction::I32Const(0).encode(&mut function);
                Instruction::I32Const(data.data.len() as i32).encode(&mut function);
                let data_index = maps.data.get(segment);
                Instruction::MemoryInit {
                    mem: maps.memories.get(*memory_index),
                    data_index,
                }
                .encode(&mut function);
                Instruction::DataDrop(data_index).encode(&mut function);
            }
            StartStep::CallStart { module } => {
                let start = modules[module]
                    .start
                    .expect("only modules with a start function");
                Instruction::Call(plan.maps[module].funcs.get(start)).encode(&mut function);
            }
        }
    }
    Instruction::End.encode(&mut function);
    body.extend_from_slice(&function);
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
