//! Writing the module after inlining and dead-code removal.
//!
//! The rebuild walks the merged module's sections in their original order
//! and writes each again under the final numbering: removed items are left
//! out, every index is mapped through the maps dead-code removal built
//! (with the same reencoder the merge uses, [`crate::code::Rewriter`]),
//! rewritten bodies replace the originals, the inliner's block types are
//! appended to the type section, and custom sections are copied where they
//! stood. Bodies whose indices did not move are copied byte for byte, as in
//! the merge.
//!
//! One fix-up is needed beyond renumbering: `ref.func` is only valid for a
//! function declared somewhere outside code (an element segment, a global
//! initializer, an export). A removed builtin segment or global may have
//! been the only declaration of a function that live code — possibly code
//! just inlined into the app — still takes the address of, so any such
//! function is declared again in one declarative segment at the end of the
//! element section.

use super::apply::Applied;
use super::module::{section, Module, Slot};
use super::names::Names;
use crate::code::{self, Rewriter, Unchanged};
use crate::index::{Func, FuncIdx, Global, Idx, Memory, ModuleMaps, Table, Tag};
use crate::inline::dce::Liveness;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::convert::Infallible;
use wasm_encoder::reencode::{Error as ReencodeError, Reencode};
use wasm_encoder::{
    ConstExpr, DataCountSection, DataSection, ElementSection, Elements, Encode, ExportSection,
    FunctionSection, GlobalSection, ImportSection, MemorySection, Section, StartSection,
    TableSection, TagSection, TypeSection,
};
use wasmparser::{DataKind, ElementItems, ElementKind, ExternalKind, FunctionBody, TableInit};

/// Everything the rebuild writes from.
pub struct Inputs<'a, 'm> {
    /// The merged module.
    pub module: &'a Module<'m>,
    /// The inliner's output.
    pub applied: &'a Applied,
    /// What survives.
    pub live: &'a Liveness,
    /// Final numbering.
    pub maps: &'a ModuleMaps,
    /// Names, in merged numbering.
    pub names: Option<&'a Names>,
    /// Functions live code takes the address of (merged numbering).
    pub ref_funcs: &'a BTreeSet<FuncIdx>,
    /// Whether to note where each body drifts from the one it is written
    /// from (for the code map).
    pub record: bool,
}

/// The final module, and when recording, each live body's drifts from the
/// body it was written from (see `code::rewrite_body`), in order.
pub struct Rebuilt {
    /// The module.
    pub wasm: Vec<u8>,
    /// Empty unless recording: then one list per live body.
    pub drifts: Vec<Vec<(u32, u32)>>,
}

type Failure = String;

fn reencode_failed(e: ReencodeError<Infallible>) -> Failure {
    e.to_string()
}

/// Writes the final module: every section of the merged module again, in
/// its place, under the final numbering.
pub fn rebuild(inputs: &Inputs<'_, '_>) -> Result<Rebuilt, Failure> {
    let module = inputs.module;
    let mut out = Vec::with_capacity(module.bodies.iter().map(|b| b.as_bytes().len()).sum());
    out.extend_from_slice(&wasm_encoder::Module::HEADER);
    let mut writer = Writer {
        inputs,
        out,
        undeclared: undeclared(inputs),
        drifts: Vec::new(),
    };
    for slot in &module.slots {
        match *slot {
            // Its offsets and indices are those of the module before the
            // rebuild (see `crate::hints`); `transform` warns.
            Slot::Custom { name, .. } if name == crate::hints::SECTION => {}
            Slot::Custom { name, data } => wasm_encoder::CustomSection {
                name: Cow::Borrowed(name),
                data: Cow::Borrowed(data),
            }
            .append_to(&mut writer.out),
            Slot::Names => {
                if let Some(section) = inputs.names.and_then(|n| n.write(inputs.live, inputs.maps))
                {
                    section.append_to(&mut writer.out);
                }
            }
            Slot::Standard(id) => writer.standard(id)?,
        }
    }
    writer.declare_rest();
    Ok(Rebuilt {
        wasm: writer.out,
        drifts: writer.drifts,
    })
}

/// The output, and the `ref.func` declarations still to be written.
struct Writer<'a, 'i, 'm> {
    inputs: &'a Inputs<'i, 'm>,
    out: Vec<u8>,
    /// Functions to declare in a declarative element segment (see
    /// [`undeclared`]); emptied once written.
    undeclared: Vec<FuncIdx>,
    /// Each live body's drifts, when recording.
    drifts: Vec<Vec<(u32, u32)>>,
}

impl Writer<'_, '_, '_> {
    /// Writes standard section `id`.
    fn standard(&mut self, id: u8) -> Result<(), Failure> {
        // A declaration-only element section goes where the element
        // section would have stood.
        if matches!(id, section::DATA_COUNT | section::CODE | section::DATA) {
            self.declare_rest();
        }
        let (inputs, out) = (self.inputs, &mut self.out);
        match id {
            section::TYPE => types(inputs, out),
            section::IMPORT => imports(inputs, out),
            section::FUNCTION => functions(inputs, out),
            section::TABLE => tables(inputs, out),
            section::MEMORY => memories(inputs, out),
            section::TAG => tags(inputs, out),
            section::GLOBAL => globals(inputs, out),
            section::EXPORT => exports(inputs, out),
            section::START => start(inputs, out),
            section::ELEMENT => {
                let declare = std::mem::take(&mut self.undeclared);
                elements(inputs, &declare, out)
            }
            section::DATA_COUNT => {
                DataCountSection {
                    count: inputs.live.data.iter().filter(|l| **l).count() as u32,
                }
                .append_to(out);
                Ok(())
            }
            section::CODE => code_section(inputs, out, &mut self.drifts),
            section::DATA => data(inputs, out),
            other => Err(format!("unexpected section {other} in the merged module")),
        }
    }

    /// Writes the declarations not yet written, if any, in an element
    /// section of their own.
    fn declare_rest(&mut self) {
        if self.undeclared.is_empty() {
            return;
        }
        let mut elements = ElementSection::new();
        declarative(&mut elements, &self.undeclared, self.inputs.maps);
        elements.append_to(&mut self.out);
        self.undeclared.clear();
    }
}

fn write_nonempty(out: &mut Vec<u8>, section: &impl Section, empty: bool) {
    if !empty {
        section.append_to(out);
    }
}

/// The function section: the types of the live defined functions.
fn functions(inputs: &Inputs<'_, '_>, out: &mut Vec<u8>) -> Result<(), Failure> {
    let module = inputs.module;
    let mut functions = FunctionSection::new();
    let imported = module.imported;
    let types = imported.defined_part::<Func, _>(&module.func_types);
    for (&ty, &live) in types
        .iter()
        .zip(imported.defined_part::<Func, _>(&inputs.live.funcs))
    {
        if live {
            functions.function(inputs.maps.types.get(Idx::new(ty)).raw());
        }
    }
    write_nonempty(out, &functions, functions.is_empty());
    Ok(())
}

/// The table section: the live defined tables.
fn tables(inputs: &Inputs<'_, '_>, out: &mut Vec<u8>) -> Result<(), Failure> {
    let module = inputs.module;
    let mut tables = TableSection::new();
    let live = module
        .imported
        .defined_part::<Table, _>(&inputs.live.tables);
    for (i, table) in module.tables.iter().enumerate() {
        if !live[i] {
            continue;
        }
        let mut rewriter = Rewriter::new(inputs.maps);
        let ty = rewriter.table_type(table.ty).map_err(reencode_failed)?;
        match &table.init {
            TableInit::RefNull => tables.table(ty),
            TableInit::Expr(expr) => tables.table_with_init(
                ty,
                &rewriter.const_expr(expr.clone()).map_err(reencode_failed)?,
            ),
        };
    }
    write_nonempty(out, &tables, tables.is_empty());
    Ok(())
}

/// The memory section: the live defined memories.
fn memories(inputs: &Inputs<'_, '_>, out: &mut Vec<u8>) -> Result<(), Failure> {
    let module = inputs.module;
    let mut memories = MemorySection::new();
    let live = module
        .imported
        .defined_part::<Memory, _>(&inputs.live.memories);
    for (i, memory) in module.memories.iter().enumerate() {
        if live[i] {
            memories.memory(
                Rewriter::new(inputs.maps)
                    .memory_type(*memory)
                    .map_err(reencode_failed)?,
            );
        }
    }
    write_nonempty(out, &memories, memories.is_empty());
    Ok(())
}

/// The tag section: the live defined tags.
fn tags(inputs: &Inputs<'_, '_>, out: &mut Vec<u8>) -> Result<(), Failure> {
    let module = inputs.module;
    let mut tags = TagSection::new();
    let live = module.imported.defined_part::<Tag, _>(&inputs.live.tags);
    for (i, tag) in module.tags.iter().enumerate() {
        if live[i] {
            tags.tag(
                Rewriter::new(inputs.maps)
                    .tag_type(*tag)
                    .map_err(reencode_failed)?,
            );
        }
    }
    write_nonempty(out, &tags, tags.is_empty());
    Ok(())
}

/// The global section: the live defined globals.
fn globals(inputs: &Inputs<'_, '_>, out: &mut Vec<u8>) -> Result<(), Failure> {
    let module = inputs.module;
    let mut globals = GlobalSection::new();
    let live = module
        .imported
        .defined_part::<Global, _>(&inputs.live.globals);
    for (i, global) in module.globals.iter().enumerate() {
        if !live[i] {
            continue;
        }
        let mut rewriter = Rewriter::new(inputs.maps);
        let ty = rewriter.global_type(global.ty).map_err(reencode_failed)?;
        let init = rewriter
            .const_expr(global.init_expr.clone())
            .map_err(reencode_failed)?;
        globals.global(ty, &init);
    }
    write_nonempty(out, &globals, globals.is_empty());
    Ok(())
}

/// The export section: every export (exports keep their items alive).
fn exports(inputs: &Inputs<'_, '_>, out: &mut Vec<u8>) -> Result<(), Failure> {
    let maps = inputs.maps;
    let mut exports = ExportSection::new();
    for export in &inputs.module.exports {
        let (kind, index) = maps.export(export.kind, export.index);
        exports.export(export.name, kind, index);
    }
    exports.append_to(out);
    Ok(())
}

/// The start section, if the merged module has one.
fn start(inputs: &Inputs<'_, '_>, out: &mut Vec<u8>) -> Result<(), Failure> {
    if let Some(start) = inputs.module.start {
        StartSection {
            function_index: inputs.maps.funcs.get(start).raw(),
        }
        .append_to(out);
    }
    Ok(())
}

/// The element section: the live segments, then the declarations in
/// `declare`.
fn elements(
    inputs: &Inputs<'_, '_>,
    declare: &[FuncIdx],
    out: &mut Vec<u8>,
) -> Result<(), Failure> {
    let mut elements = ElementSection::new();
    for (i, element) in inputs.module.elements.iter().enumerate() {
        if inputs.live.elems[i] {
            element_segment(&mut elements, element, inputs.maps)?;
        }
    }
    declarative(&mut elements, declare, inputs.maps);
    write_nonempty(out, &elements, elements.is_empty());
    Ok(())
}

/// The data section: the live segments.
fn data(inputs: &Inputs<'_, '_>, out: &mut Vec<u8>) -> Result<(), Failure> {
    let maps = inputs.maps;
    let mut data = DataSection::new();
    for (i, segment) in inputs.module.data.iter().enumerate() {
        if !inputs.live.data[i] {
            continue;
        }
        match &segment.kind {
            DataKind::Active {
                memory_index,
                offset_expr,
            } => {
                let offset = Rewriter::new(maps)
                    .const_expr(offset_expr.clone())
                    .map_err(reencode_failed)?;
                data.active(
                    maps.memories.get(Idx::new(*memory_index)).raw(),
                    &offset,
                    segment.data.iter().copied(),
                );
            }
            DataKind::Passive => {
                data.passive(segment.data.iter().copied());
            }
        }
    }
    write_nonempty(out, &data, data.is_empty());
    Ok(())
}

/// The type section: live rec groups, then the inliner's live block types.
fn types(inputs: &Inputs<'_, '_>, out: &mut Vec<u8>) -> Result<(), Failure> {
    let module = inputs.module;
    let mut section = TypeSection::new();
    let mut first = 0usize;
    for group in &module.groups {
        let size = group.types().len();
        // An empty `(rec)` defines no type and takes no index: nothing to keep.
        if size == 0 {
            continue;
        }
        if inputs.live.types[first] {
            Rewriter::new(inputs.maps)
                .parse_recursive_type_group(section.ty(), group.clone())
                .map_err(reencode_failed)?;
        }
        first += size;
    }
    for (i, results) in inputs.applied.appended_types.iter().enumerate() {
        if !inputs.live.types[first + i] {
            continue;
        }
        let mut rewriter = Rewriter::new(inputs.maps);
        let results = results
            .iter()
            .map(|ty| rewriter.val_type(*ty))
            .collect::<Result<Vec<_>, _>>()
            .map_err(reencode_failed)?;
        section.ty().function([], results);
    }
    write_nonempty(out, &section, section.is_empty());
    Ok(())
}

/// The import section without removed intrinsics.
fn imports(inputs: &Inputs<'_, '_>, out: &mut Vec<u8>) -> Result<(), Failure> {
    let mut section = ImportSection::new();
    let mut func = 0usize;
    for import in &inputs.module.imports {
        if let wasmparser::TypeRef::Func(_) | wasmparser::TypeRef::FuncExact(_) = import.ty {
            func += 1;
            if !inputs.live.funcs[func - 1] {
                continue;
            }
        }
        let ty = Rewriter::new(inputs.maps)
            .entity_type(import.ty)
            .map_err(reencode_failed)?;
        section.import(import.module, import.name, ty);
    }
    write_nonempty(out, &section, section.is_empty());
    Ok(())
}

/// The code section: live bodies, rewritten ones in place of the originals.
/// Streamed into the output (its size patched afterwards) so the largest
/// section is not held twice. When recording, each body's drifts go to
/// `drifts`: the code map pairs the bodies from them without decoding
/// either.
fn code_section(
    inputs: &Inputs<'_, '_>,
    out: &mut Vec<u8>,
    drifts: &mut Vec<Vec<(u32, u32)>>,
) -> Result<(), Failure> {
    let module = inputs.module;
    let unchanged = Unchanged::of(inputs.maps);
    let live = module.imported.defined_part::<Func, _>(&inputs.live.funcs);
    let count = live.iter().filter(|l| **l).count();
    if count == 0 {
        return Ok(());
    }
    out.push(section::CODE);
    let size_at = out.len();
    out.extend_from_slice(&[0x80, 0x80, 0x80, 0x80, 0x00]);
    let content_start = out.len();
    (count as u32).encode(out);
    let mut body = Vec::new();
    for (i, original) in module.bodies.iter().enumerate() {
        if !live[i] {
            continue;
        }
        body.clear();
        let mut drifted = Vec::new();
        let noted = inputs.record.then_some(&mut drifted);
        match &inputs.applied.bodies[i] {
            Some(bytes) => {
                let rewritten = FunctionBody::new(wasmparser::BinaryReader::new(bytes, 0));
                code::rewrite_body(&rewritten, inputs.maps, &unchanged, &mut body, noted)?;
            }
            None => code::rewrite_body(original, inputs.maps, &unchanged, &mut body, noted)?,
        }
        if inputs.record {
            drifts.push(drifted);
        }
        body.len().encode(out);
        out.extend_from_slice(&body);
    }
    let size = u32::try_from(out.len() - content_start)
        .map_err(|_| "code section larger than 4 GiB".to_string())?;
    for (i, byte) in out[size_at..size_at + 5].iter_mut().enumerate() {
        let bits = ((size >> (7 * i)) & 0x7f) as u8;
        *byte = if i < 4 { bits | 0x80 } else { bits };
    }
    Ok(())
}

fn element_segment(
    section: &mut ElementSection,
    element: &wasmparser::Element<'_>,
    maps: &ModuleMaps,
) -> Result<(), Failure> {
    let mut rewriter = Rewriter::new(maps);
    let owned_funcs: Vec<u32>;
    let owned_exprs: Vec<ConstExpr>;
    let items = match &element.items {
        ElementItems::Functions(reader) => {
            owned_funcs = reader
                .clone()
                .into_iter()
                .map(|f| f.map(|f| maps.funcs.get(Idx::new(f)).raw()))
                .collect::<Result<_, _>>()
                .map_err(|e| e.to_string())?;
            Elements::Functions(Cow::Borrowed(&owned_funcs))
        }
        ElementItems::Expressions(ty, reader) => {
            let ty = rewriter.ref_type(*ty).map_err(reencode_failed)?;
            let mut exprs = Vec::new();
            for expr in reader.clone() {
                let expr = expr.map_err(|e| e.to_string())?;
                exprs.push(rewriter.const_expr(expr).map_err(reencode_failed)?);
            }
            owned_exprs = exprs;
            Elements::Expressions(ty, Cow::Borrowed(&owned_exprs))
        }
    };
    match &element.kind {
        ElementKind::Active {
            table_index,
            offset_expr,
        } => {
            // Active segments keep their table alive, and table 0 cannot
            // move, so the short encoding for it stays valid.
            let table = table_index.map(|t| maps.tables.get(Idx::new(t)).raw());
            let offset = rewriter
                .const_expr(offset_expr.clone())
                .map_err(reencode_failed)?;
            section.active(table, &offset, items);
        }
        ElementKind::Passive => {
            section.passive(items);
        }
        ElementKind::Declared => {
            section.declared(items);
        }
    }
    Ok(())
}

fn declarative(section: &mut ElementSection, funcs: &[FuncIdx], maps: &ModuleMaps) {
    if funcs.is_empty() {
        return;
    }
    let mapped: Vec<u32> = funcs.iter().map(|&f| maps.funcs.get(f).raw()).collect();
    section.declared(Elements::Functions(Cow::Owned(mapped)));
}

/// Functions live code takes with `ref.func` that no kept item declares.
fn undeclared(inputs: &Inputs<'_, '_>) -> Vec<FuncIdx> {
    if inputs.ref_funcs.is_empty() {
        return Vec::new();
    }
    let module = inputs.module;
    let live = inputs.live;
    let mut declared = FuncRefs::default();
    for (i, element) in module.elements.iter().enumerate() {
        if !live.elems[i] {
            continue;
        }
        match &element.items {
            ElementItems::Functions(reader) => {
                declared
                    .0
                    .extend(reader.clone().into_iter().flatten().map(FuncIdx::new));
            }
            ElementItems::Expressions(_, reader) => {
                for expr in reader.clone().into_iter().flatten() {
                    let _ = declared.const_expr(expr);
                }
            }
        }
    }
    let live_globals = module.imported.defined_part::<Global, _>(&live.globals);
    for (global, &live) in module.globals.iter().zip(live_globals) {
        if live {
            let _ = declared.const_expr(global.init_expr.clone());
        }
    }
    let live_tables = module.imported.defined_part::<Table, _>(&live.tables);
    for (table, &live) in module.tables.iter().zip(live_tables) {
        if let (true, TableInit::Expr(expr)) = (live, &table.init) {
            let _ = declared.const_expr(expr.clone());
        }
    }
    for export in &module.exports {
        if matches!(export.kind, ExternalKind::Func | ExternalKind::FuncExact) {
            declared.0.insert(FuncIdx::new(export.index));
        }
    }
    inputs
        .ref_funcs
        .iter()
        .copied()
        .filter(|f| live.funcs[f.raw() as usize] && !declared.0.contains(f))
        .collect()
}

/// Collects the functions a constant expression names.
#[derive(Default)]
struct FuncRefs(BTreeSet<FuncIdx>);

impl Reencode for FuncRefs {
    type Error = Infallible;

    fn function_index(&mut self, func: u32) -> Result<u32, ReencodeError<Infallible>> {
        self.0.insert(FuncIdx::new(func));
        Ok(func)
    }
}
