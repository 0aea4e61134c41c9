//! Adds `(export "memory" (memory 0))` to a module whose memory is
//! imported: `export_memory IN OUT`.
//!
//! WASI hosts read the buffers of `fd_write` and friends from the caller's
//! export named `memory`. An app built with `-Wl,--import-memory` (so that
//! a virtualizer can share its memory) must therefore also export it, and
//! LLVM 14's wasm-ld has no flag for that (`--export-memory` came with
//! LLVM 16). This is that flag, for the one section it touches: the export
//! section gains one entry and every other byte is copied. No dependencies,
//! so `build.sh` compiles it with plain `rustc`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, input, output] = args.as_slice() else {
        eprintln!("usage: export_memory IN OUT");
        return ExitCode::FAILURE;
    };
    let result = std::fs::read(input)
        .map_err(|e| format!("cannot read `{input}`: {e}"))
        .and_then(|bytes| add_export(&bytes).map_err(|e| format!("`{input}`: {e}")))
        .and_then(|bytes| {
            std::fs::write(output, bytes).map_err(|e| format!("cannot write `{output}`: {e}"))
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

const EXPORT_SECTION: u8 = 7;
const MEMORY_KIND: u8 = 2;

/// The module with `memory` exported, or why that cannot be done.
fn add_export(bytes: &[u8]) -> Result<Vec<u8>, String> {
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        return Err("not a WebAssembly binary".into());
    }
    let mut out = bytes[..8].to_vec();
    let mut at = 8;
    let mut done = false;
    while at < bytes.len() {
        let id = bytes[at];
        let (size, size_len) = leb(&bytes[at + 1..])?;
        let start = at + 1 + size_len;
        let end = start + size as usize;
        let payload = bytes.get(start..end).ok_or("a section runs past the end")?;
        if id == EXPORT_SECTION {
            let (count, count_len) = leb(payload)?;
            let mut section = Vec::new();
            put_leb(&mut section, count + 1);
            section.extend_from_slice(&payload[count_len..]);
            section.push(6);
            section.extend_from_slice(b"memory");
            section.extend_from_slice(&[MEMORY_KIND, 0]);
            out.push(id);
            put_leb(&mut out, section.len() as u32);
            out.extend_from_slice(&section);
            done = true;
        } else {
            out.extend_from_slice(&bytes[at..end]);
        }
        at = end;
    }
    if !done {
        return Err("has no export section (a WASI command exports `_start`)".into());
    }
    Ok(out)
}

/// An unsigned LEB128 number and its length in bytes.
fn leb(bytes: &[u8]) -> Result<(u32, usize), String> {
    let mut value = 0u32;
    for (i, byte) in bytes.iter().take(5).enumerate() {
        value |= u32::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    Err("malformed section size".into())
}

fn put_leb(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}
