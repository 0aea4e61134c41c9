//! Using the plugin by wrapping the runtime's `FuncEnvironment`.
//!
//! The runtime here is the small one in `tests/support` (`MiniEnv`): it
//! passes a `vmctx` to every function and keeps the store-data pointer at
//! vmctx offset 8. Wrapping it in `LoweringEnv` is the whole integration:
//! the runtime's own environment is untouched, and every call to an
//! intrinsic import becomes a native access. The example translates a
//! builtin-style function, compiles it with cranelift-jit and runs it on a
//! host buffer.
//!
//! Run with `cargo run -p lowering --example wrapper`.

#[path = "../tests/support/mod.rs"]
mod support;

use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, Linkage, Module};
use cranelift_wasm::{wasmparser, FuncTranslator};
use support::{signature, store_data_hook, MiniEnv, ModuleInfo};
use wasm_prelink_lowering::{Config, Lowering, LoweringEnv};

/// A builtin's `sum` after stage 1: adds up the first `n` bytes of the host
/// buffer whose address and length are the first two words of store data.
const MODULE: &str = r#"(module
  (import "unsafe-intrinsics" "store-data-address" (func $data (result i64)))
  (import "unsafe-intrinsics" "u64-native-load" (func $load64 (param i64) (result i64)))
  (import "unsafe-intrinsics" "u8-checked-native-load"
    (func $get (param i64 i64 i64) (result i32)))
  (func (export "sum") (param $n i64) (result i32)
    (local $i i64) (local $sum i32)
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (local.set $sum
          (i32.add (local.get $sum)
            (call $get
              (call $load64 (call $data))
              (local.get $i)
              (call $load64 (i64.add (call $data) (i64.const 8))))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (local.get $sum)))"#;

#[repr(C)]
struct Vmctx {
    memory_base: u64,
    store_data: *const StoreData,
}

#[repr(C)]
struct StoreData {
    buffer: *const u8,
    length: u64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let wasm = wat::parse_str(MODULE)?;
    let info = ModuleInfo::parse(&wasm).map_err(|e| e.to_string())?;

    // Once per module: find the intrinsic imports.
    let lowering = Lowering::new(&wasm, &Config::new())?;

    let mut flags = settings::builder();
    flags.set("opt_level", "speed")?;
    let isa = cranelift_native::builder()?.finish(settings::Flags::new(flags))?;
    let target = isa.frontend_config();

    // Translate the one defined function with the wrapped environment.
    let mut validator = wasmparser::Validator::new();
    let mut translator = FuncTranslator::new();
    let mut translated = None;
    for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
        let payload = payload.map_err(|e| e.to_string())?;
        let valid = validator.payload(&payload).map_err(|e| e.to_string())?;
        if let wasmparser::ValidPayload::Func(to_validate, body) = valid {
            let index = info.imported;
            let mut func = cranelift_codegen::ir::Function::with_name_signature(
                cranelift_codegen::ir::UserFuncName::user(0, index as u32),
                signature(&info, target, index),
            );
            let mut func_validator = to_validate.into_validator(Default::default());
            // The integration: wrap the runtime's environment.
            let mut env =
                LoweringEnv::new(MiniEnv::new(&info, target), &lowering, store_data_hook());
            translator
                .translate_body(&mut func_validator, body, &mut func, &mut env)
                .map_err(|e| e.to_string())?;
            translated = Some(func);
        }
    }
    let func = translated.ok_or("no function")?;
    println!("{}", func.display());

    let mut module = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
    let id = module.declare_function("sum", Linkage::Local, &func.signature)?;
    let mut ctx = Context::for_function(func);
    module.define_function(id, &mut ctx)?;
    module.finalize_definitions()?;
    // SAFETY: compiled with this signature for the host's calling convention.
    let sum = unsafe {
        std::mem::transmute::<*const u8, unsafe extern "C" fn(*const Vmctx, i64) -> i32>(
            module.get_finalized_function(id),
        )
    };

    let buffer: Vec<u8> = (1..=10).collect();
    let data = StoreData {
        buffer: buffer.as_ptr(),
        length: buffer.len() as u64,
    };
    let vmctx = Vmctx {
        memory_base: 0,
        store_data: &data,
    };
    // SAFETY: the store data describes a live buffer; the checked loads
    // stay within it.
    let total = unsafe { sum(&vmctx, 10) };
    println!("sum of the host buffer = {total}");
    assert_eq!(total, 55);
    // SAFETY: `sum` is not called again.
    unsafe { module.free_memory() };
    Ok(())
}
