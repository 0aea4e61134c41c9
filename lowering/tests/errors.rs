//! Malformed intrinsic imports and escaping intrinsics, with the exact
//! messages a builtin's author sees.
//!
//! Messages are compared whole: they are the interface for the person
//! fixing a builtin, so a change to one should be a deliberate edit here.

use wasm_prelink_lowering::{Config, Error, ImportError, Intrinsics, Lowering, DEFAULT_NAMESPACE};

const KNOWN: &str = "`store-data-address`, `u8-native-load`, `u16-native-load`, \
`u32-native-load`, `u64-native-load`, `u8-native-store`, `u16-native-store`, \
`u32-native-store`, `u64-native-store`, `u8-checked-native-load`, \
`u16-checked-native-load`, `u32-checked-native-load`, `u64-checked-native-load`, \
`u8-checked-native-store`, `u16-checked-native-store`, `u32-checked-native-store`, \
`u64-checked-native-store`";

fn error_of(wat: &str) -> String {
    let wasm = wat::parse_str(wat).expect("test WAT parses");
    match Intrinsics::from_module(&wasm, DEFAULT_NAMESPACE) {
        Ok(_) => panic!("expected an error for {wat}"),
        Err(error) => error.to_string(),
    }
}

fn import(name: &str, ty: &str) -> String {
    format!(r#"(module (import "unsafe-intrinsics" "{name}" {ty}))"#)
}

#[test]
fn unknown_intrinsic() {
    assert_eq!(
        error_of(&import("u8-native-lod", "(func (param i64) (result i32))")),
        format!(
            "import `unsafe-intrinsics::u8-native-lod` is not a known intrinsic (known: {KNOWN})"
        )
    );
}

#[test]
fn wrong_parameter_type() {
    assert_eq!(
        error_of(&import("u8-native-load", "(func (param i32) (result i32))")),
        "import `unsafe-intrinsics::u8-native-load` has type `(func (param i32) (result i32))`, \
         the intrinsic requires `(func (param i64) (result i32))`"
    );
}

#[test]
fn wrong_result_type() {
    assert_eq!(
        error_of(&import(
            "u64-native-load",
            "(func (param i64) (result i32))"
        )),
        "import `unsafe-intrinsics::u64-native-load` has type `(func (param i64) (result i32))`, \
         the intrinsic requires `(func (param i64) (result i64))`"
    );
}

#[test]
fn extra_parameter() {
    assert_eq!(
        error_of(&import("u32-native-store", "(func (param i64 i32 i32))")),
        "import `unsafe-intrinsics::u32-native-store` has type `(func (param i64 i32 i32))`, \
         the intrinsic requires `(func (param i64 i32))`"
    );
}

#[test]
fn missing_parameter() {
    assert_eq!(
        error_of(&import(
            "u16-checked-native-load",
            "(func (param i64 i64) (result i32))"
        )),
        "import `unsafe-intrinsics::u16-checked-native-load` has type \
         `(func (param i64 i64) (result i32))`, the intrinsic requires \
         `(func (param i64 i64 i64) (result i32))`"
    );
}

#[test]
fn missing_and_extra_result() {
    assert_eq!(
        error_of(&import("store-data-address", "(func)")),
        "import `unsafe-intrinsics::store-data-address` has type `(func)`, \
         the intrinsic requires `(func (result i64))`"
    );
    assert_eq!(
        error_of(&import(
            "u8-native-store",
            "(func (param i64 i32) (result i32))"
        )),
        "import `unsafe-intrinsics::u8-native-store` has type \
         `(func (param i64 i32) (result i32))`, the intrinsic requires \
         `(func (param i64 i32))`"
    );
}

#[test]
fn non_integer_types_are_named() {
    assert_eq!(
        error_of(&import("u64-native-store", "(func (param f64 funcref))")),
        "import `unsafe-intrinsics::u64-native-store` has type `(func (param f64 funcref))`, \
         the intrinsic requires `(func (param i64 i64))`"
    );
}

#[test]
fn not_a_function() {
    assert_eq!(
        error_of(&import("u8-native-load", "(memory 1)")),
        "import `unsafe-intrinsics::u8-native-load` is a memory, but intrinsics are functions"
    );
}

#[test]
fn every_bad_import_is_reported_at_once() {
    let wasm = wat::parse_str(
        r#"(module
  (import "unsafe-intrinsics" "u8-native-lod" (func (param i64) (result i32)))
  (import "unsafe-intrinsics" "u8-native-load" (func (param i64) (result i32)))
  (import "unsafe-intrinsics" "u16-native-load" (func (param i64) (result i64)))
  (import "unsafe-intrinsics" "u64-native-load" (global i64)))"#,
    )
    .expect("test WAT parses");
    let Err(Error::Imports(errors)) = Intrinsics::from_module(&wasm, DEFAULT_NAMESPACE) else {
        panic!("expected import errors");
    };
    assert_eq!(errors.len(), 3);
    assert!(matches!(errors[0], ImportError::UnknownIntrinsic { .. }));
    assert!(matches!(errors[1], ImportError::WrongSignature { .. }));
    assert!(matches!(errors[2], ImportError::NotAFunction { .. }));
    let message = Error::Imports(errors).to_string();
    assert_eq!(message.lines().count(), 3, "{message}");
}

#[test]
fn other_namespaces_are_not_intrinsics() {
    let wasm = wat::parse_str(
        r#"(module
  (import "env" "u8-native-lod" (func (param i32)))
  (import "unsafe-intrinsics" "u8-native-load" (func (param i64) (result i32))))"#,
    )
    .expect("test WAT parses");
    let intrinsics = Intrinsics::from_module(&wasm, DEFAULT_NAMESPACE).expect("valid");
    let found: Vec<_> = intrinsics
        .iter()
        .map(|(index, intrinsic)| (index.as_u32(), intrinsic.name()))
        .collect();
    assert_eq!(found, [(1, "u8-native-load")]);
}

#[test]
fn the_namespace_is_configurable() {
    let wat = r#"(module (import "host-unsafe" "u8-native-lod" (func (param i64) (result i32))))"#;
    let wasm = wat::parse_str(wat).expect("test WAT parses");
    // Under the default namespace this is an ordinary import.
    assert!(Lowering::new(&wasm, &Config::new())
        .expect("valid")
        .intrinsics()
        .is_empty());
    let error = Lowering::new(&wasm, &Config::new().namespace("host-unsafe"))
        .expect_err("unknown intrinsic");
    assert_eq!(
        error.to_string(),
        format!("import `host-unsafe::u8-native-lod` is not a known intrinsic (known: {KNOWN})")
    );
}

#[test]
fn invalid_module_keeps_the_offset() {
    let error = Intrinsics::from_module(b"\0asm\x01\0\0\0\x02\x05", DEFAULT_NAMESPACE)
        .expect_err("truncated module");
    assert!(matches!(error, Error::Parse { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with("invalid module at byte offset 0x"),
        "{error}"
    );
}

/// A module in which `u8-native-load` (function 0) escapes in every way.
const ESCAPING: &str = r#"(module
  (import "unsafe-intrinsics" "u8-native-load" (func $load (param i64) (result i32)))
  (import "unsafe-intrinsics" "u8-native-store" (func $store (param i64 i32)))
  (table 1 funcref)
  (global funcref (ref.func $load))
  (export "leak" (func $load))
  (elem (i32.const 0) func $load)
  (elem declare func $store)
  (func (result funcref) ref.func $store)
  (func (param i64 i32) local.get 0 local.get 1 call $store))"#;

#[test]
fn intrinsics_used_through_ref_func_and_friends() {
    let wasm = wat::parse_str(ESCAPING).expect("test WAT parses");
    let intrinsics = Intrinsics::from_module(&wasm, DEFAULT_NAMESPACE).expect("valid imports");
    let messages: Vec<String> = intrinsics
        .indirect_uses()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        messages,
        [
            "import `unsafe-intrinsics::u8-native-load` initializes global 0, \
             so it cannot be lowered and needs the host implementation",
            "import `unsafe-intrinsics::u8-native-load` is exported as `leak`, \
             so it cannot be lowered and needs the host implementation",
            "import `unsafe-intrinsics::u8-native-load` is placed in element segment 0, \
             so it cannot be lowered and needs the host implementation",
            "import `unsafe-intrinsics::u8-native-store` is used by `ref.func` in function 2, \
             so it cannot be lowered and needs the host implementation",
        ]
    );
    let denied = intrinsics
        .deny_indirect_uses()
        .expect_err("uses are denied");
    assert_eq!(denied.to_string(), messages.join("\n"));
}

#[test]
fn direct_calls_only_is_not_an_indirect_use() {
    let wasm = wat::parse_str(
        r#"(module
  (import "unsafe-intrinsics" "u8-native-load" (func $load (param i64) (result i32)))
  (func (param i64) (result i32) local.get 0 call $load)
  (func (param i64) (result i32) local.get 0 return_call $load))"#,
    )
    .expect("test WAT parses");
    let intrinsics = Intrinsics::from_module(&wasm, DEFAULT_NAMESPACE).expect("valid");
    assert!(intrinsics.indirect_uses().is_empty());
    intrinsics.deny_indirect_uses().expect("nothing to deny");
}
