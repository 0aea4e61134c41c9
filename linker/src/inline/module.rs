//! The merged module, read back for the inliner and dead-code removal.
//!
//! Emission streams the merged module straight into bytes and keeps no
//! model of it, which is right for `--inline none`: nothing more is needed.
//! The inliner works on those bytes after the fact, so this pass re-reads
//! them once — without validating again, since the output of emission is
//! correct by construction and the final output is validated anyway — into
//! the few lists the later phases index: types with their function
//! signatures, imports, the function-to-type list, every section's items
//! still as borrowed readers, and function bodies as byte slices.
//!
//! The order of sections, custom ones included, is remembered so the
//! rebuilt module puts every custom section back where it stood.

use crate::error::LinkError;
use crate::index::FuncIdx;
use wasmparser::{
    Data, Element, Export, FuncType, FunctionBody, Global, Import, MemoryType, Parser, Payload,
    RecGroup, Table, TagType, TypeRef,
};

/// One section of the merged module, in the order it appeared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot<'a> {
    /// A standard section, by id.
    Standard(u8),
    /// The `name` custom section (rebuilt, not copied).
    Names,
    /// Any other custom section (copied unchanged).
    Custom {
        /// Section name.
        name: &'a str,
        /// Section payload.
        data: &'a [u8],
    },
}

/// Section ids the rebuild writes, from the binary format.
pub mod section {
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
    /// Global section.
    pub const GLOBAL: u8 = 6;
    /// Export section.
    pub const EXPORT: u8 = 7;
    /// Start section.
    pub const START: u8 = 8;
    /// Element section.
    pub const ELEMENT: u8 = 9;
    /// Code section.
    pub const CODE: u8 = 10;
    /// Data section.
    pub const DATA: u8 = 11;
    /// Data count section.
    pub const DATA_COUNT: u8 = 12;
    /// Tag section.
    pub const TAG: u8 = 13;
}

/// How many items of each kind the merged module imports, with the
/// conversions between absolute and defined function indices.
pub type Imported = crate::info::ImportCounts;

/// The merged module as the inliner and dead-code removal see it.
pub struct Module<'a> {
    /// Sections in their original order.
    pub slots: Vec<Slot<'a>>,
    /// Rec groups of the type section.
    pub groups: Vec<RecGroup>,
    /// For every type index, the rec group holding it.
    pub type_group: Vec<u32>,
    /// For every type index, its signature when it is a function type.
    pub signatures: Vec<Option<FuncType>>,
    /// Imports, in order.
    pub imports: Vec<Import<'a>>,
    /// Imported item counts.
    pub imported: Imported,
    /// Positions in `imports` of the imported tables, in table order.
    pub table_imports: Vec<usize>,
    /// Positions in `imports` of the imported globals, in global order.
    pub global_imports: Vec<usize>,
    /// Positions in `imports` of the imported tags, in tag order.
    pub tag_imports: Vec<usize>,
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
    /// Exports.
    pub exports: Vec<Export<'a>>,
    /// The start function.
    pub start: Option<FuncIdx>,
    /// Element segments.
    pub elements: Vec<Element<'a>>,
    /// Data segments.
    pub data: Vec<Data<'a>>,
    /// Function bodies, in order of the defined functions.
    pub bodies: Vec<FunctionBody<'a>>,
    /// The `name` section's payload and its offset.
    pub names: Option<(&'a [u8], usize)>,
}

impl<'a> Module<'a> {
    /// Reads the merged module emitted by the linker.
    pub fn read(bytes: &'a [u8]) -> Result<Self, LinkError> {
        let internal = |e: wasmparser::BinaryReaderError| {
            LinkError::InvalidOutput(format!("re-reading the merged module: {e}"))
        };
        let mut module = Module {
            slots: Vec::new(),
            groups: Vec::new(),
            type_group: Vec::new(),
            signatures: Vec::new(),
            imports: Vec::new(),
            imported: Imported::default(),
            table_imports: Vec::new(),
            global_imports: Vec::new(),
            tag_imports: Vec::new(),
            func_types: Vec::new(),
            tables: Vec::new(),
            memories: Vec::new(),
            globals: Vec::new(),
            tags: Vec::new(),
            exports: Vec::new(),
            start: None,
            elements: Vec::new(),
            data: Vec::new(),
            bodies: Vec::new(),
            names: None,
        };
        for payload in Parser::new(0).parse_all(bytes) {
            let payload = payload.map_err(internal)?;
            if let Some((id, _)) = payload.as_section() {
                if id != 0 && !matches!(payload, Payload::CodeSectionEntry(_)) {
                    module.slots.push(Slot::Standard(id));
                }
            }
            match payload {
                Payload::TypeSection(reader) => {
                    for group in reader {
                        let group = group.map_err(internal)?;
                        let group_index = module.groups.len() as u32;
                        for sub_type in group.types() {
                            module.type_group.push(group_index);
                            module
                                .signatures
                                .push(match &sub_type.composite_type.inner {
                                    wasmparser::CompositeInnerType::Func(f) => Some(f.clone()),
                                    _ => None,
                                });
                        }
                        module.groups.push(group);
                    }
                }
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports() {
                        let import = import.map_err(internal)?;
                        let position = module.imports.len();
                        match import.ty {
                            TypeRef::Func(ty) | TypeRef::FuncExact(ty) => {
                                module.imported.funcs += 1;
                                module.func_types.push(ty);
                            }
                            TypeRef::Table(_) => {
                                module.imported.tables += 1;
                                module.table_imports.push(position);
                            }
                            TypeRef::Memory(_) => module.imported.memories += 1,
                            TypeRef::Global(_) => {
                                module.imported.globals += 1;
                                module.global_imports.push(position);
                            }
                            TypeRef::Tag(_) => {
                                module.imported.tags += 1;
                                module.tag_imports.push(position);
                            }
                        }
                        module.imports.push(import);
                    }
                }
                Payload::FunctionSection(reader) => {
                    for ty in reader {
                        module.func_types.push(ty.map_err(internal)?);
                    }
                }
                Payload::TableSection(reader) => {
                    for table in reader {
                        module.tables.push(table.map_err(internal)?);
                    }
                }
                Payload::MemorySection(reader) => {
                    for memory in reader {
                        module.memories.push(memory.map_err(internal)?);
                    }
                }
                Payload::TagSection(reader) => {
                    for tag in reader {
                        module.tags.push(tag.map_err(internal)?);
                    }
                }
                Payload::GlobalSection(reader) => {
                    for global in reader {
                        module.globals.push(global.map_err(internal)?);
                    }
                }
                Payload::ExportSection(reader) => {
                    for export in reader {
                        module.exports.push(export.map_err(internal)?);
                    }
                }
                Payload::StartSection { func, .. } => module.start = Some(FuncIdx::new(func)),
                Payload::ElementSection(reader) => {
                    for element in reader {
                        module.elements.push(element.map_err(internal)?);
                    }
                }
                Payload::DataSection(reader) => {
                    for data in reader {
                        module.data.push(data.map_err(internal)?);
                    }
                }
                Payload::CodeSectionStart { count, .. } => module.bodies.reserve(count as usize),
                Payload::CodeSectionEntry(body) => module.bodies.push(body),
                Payload::CustomSection(reader) => {
                    if reader.name() == "name" {
                        module.names = Some((reader.data(), reader.data_offset() as usize));
                        module.slots.push(Slot::Names);
                    } else {
                        module.slots.push(Slot::Custom {
                            name: reader.name(),
                            data: reader.data(),
                        });
                    }
                }
                _ => {}
            }
        }
        Ok(module)
    }

    /// The signature of function `func`.
    pub fn func_signature(&self, func: FuncIdx) -> &FuncType {
        let ty = self.func_types[func.raw() as usize];
        self.signatures[ty as usize]
            .as_ref()
            .expect("a function's type is a function type: the module validated")
    }
}
