//! What the linker needs to know about one input module, read in one pass.
//!
//! Inputs are validated before they are read here, so this pass trusts their
//! structure. Nothing is decoded that emission will not need: function bodies
//! stay byte slices until they are rewritten, and custom sections are kept as
//! raw bytes with the position they had relative to the standard sections.

use crate::error::{InputName, LinkError};
use crate::index::{self, DefinedFuncIdx, DefinedIdx, FuncIdx, Idx, Space};
use std::ops::Range;
use wasmparser::types::Types;
use wasmparser::{
    BinaryReader, Data, Element, Export, ExternalKind, FromReader, FunctionBody, Global, Import,
    MemoryType, Parser, Payload, RecGroup, Table, TagType, TypeRef,
};

/// The order of standard sections in a module; custom sections remember the
/// rank of the last standard section before them so they can be put back in
/// the same place.
pub mod rank {
    /// Before any standard section.
    pub const START_OF_MODULE: u8 = 0;
    /// Type section.
    pub const TYPE: u8 = 1;
    /// Import section.
    pub const IMPORT: u8 = 2;
    /// Function section.
    pub const FUNCTION: u8 = 3;
    /// Table section.
    pub const TABLE: u8 = 4;
    /// Memory section.
    pub const MEMORY: u8 = 5;
    /// Tag section.
    pub const TAG: u8 = 6;
    /// Global section.
    pub const GLOBAL: u8 = 7;
    /// Export section.
    pub const EXPORT: u8 = 8;
    /// Start section.
    pub const START: u8 = 9;
    /// Element section.
    pub const ELEMENT: u8 = 10;
    /// Data count section.
    pub const DATA_COUNT: u8 = 11;
    /// Code section.
    pub const CODE: u8 = 12;
    /// Data section.
    pub const DATA: u8 = 13;
}

/// A custom section other than `name`, with where it stood.
#[derive(Debug, Clone)]
pub struct CustomSection<'a> {
    /// Section name.
    pub name: &'a str,
    /// Section payload.
    pub data: &'a [u8],
    /// Where the payload starts in the module's bytes.
    pub offset: usize,
    /// Rank of the last standard section before it.
    pub after: u8,
}

/// How many items of each kind a module imports.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportCounts {
    /// Functions.
    pub funcs: u32,
    /// Tables.
    pub tables: u32,
    /// Memories.
    pub memories: u32,
    /// Globals.
    pub globals: u32,
    /// Tags.
    pub tags: u32,
}

/// A space whose items can be imported: its absolute indices count the
/// imports first, then the definitions.
pub trait Importable: Space {
    /// How many items of the space a module with `counts` imports.
    fn imported(counts: &ImportCounts) -> u32;
}

macro_rules! importable {
    ($($space:ident => $field:ident,)*) => {$(
        impl Importable for index::$space {
            fn imported(counts: &ImportCounts) -> u32 {
                counts.$field
            }
        }
    )*};
}

importable! {
    Func => funcs,
    Table => tables,
    Memory => memories,
    Global => globals,
    Tag => tags,
}

impl ImportCounts {
    /// The absolute index of defined item `defined`. With
    /// [`ImportCounts::defined`] and [`ImportCounts::defined_part`], the
    /// only place where the two numberings of a space meet.
    pub fn absolute<S: Importable>(self, defined: DefinedIdx<S>) -> Idx<S> {
        Idx::new(S::imported(&self) + defined.raw())
    }

    /// The defined item `index` is, `None` for an imported one.
    pub fn defined<S: Importable>(self, index: Idx<S>) -> Option<DefinedIdx<S>> {
        let defined = index.raw().checked_sub(S::imported(&self))?;
        Some(DefinedIdx::new(defined))
    }

    /// The entries of `per_item`, a table with one entry per item of space
    /// `S` (imports first), that belong to the defined items: the result
    /// is indexed by [`DefinedIdx<S>`].
    pub fn defined_part<S: Importable, T>(self, per_item: &[T]) -> &[T] {
        &per_item[S::imported(&self) as usize..]
    }

    /// Every defined function of a module with `count` bodies, with its
    /// absolute index.
    pub fn defined_funcs(self, count: usize) -> impl Iterator<Item = (DefinedFuncIdx, FuncIdx)> {
        (0..count as u32).map(move |i| {
            let defined = DefinedFuncIdx::new(i);
            (defined, self.absolute(defined))
        })
    }
}

/// Position of an input module in the linker's list (builtins in the order
/// given, then the app).
pub type ModuleId = usize;

/// One parsed, validated input module.
pub struct ModuleInfo<'a> {
    /// Which input this is.
    pub input: InputName,
    /// The module's bytes.
    pub bytes: &'a [u8],
    /// The validator's view: canonical type ids shared by all inputs.
    pub types: Types,
    /// Rec groups of the type section, in order.
    pub rec_groups: Vec<RecGroup>,
    /// Imports, in order, with the index each has in its own space.
    pub imports: Vec<Import<'a>>,
    /// Imported item counts per space.
    pub imported: ImportCounts,
    /// Type index of every function, imported ones first.
    pub func_types: Vec<u32>,
    /// Defined tables.
    pub tables: Vec<Table<'a>>,
    /// Defined memories.
    pub memories: Vec<MemoryType>,
    /// Defined globals.
    pub globals: Vec<Global<'a>>,
    /// Defined tags.
    pub tags: Vec<TagType>,
    /// Exports, in order.
    pub exports: Vec<Export<'a>>,
    /// The start function.
    pub start: Option<FuncIdx>,
    /// Element segments.
    pub elements: Vec<Element<'a>>,
    /// Where each data segment lies in the input. Only the range is kept:
    /// compilers emit up to a hundred thousand segments, and their parsed
    /// descriptors would cost a sizeable share of the input; [`Self::data`]
    /// reads one again, which costs a few bytes of header.
    pub data_segments: Vec<Range<u64>>,
    /// Whether the module has a data count section.
    pub has_data_count: bool,
    /// Function bodies.
    pub bodies: Vec<FunctionBody<'a>>,
    /// Custom sections other than `name`.
    pub customs: Vec<CustomSection<'a>>,
    /// The `name` section's payload and its offset in `bytes`.
    pub names: Option<(&'a [u8], usize)>,
}

impl<'a> ModuleInfo<'a> {
    /// Reads a module that has already been validated.
    pub fn read(input: InputName, bytes: &'a [u8], types: Types) -> Result<Self, LinkError> {
        let invalid = |e: wasmparser::BinaryReaderError| LinkError::Invalid {
            input: input.clone(),
            message: e.to_string(),
        };
        let mut info = ModuleInfo {
            input: input.clone(),
            bytes,
            types,
            rec_groups: Vec::new(),
            imports: Vec::new(),
            imported: ImportCounts::default(),
            func_types: Vec::new(),
            tables: Vec::new(),
            memories: Vec::new(),
            globals: Vec::new(),
            tags: Vec::new(),
            exports: Vec::new(),
            start: None,
            elements: Vec::new(),
            data_segments: Vec::new(),
            has_data_count: false,
            bodies: Vec::new(),
            customs: Vec::new(),
            names: None,
        };
        let mut last_rank = rank::START_OF_MODULE;
        for payload in Parser::new(0).parse_all(bytes) {
            match payload.map_err(invalid)? {
                Payload::Version { .. } | Payload::End(_) => {}
                Payload::TypeSection(reader) => {
                    last_rank = rank::TYPE;
                    for group in reader {
                        info.rec_groups.push(group.map_err(invalid)?);
                    }
                }
                Payload::ImportSection(reader) => {
                    last_rank = rank::IMPORT;
                    for import in reader.into_imports() {
                        let import = import.map_err(invalid)?;
                        match import.ty {
                            TypeRef::Func(ty) => {
                                info.imported.funcs += 1;
                                info.func_types.push(ty);
                            }
                            TypeRef::FuncExact(_) => {
                                return Err(LinkError::Unsupported {
                                    input,
                                    what: format!(
                                        "an exact function import (`{}::{}`)",
                                        import.module, import.name
                                    ),
                                })
                            }
                            TypeRef::Table(_) => info.imported.tables += 1,
                            TypeRef::Memory(_) => info.imported.memories += 1,
                            TypeRef::Global(_) => info.imported.globals += 1,
                            TypeRef::Tag(_) => info.imported.tags += 1,
                        }
                        info.imports.push(import);
                    }
                }
                Payload::FunctionSection(reader) => {
                    last_rank = rank::FUNCTION;
                    info.func_types.reserve_exact(reader.count() as usize);
                    for ty in reader {
                        info.func_types.push(ty.map_err(invalid)?);
                    }
                }
                Payload::TableSection(reader) => {
                    last_rank = rank::TABLE;
                    for table in reader {
                        info.tables.push(table.map_err(invalid)?);
                    }
                }
                Payload::MemorySection(reader) => {
                    last_rank = rank::MEMORY;
                    for memory in reader {
                        info.memories.push(memory.map_err(invalid)?);
                    }
                }
                Payload::TagSection(reader) => {
                    last_rank = rank::TAG;
                    for tag in reader {
                        info.tags.push(tag.map_err(invalid)?);
                    }
                }
                Payload::GlobalSection(reader) => {
                    last_rank = rank::GLOBAL;
                    info.globals.reserve_exact(reader.count() as usize);
                    for global in reader {
                        info.globals.push(global.map_err(invalid)?);
                    }
                }
                Payload::ExportSection(reader) => {
                    last_rank = rank::EXPORT;
                    info.exports.reserve_exact(reader.count() as usize);
                    for export in reader {
                        let export = export.map_err(invalid)?;
                        if export.kind == ExternalKind::FuncExact {
                            return Err(LinkError::Unsupported {
                                input,
                                what: format!("an exact function export (`{}`)", export.name),
                            });
                        }
                        info.exports.push(export);
                    }
                }
                Payload::StartSection { func, .. } => {
                    last_rank = rank::START;
                    info.start = Some(Idx::new(func));
                }
                Payload::ElementSection(reader) => {
                    last_rank = rank::ELEMENT;
                    info.elements.reserve_exact(reader.count() as usize);
                    for element in reader {
                        info.elements.push(element.map_err(invalid)?);
                    }
                }
                Payload::DataCountSection { .. } => {
                    last_rank = rank::DATA_COUNT;
                    info.has_data_count = true;
                }
                Payload::CodeSectionStart { count, .. } => {
                    last_rank = rank::CODE;
                    info.bodies.reserve_exact(count as usize);
                }
                Payload::CodeSectionEntry(body) => info.bodies.push(body),
                Payload::DataSection(reader) => {
                    last_rank = rank::DATA;
                    info.data_segments.reserve_exact(reader.count() as usize);
                    for data in reader {
                        info.data_segments.push(data.map_err(invalid)?.range);
                    }
                }
                Payload::CustomSection(reader) => {
                    if reader.name() == "name" {
                        info.names = Some((reader.data(), reader.data_offset() as usize));
                    } else {
                        info.customs.push(CustomSection {
                            name: reader.name(),
                            data: reader.data(),
                            offset: reader.data_offset() as usize,
                            after: last_rank,
                        });
                    }
                }
                other => {
                    let what = match other.as_section() {
                        Some((id, _)) => format!("section {id}"),
                        None => "a component-model payload".to_string(),
                    };
                    return Err(LinkError::Unsupported { input, what });
                }
            }
        }
        Ok(info)
    }

    /// Data segment `index`, read again from the input.
    pub fn data(&self, index: u32) -> Data<'a> {
        let range = self.data_segments[index as usize].clone();
        let bytes = &self.bytes[range.start as usize..range.end as usize];
        Data::from_reader(&mut BinaryReader::new(bytes, range.start))
            .expect("a segment that was read once reads again")
    }

    /// Whether instantiating this module does anything observable beyond
    /// creating its items: active segments write into tables or memories and
    /// a start function runs code.
    pub fn has_instantiation_effects(&self) -> bool {
        self.start.is_some()
            || self
                .elements
                .iter()
                .any(|e| matches!(e.kind, wasmparser::ElementKind::Active { .. }))
            || (0..self.data_segments.len() as u32)
                .any(|i| matches!(self.data(i).kind, wasmparser::DataKind::Active { .. }))
    }

    /// The export called `name`, if any.
    pub fn export(&self, name: &str) -> Option<&Export<'a>> {
        self.exports.iter().find(|e| e.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defined_and_absolute_indices_convert_both_ways() {
        let imported = ImportCounts {
            funcs: 2,
            globals: 4,
            ..ImportCounts::default()
        };
        // Functions 0 and 1 are imports; 2 is the first defined one.
        assert_eq!(imported.defined(FuncIdx::new(1)), None);
        assert_eq!(
            imported.defined(FuncIdx::new(2)),
            Some(DefinedFuncIdx::new(0))
        );
        assert_eq!(imported.absolute(DefinedFuncIdx::new(3)), FuncIdx::new(5));
        // Each space counts its own imports.
        let global = DefinedIdx::<index::Global>::new(1);
        assert_eq!(imported.absolute(global), Idx::new(5));
        assert_eq!(imported.defined(imported.absolute(global)), Some(global));
        assert_eq!(
            imported.defined_part::<index::Global, _>(&[0, 1, 2, 3, 4, 5]),
            &[4, 5]
        );
    }
}
