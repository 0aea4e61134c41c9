//! Renaming imports and exports of a core module, everything else copied.
//!
//! The adapter route (`wit-component` with the WASI preview1 adapter)
//! matches core import and export names against a WIT world literally, so
//! there the core names must already be the component names [`super::names`]
//! gives them. Only the import and export sections are re-encoded; every
//! other section, custom sections included, is copied byte for byte, so
//! function indices, code and names are untouched.

use std::collections::BTreeMap;
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{ExportSection, ImportSection, RawSection};
use wasmparser::{Parser, Payload};

/// New names: imports by `(module, name)`, exports by name. Items not
/// listed keep theirs.
#[derive(Debug, Clone, Default)]
pub struct Renames {
    /// `(core module, core name)` → `(module, name)`.
    pub imports: BTreeMap<(String, String), (String, String)>,
    /// Core export name → new name.
    pub exports: BTreeMap<String, String>,
}

/// `module` with the names `renames` gives; `module` must be valid.
pub fn rename(module: &[u8], renames: &Renames) -> Result<Vec<u8>, String> {
    let mut out = wasm_encoder::Module::new();
    for payload in Parser::new(0).parse_all(module) {
        let payload = payload.map_err(|e| e.to_string())?;
        match &payload {
            Payload::ImportSection(reader) => {
                let mut section = ImportSection::new();
                for import in reader.clone().into_imports() {
                    let import = import.map_err(|e| e.to_string())?;
                    let key = (import.module.to_string(), import.name.to_string());
                    let (module, name) = renames
                        .imports
                        .get(&key)
                        .map(|(m, n)| (m.as_str(), n.as_str()))
                        .unwrap_or((import.module, import.name));
                    let ty = RoundtripReencoder
                        .entity_type(import.ty)
                        .map_err(|e| e.to_string())?;
                    section.import(module, name, ty);
                }
                out.section(&section);
            }
            Payload::ExportSection(reader) => {
                let mut section = ExportSection::new();
                for export in reader.clone() {
                    let export = export.map_err(|e| e.to_string())?;
                    let name = renames
                        .exports
                        .get(export.name)
                        .map(String::as_str)
                        .unwrap_or(export.name);
                    let kind = RoundtripReencoder
                        .export_kind(export.kind)
                        .map_err(|e| e.to_string())?;
                    section.export(name, kind, export.index);
                }
                out.section(&section);
            }
            other => {
                if let Some((id, range)) = other.as_section() {
                    let range = usize::try_from(range.start).map_err(|e| e.to_string())?
                        ..usize::try_from(range.end).map_err(|e| e.to_string())?;
                    out.section(&RawSection {
                        id,
                        data: &module[range],
                    });
                }
            }
        }
    }
    Ok(out.finish())
}
