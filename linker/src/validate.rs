//! Validation of inputs and output, with function bodies checked in parallel.
//!
//! Validation is the largest single cost of a link (every input and the
//! output are fully validated), and function bodies are independent once the
//! module-level sections are known, so they are split across the machine's
//! cores (see `linker/src/parallel.rs`).

use wasmparser::{
    BinaryReaderError, FuncToValidate, FunctionBody, Parser, ValidPayload, Validator,
    ValidatorResources, WasmFeatures,
};

/// The feature set inputs may use and the output is checked against: the
/// standardized WebAssembly 3.0 features (GC, function references,
/// exceptions, tail calls, multi-memory, memory64, SIMD and relaxed SIMD,
/// extended const, bulk memory, reference types, multi-value, threads).
pub fn features() -> WasmFeatures {
    WasmFeatures::WASM3
}

/// Validates `bytes` as a core module with `validator`, which may have seen
/// other modules before: types are canonicalized across all of them, which
/// lets the linker compare types of different inputs by their ids.
pub fn validate_module(
    validator: &mut Validator,
    bytes: &[u8],
) -> Result<wasmparser::types::Types, String> {
    validator.reset();
    let mut bodies: Vec<(FuncToValidate<ValidatorResources>, FunctionBody<'_>)> = Vec::new();
    let mut types = None;
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|e| e.to_string())?;
        match validator.payload(&payload).map_err(|e| e.to_string())? {
            ValidPayload::Ok | ValidPayload::Parser(_) => {}
            ValidPayload::Func(func, body) => {
                bodies.push((func, body));
            }
            ValidPayload::End(end) => types = Some(end),
        }
    }
    validate_bodies(bodies).map_err(|e| e.to_string())?;
    // The parser always ends a well-formed module with an `End` payload; a
    // truncated input fails inside the loop above instead.
    types.ok_or_else(|| "unexpected end of module".to_string())
}

fn validate_bodies(
    mut bodies: Vec<(FuncToValidate<ValidatorResources>, FunctionBody<'_>)>,
) -> Result<(), BinaryReaderError> {
    let ranges = crate::parallel::split(bodies.iter().map(|(_, body)| body.as_bytes().len()));
    // Owned chunks, split off from the end so each keeps its order.
    let mut chunks: Vec<Vec<_>> = ranges
        .iter()
        .rev()
        .map(|range| bodies.split_off(range.start))
        .collect();
    chunks.reverse();
    // The first error of the lowest chunk wins, as it would serially.
    crate::parallel::map(chunks, |chunk| validate_chunk(chunk.into_iter()))
        .into_iter()
        .collect()
}

fn validate_chunk<'a>(
    bodies: impl Iterator<Item = (FuncToValidate<ValidatorResources>, FunctionBody<'a>)>,
) -> Result<(), BinaryReaderError> {
    let mut allocs = wasmparser::FuncValidatorAllocations::default();
    for (func, body) in bodies {
        let mut validator = func.into_validator(allocs);
        validator.validate(&body)?;
        allocs = validator.into_allocations();
    }
    Ok(())
}
