//! Which modules `wasm-prelink run` may serve the intrinsics to.
//!
//! The intrinsics read and write native memory; the linker makes sure only
//! builtins reach them (see `wasm_prelink::trust`). A module `run` links in
//! the same invocation has passed that check, so it gets the intrinsics. Any
//! other module that imports them — a plain module, or one linked earlier
//! by someone — would be handed raw memory access on its word alone, so it
//! runs only when the user says it is trusted (`--allow-intrinsics`).
//! Every engine `run` offers goes through this check before it compiles.

use anyhow::{bail, Result};
use std::path::Path;
use wasmparser::{Parser, Payload};

/// Fails, naming every intrinsic import, when `wasm` (binary) imports from
/// `namespace` and was not linked by this invocation nor explicitly
/// trusted. A module that does not parse passes: compiling it reports why.
pub(crate) fn check_intrinsic_imports(
    path: &Path,
    wasm: &[u8],
    namespace: &str,
    linked_here: bool,
    allowed: bool,
) -> Result<()> {
    if linked_here || allowed {
        return Ok(());
    }
    let imports = intrinsic_imports(wasm, namespace);
    if imports.is_empty() {
        return Ok(());
    }
    let listing = imports
        .iter()
        .map(|name| format!("`{namespace}::{name}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let noun = if imports.len() == 1 {
        "the intrinsic"
    } else {
        "the intrinsics"
    };
    bail!(
        "`{}` imports {noun} {listing}, and `run` serves intrinsics only to a module it links itself; pass `--allow-intrinsics` if you trust this module",
        path.display()
    )
}

/// The names of the function imports of `wasm` from `namespace`, in order.
fn intrinsic_imports(wasm: &[u8], namespace: &str) -> Vec<String> {
    let mut names = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let Ok(payload) = payload else {
            break;
        };
        match payload {
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let Ok(import) = import else {
                        break;
                    };
                    if import.module == namespace {
                        names.push(import.name.to_string());
                    }
                }
            }
            // Imports come before code; nothing after them matters here.
            Payload::CodeSectionStart { .. } => break,
            _ => {}
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(text: &str) -> Vec<u8> {
        wat::parse_str(text).expect("valid text")
    }

    #[test]
    fn only_imports_of_the_namespace_count() {
        let wasm = module(
            r#"(module
                (import "env" "f" (func))
                (import "unsafe-intrinsics" "u8-native-load" (func (param i64) (result i32)))
                (import "unsafe-intrinsics" "store-data-address" (func (result i64))))"#,
        );
        assert_eq!(
            intrinsic_imports(&wasm, "unsafe-intrinsics"),
            ["u8-native-load", "store-data-address"]
        );
        assert!(intrinsic_imports(&wasm, "other").is_empty());
    }

    #[test]
    fn a_linked_or_allowed_module_passes() {
        let wasm =
            module(r#"(module (import "ns" "u8-native-load" (func (param i64) (result i32))))"#);
        let path = Path::new("m.wasm");
        assert!(check_intrinsic_imports(path, &wasm, "ns", true, false).is_ok());
        assert!(check_intrinsic_imports(path, &wasm, "ns", false, true).is_ok());
        let refused = check_intrinsic_imports(path, &wasm, "ns", false, false)
            .expect_err("a plain module importing an intrinsic is refused");
        assert_eq!(
            refused.to_string(),
            "`m.wasm` imports the intrinsic `ns::u8-native-load`, and `run` serves intrinsics only to a module it links itself; pass `--allow-intrinsics` if you trust this module"
        );
    }
}
