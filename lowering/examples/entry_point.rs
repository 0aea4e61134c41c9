//! Using the plugin from the runtime's own `translate_call`.
//!
//! A runtime that already overrides `translate_call` (most do: they add
//! vmctx arguments, or call imports through a table) keeps a
//! `FunctionLowering` (from `Lowering::function`) in its environment, offers
//! each call to it first and falls back to its ordinary call when that
//! returns `None`; once the body is translated, `finish` removes the loads
//! and checks the calls repeated. `MiniEnv` in `tests/support/mod.rs` does
//! exactly this when built with `MiniEnv::with_lowering`:
//!
//! ```text
//! fn translate_call(..) {
//!     if let Some(lowering) = &mut self.lowering {
//!         if let Some(inst) = lowering.lower_call(
//!             builder, callee_index, call_args, pointer_type, &mut self.store_data,
//!         )? {
//!             return Ok(inst);
//!         }
//!     }
//!     // ... the runtime's ordinary call ...
//! }
//!
//! fn after_translate_function(..) {
//!     if let Some(lowering) = &mut self.lowering {
//!         lowering.finish(builder);
//!     }
//! }
//! ```
//!
//! and `translate_return_call` does the same with `lower_return_call`. This
//! example translates a module for a 64-bit and a 32-bit target that way and
//! prints the optimized CLIF: no call to an intrinsic is left.
//!
//! Run with `cargo run -p lowering --example entry_point`.

#[path = "../tests/support/mod.rs"]
mod support;

use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::Context;
use support::{isa, translate, Mode, ModuleInfo};
use wasm_prelink_lowering::{Config, Lowering};

const MODULE: &str = r#"(module
  (import "unsafe-intrinsics" "u32-native-load" (func $load (param i64) (result i32)))
  (import "unsafe-intrinsics" "u32-native-store" (func $store (param i64 i32)))
  (func (export "increment") (param $address i64)
    (call $store (local.get $address)
      (i32.add (call $load (local.get $address)) (i32.const 1))))
  (func (export "peek") (param $address i64) (result i32)
    (return_call $load (local.get $address))))"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let wasm = wat::parse_str(MODULE)?;
    let info = ModuleInfo::parse(&wasm).map_err(|e| e.to_string())?;
    let lowering = Lowering::new(&wasm, &Config::new())?;
    for triple in ["x86_64", "pulley32"] {
        let isa = isa(triple);
        let functions = translate(
            &wasm,
            &info,
            isa.frontend_config(),
            Mode::EntryPoint(&lowering),
        )
        .map_err(|e| e.to_string())?;
        for func in functions {
            let mut ctx = Context::for_function(func);
            ctx.optimize(&*isa, &mut ControlPlane::default())?;
            println!(";; {triple}\n{}", ctx.func.display());
            assert!(!ctx.func.display().to_string().contains(" call fn"));
        }
    }
    Ok(())
}
