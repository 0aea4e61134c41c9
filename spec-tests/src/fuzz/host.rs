//! The host both sides of a fuzz case run against.
//!
//! The unlinked pair and the linked module must be indistinguishable to the
//! host, so the host records everything it can see: every call of an `env`
//! function and of an intrinsic, with its arguments, in order, and the
//! bytes of the "native" buffer the intrinsics read and write.
//!
//! The intrinsics are emulated, never real: generated code passes arbitrary
//! addresses, so a native access would crash the process. Here an address
//! is taken relative to the fake store-data address and wrapped into a
//! small buffer, which keeps every access defined while still making the
//! order and content of stores observable. The checked variants trap (a
//! host error) exactly when the real ones would: unless `offset + size <=
//! length` without overflow. The linker never interprets intrinsics — it
//! keeps them as imports — so any consistent emulation serves.
//!
//! The intrinsics also record *who* called them. In the unlinked run the
//! app is its own instance, and the innermost Wasm frame under an intrinsic
//! tells whether the app's code made the call — which the trust boundary
//! forbids, however the app came by the reference. The linked module is one
//! instance, so there the record stays empty; linked and unlinked runs must
//! still agree on every intrinsic call, which the events compare.

use wasm_prelink::Intrinsic;
use wasmtime::{
    format_err, Caller, Engine, FuncType, Linker, Module, Result, StoreLimits, StoreLimitsBuilder,
    Val, ValType, WasmBacktrace,
};

/// What the fake `store-data-address` returns.
pub const STORE_DATA_ADDRESS: i64 = 0x7f00_0000_0000;

/// Size of the emulated native buffer.
pub const BUFFER_LEN: usize = 64;

/// The host's view of a run.
#[derive(Debug)]
pub struct Host {
    /// Every host call, in order, with its arguments.
    pub events: Vec<String>,
    /// The emulated native memory.
    pub buffer: [u8; BUFFER_LEN],
    /// The next value `env.next` returns.
    next: i32,
    /// Bounds on what generated code may allocate: a memory grown to
    /// gigabytes and filled would take the machine down with it.
    pub limits: StoreLimits,
    /// The app's module in an unlinked run: intrinsic calls made directly
    /// from its code are recorded in `app_intrinsic_calls`.
    pub app: Option<Module>,
    /// Intrinsics the app's own code called (names, in order).
    pub app_intrinsic_calls: Vec<&'static str>,
}

/// Linear memories and tables may not grow beyond these.
const MEMORY_LIMIT: usize = 16 << 20;
const TABLE_LIMIT: usize = 100_000;

impl Default for Host {
    fn default() -> Self {
        Host {
            events: Vec::new(),
            buffer: [0; BUFFER_LEN],
            next: 1,
            limits: StoreLimitsBuilder::new()
                .memory_size(MEMORY_LIMIT)
                .table_elements(TABLE_LIMIT)
                .build(),
            app: None,
            app_intrinsic_calls: Vec::new(),
        }
    }
}

/// Two hosts saw the same thing when their calls and buffers agree; the
/// limits are configuration, not observation, and who called an intrinsic
/// can only be told in the unlinked run.
impl PartialEq for Host {
    fn eq(&self, other: &Host) -> bool {
        self.events == other.events && self.buffer == other.buffer && self.next == other.next
    }
}

impl Eq for Host {}

/// The `env` functions builtins and apps may import, as WAT import fields.
pub const ENV_IMPORTS: &str = r#"
    (import "env" "log_i32" (func (param i32)))
    (import "env" "log_i64" (func (param i64)))
    (import "env" "log_f64" (func (param f64)))
    (import "env" "next" (func (result i32)))
"#;

/// Defines the `env` functions and every intrinsic (in `namespace`).
pub fn define(linker: &mut Linker<Host>, engine: &Engine, namespace: &str) -> Result<()> {
    linker.func_wrap("env", "log_i32", |mut c: Caller<'_, Host>, v: i32| {
        c.data_mut().events.push(format!("log_i32({v})"));
    })?;
    linker.func_wrap("env", "log_i64", |mut c: Caller<'_, Host>, v: i64| {
        c.data_mut().events.push(format!("log_i64({v})"));
    })?;
    linker.func_wrap("env", "log_f64", |mut c: Caller<'_, Host>, v: f64| {
        c.data_mut()
            .events
            .push(format!("log_f64({:#x})", v.to_bits()));
    })?;
    linker.func_wrap("env", "next", |mut c: Caller<'_, Host>| -> i32 {
        let host = c.data_mut();
        let v = host.next;
        host.next = host.next.wrapping_mul(3).wrapping_add(1);
        host.events.push(format!("next() = {v}"));
        v
    })?;
    for intrinsic in Intrinsic::ALL {
        let ty = FuncType::new(
            engine,
            intrinsic.params().iter().map(|t| val_type(*t)),
            intrinsic.results().iter().map(|t| val_type(*t)),
        );
        let shape = Shape::of(*intrinsic);
        linker.func_new(
            namespace,
            intrinsic.name(),
            ty,
            move |mut c, params, results| {
                let event = format!("{}{:?}", intrinsic.name(), show(params));
                if called_by_app(&c) {
                    c.data_mut().app_intrinsic_calls.push(intrinsic.name());
                }
                c.data_mut().events.push(event);
                shape.run(c.data_mut(), params, results)
            },
        )?;
    }
    Ok(())
}

/// Whether the innermost Wasm frame belongs to the app's module.
fn called_by_app(caller: &Caller<'_, Host>) -> bool {
    let Some(app) = &caller.data().app else {
        return false;
    };
    let trace = WasmBacktrace::force_capture(caller);
    trace
        .frames()
        .first()
        .is_some_and(|frame| Module::same(frame.module(), app))
}

/// An intrinsic's value type (`i32` or `i64`, by its text spelling) as
/// Wasmtime's.
fn val_type(t: impl std::fmt::Display) -> ValType {
    if t.to_string() == "i32" {
        ValType::I32
    } else {
        ValType::I64
    }
}

fn show(params: &[Val]) -> Vec<i64> {
    params
        .iter()
        .map(|v| match v {
            Val::I32(x) => i64::from(*x),
            Val::I64(x) => *x,
            _ => 0,
        })
        .collect()
}

/// What an intrinsic does, read off its name (`uN-[checked-]native-load`
/// and so on) so that the table in the linker stays the only list.
#[derive(Debug, Clone, Copy)]
struct Shape {
    address: bool,
    width: usize,
    checked: bool,
    store: bool,
}

impl Shape {
    fn of(intrinsic: Intrinsic) -> Shape {
        let name = intrinsic.name();
        let width = ["u8-", "u16-", "u32-", "u64-"]
            .iter()
            .position(|p| name.starts_with(p))
            .map_or(0, |i| 1 << i);
        Shape {
            address: width == 0,
            width,
            checked: name.contains("-checked-"),
            store: name.ends_with("-store"),
        }
    }

    fn run(self, host: &mut Host, params: &[Val], results: &mut [Val]) -> Result<()> {
        if self.address {
            results[0] = Val::I64(STORE_DATA_ADDRESS);
            return Ok(());
        }
        let int = |i: usize| match params.get(i) {
            Some(Val::I32(x)) => i64::from(*x),
            Some(Val::I64(x)) => *x,
            _ => 0,
        };
        let (address, value_at) = if self.checked {
            let (base, offset, length) = (int(0) as u64, int(1) as u64, int(2) as u64);
            match offset.checked_add(self.width as u64) {
                Some(end) if end <= length => {}
                _ => return Err(format_err!("checked native access out of bounds")),
            }
            (base.wrapping_add(offset), 3)
        } else {
            (int(0) as u64, 1)
        };
        let slot =
            address.wrapping_sub(STORE_DATA_ADDRESS as u64) % (BUFFER_LEN - self.width + 1) as u64;
        let range = slot as usize..slot as usize + self.width;
        if self.store {
            let bytes = int(value_at).to_le_bytes();
            host.buffer[range].copy_from_slice(&bytes[..self.width]);
        } else {
            let mut bytes = [0u8; 8];
            bytes[..self.width].copy_from_slice(&host.buffer[range]);
            let v = u64::from_le_bytes(bytes);
            results[0] = if self.width == 8 {
                Val::I64(v as i64)
            } else {
                Val::I32(v as u32 as i32)
            };
        }
        Ok(())
    }
}
