//! Debug information through linking: DWARF and source maps rewritten for
//! the output's code offsets instead of dropped.
//!
//! The phases that move code record where each output byte came from
//! ([`map`]); the DWARF of every input and the app's source map are then
//! rewritten against the composed map.

pub(crate) mod dwarf;
pub mod map;
pub(crate) mod record;
pub(crate) mod sourcemap;

use map::CodeMap;
use std::ops::Range;

/// One input's debug information, as the rewriters read it.
#[derive(Debug)]
pub struct DebugInput<'a> {
    /// The input's name, for messages (`app`, `builtin `host-buf``).
    pub name: String,
    /// Its `.debug_*` custom sections, by name, in file order.
    pub sections: Vec<(&'a str, &'a [u8])>,
    /// Its function bodies (after each size), as ranges of its Code
    /// section contents, in order.
    pub bodies: Vec<Range<u32>>,
}

/// The `.debug_*` sections the rewriter writes again; any other one of an
/// input (an accelerator table such as `.debug_aranges` or `.debug_names`,
/// which would name stale offsets) is dropped with a warning.
const REWRITTEN: &[&str] = &[
    ".debug_info",
    ".debug_abbrev",
    ".debug_line",
    ".debug_line_str",
    ".debug_str",
    ".debug_str_offsets",
    ".debug_addr",
    ".debug_ranges",
    ".debug_rnglists",
    ".debug_loc",
    ".debug_loclists",
];

/// What the debug-information phase was asked to do.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Drop every input's debug information, with no warning.
    pub strip: bool,
    /// The app's source map (JSON), to be rewritten for the output.
    pub source_map: Option<Vec<u8>>,
    /// The URL the output's `sourceMappingURL` section gives, if any.
    pub source_map_url: Option<String>,
}

/// One input's debug information: where its sections are in the input's
/// bytes, which the link keeps until it rewrites them (copying tens of
/// megabytes of DWARF out costs more than keeping the few megabytes of the
/// rest of the input), and what was read of its Code section.
#[derive(Debug)]
pub(crate) struct Kept {
    name: String,
    sections: Vec<(String, Range<usize>)>,
    bodies: Vec<Range<u32>>,
    code_start: u32,
    source_map_url: Option<String>,
    external: bool,
}

/// The debug information of a link in progress: `None` from [`collect`]
/// when there is nothing to rewrite, so a link without debug information
/// records nothing.
#[derive(Debug)]
pub(crate) struct Collected {
    inputs: Vec<Kept>,
}

/// From this many bytes of debug information, the output is validated
/// beside the rewrite (the size at which the DWARF rewrite itself takes a
/// second thread). The unit tests take that path with their small inputs;
/// the integration tests take the other.
#[cfg(not(test))]
const BESIDE: usize = dwarf::PARALLEL_DWARF;
#[cfg(test)]
const BESIDE: usize = 1;

impl Collected {
    /// Whether there is enough debug information that rewriting it is
    /// worth a thread beside it.
    pub(crate) fn is_large(&self) -> bool {
        let size: usize = self
            .inputs
            .iter()
            .flat_map(|kept| &kept.sections)
            .map(|(_, range)| range.len())
            .sum();
        size >= BESIDE
    }
}

/// What the rewriters need of the inputs, if anything is to be rewritten.
pub(crate) fn collect(
    modules: &[crate::info::ModuleInfo<'_>],
    options: &Options,
) -> Result<Option<Collected>, crate::LinkError> {
    let has_debug =
        |m: &crate::info::ModuleInfo<'_>| m.customs.iter().any(|c| is_debug_section(c.name));
    if options.strip || (options.source_map.is_none() && !modules.iter().any(has_debug)) {
        return Ok(None);
    }
    let mut inputs = Vec::with_capacity(modules.len());
    for module in modules {
        let code = record::CodeSection::read(module.bytes).map_err(|message| {
            crate::LinkError::Invalid {
                input: module.input.clone(),
                message,
            }
        })?;
        let customs = &module.customs;
        inputs.push(Kept {
            name: module.input.to_string(),
            sections: customs
                .iter()
                .filter(|c| c.name.starts_with(".debug_"))
                .map(|c| (c.name.to_string(), c.offset..c.offset + c.data.len()))
                .collect(),
            bodies: code.as_ref().map(|c| c.body_ranges()).unwrap_or_default(),
            code_start: code.as_ref().map_or(0, |c| c.range.start),
            source_map_url: customs
                .iter()
                .find(|c| c.name == "sourceMappingURL")
                .map(|c| url_of(c.data)),
            external: customs.iter().any(|c| c.name == "external_debug_info"),
        });
    }
    Ok(Some(Collected { inputs }))
}

/// Whether a custom section is debug information, which refers to code
/// offsets and so never goes through linking unchanged.
pub(crate) fn is_debug_section(name: &str) -> bool {
    name.starts_with(".debug_") || name == "sourceMappingURL" || name == "external_debug_info"
}

/// The URL a `sourceMappingURL` section gives, printable.
fn url_of(data: &[u8]) -> String {
    let url = wasmparser::BinaryReader::new(data, 0)
        .read_string()
        .unwrap_or("(unreadable)");
    crate::error::printable(url).to_string()
}

/// What the debug phase adds to the output.
pub(crate) struct Finished {
    /// The output module, with its debug sections.
    pub wasm: Vec<u8>,
    /// The output's source map, when the app's was given.
    pub source_map: Option<Vec<u8>>,
}

impl Collected {
    /// Rewrites the inputs' DWARF and the app's source map for the output
    /// module `module`, whose code came from the inputs as `map` says: the
    /// output is the module followed by the debug sections. `bytes` are the
    /// inputs' bytes, in the order [`collect`] was given their modules.
    pub fn finish(
        self,
        bytes: &[&[u8]],
        module: &[u8],
        map: &CodeMap,
        options: &Options,
        warnings: &mut Vec<String>,
    ) -> Result<Finished, crate::LinkError> {
        self.warn_dropped(options, warnings);
        let views: Vec<DebugInput<'_>> = self
            .inputs
            .iter()
            .zip(bytes)
            .map(|(kept, bytes)| DebugInput {
                name: kept.name.clone(),
                sections: kept
                    .sections
                    .iter()
                    .map(|(name, range)| (name.as_str(), &bytes[range.clone()]))
                    .collect(),
                bodies: kept.bodies.clone(),
            })
            .collect();
        let mut wasm = dwarf::rewrite_into(&views, map, warnings, module);
        let source_map = match &options.source_map {
            Some(json) => Some(self.source_map(json, &wasm, map)?),
            None => None,
        };
        if let (Some(url), Some(_)) = (&options.source_map_url, &source_map) {
            wasm_encoder::Section::append_to(
                &wasm_encoder::CustomSection {
                    name: "sourceMappingURL".into(),
                    data: url_section(url).into(),
                },
                &mut wasm,
            );
        }
        Ok(Finished { wasm, source_map })
    }

    /// The app's source map, rewritten for the output.
    fn source_map(
        &self,
        json: &[u8],
        wasm: &[u8],
        map: &CodeMap,
    ) -> Result<Vec<u8>, crate::LinkError> {
        let app = self.inputs.len() - 1;
        let out_start = record::CodeSection::read(wasm)
            .map_err(crate::LinkError::InvalidOutput)?
            .map_or(0, |c| c.range.start);
        sourcemap::rewrite(
            json,
            app as u32,
            self.inputs[app].code_start,
            map,
            out_start,
        )
        .map_err(|message| crate::LinkError::SourceMap { message })
    }

    /// Warns of what no rewriter carries over.
    fn warn_dropped(&self, options: &Options, warnings: &mut Vec<String>) {
        for kept in &self.inputs {
            let dropped: Vec<String> = kept
                .sections
                .iter()
                .map(|(name, _)| name.as_str())
                .filter(|name| !REWRITTEN.contains(name))
                .map(|name| format!("`{}`", crate::error::printable(name)))
                .collect();
            if !dropped.is_empty() {
                warnings.push(format!(
                    "dropped {}'s debug section(s) {}: they index code that moved, and debuggers rebuild them",
                    kept.name,
                    dropped.join(", ")
                ));
            }
            if kept.external {
                warnings.push(format!(
                    "dropped {}'s `external_debug_info` section: the separate debug file it names describes the code before linking",
                    kept.name
                ));
            }
        }
        let app = self.inputs.last();
        if let (Some(url), None) = (
            app.and_then(|a| a.source_map_url.as_ref()),
            &options.source_map,
        ) {
            warnings.push(format!(
                "dropped the app's `sourceMappingURL` section (`{url}`): its source map describes the code before linking; pass --input-source-map to rewrite it"
            ));
        }
    }
}

/// The contents of a `sourceMappingURL` section naming `url`.
fn url_section(url: &str) -> Vec<u8> {
    let mut data = Vec::new();
    wasm_encoder::Encode::encode(url, &mut data);
    data
}

/// The map of the output's code back to the inputs, from the merge's and
/// those of the later phases that moved code.
pub(crate) fn compose(merged: CodeMap, later: &[Option<CodeMap>]) -> CodeMap {
    later
        .iter()
        .flatten()
        .fold(merged, |so_far, next| next.compose(&so_far))
}
