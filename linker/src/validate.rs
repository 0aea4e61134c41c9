//! Validation of inputs and output, with function bodies checked in parallel.
//!
//! Validation is the largest single cost of a link (every input and the
//! output are fully validated), and function bodies are independent once the
//! module-level sections are known, so they are split across the machine's
//! cores. Small modules are validated on the calling thread: starting threads
//! costs more than the bodies.

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

/// Below this many bytes of code, bodies are validated on the calling thread.
const PARALLEL_CODE_THRESHOLD: usize = 256 * 1024;

/// Validates `bytes` as a core module with `validator`, which may have seen
/// other modules before: types are canonicalized across all of them, which
/// lets the linker compare types of different inputs by their ids.
pub fn validate_module(
    validator: &mut Validator,
    bytes: &[u8],
) -> Result<wasmparser::types::Types, String> {
    validator.reset();
    let mut bodies: Vec<(FuncToValidate<ValidatorResources>, FunctionBody<'_>)> = Vec::new();
    let mut code_bytes = 0usize;
    let mut types = None;
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|e| e.to_string())?;
        match validator.payload(&payload).map_err(|e| e.to_string())? {
            ValidPayload::Ok | ValidPayload::Parser(_) => {}
            ValidPayload::Func(func, body) => {
                code_bytes += body.as_bytes().len();
                bodies.push((func, body));
            }
            ValidPayload::End(end) => types = Some(end),
        }
    }
    validate_bodies(bodies, code_bytes).map_err(|e| e.to_string())?;
    // The parser always ends a well-formed module with an `End` payload; a
    // truncated input fails inside the loop above instead.
    types.ok_or_else(|| "unexpected end of module".to_string())
}

fn validate_bodies(
    bodies: Vec<(FuncToValidate<ValidatorResources>, FunctionBody<'_>)>,
    code_bytes: usize,
) -> Result<(), BinaryReaderError> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    if workers < 2 || code_bytes < PARALLEL_CODE_THRESHOLD {
        return validate_chunk(bodies.into_iter());
    }
    // Contiguous chunks of similar byte size keep each worker's allocations
    // warm and the first error deterministic (lowest chunk wins).
    let target = code_bytes / workers + 1;
    let mut chunks: Vec<Vec<_>> = vec![Vec::new()];
    let mut size = 0;
    for item in bodies {
        size += item.1.as_bytes().len();
        chunks.last_mut().expect("never empty").push(item);
        if size >= target {
            chunks.push(Vec::new());
            size = 0;
        }
    }
    let results: Vec<Result<(), BinaryReaderError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| scope.spawn(move || validate_chunk(chunk.into_iter())))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    results.into_iter().collect()
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
