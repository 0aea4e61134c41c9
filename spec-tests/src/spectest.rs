//! The `spectest` host module the testsuite imports from.
//!
//! The reference interpreter defines it, and the tests depend on its exact
//! shape: the import-matching tests check limits against the table's
//! `10..20` and the memory's `1..2`, `imports.wast` reads the globals'
//! values. Its print functions are the host functions of the suite; they
//! print nothing here because the suite only needs them to be callable.
//!
//! The module lives in the runner's wasmtime linker, so every module of a
//! file — transformed or not, and every registered instance — imports the
//! same instance, exactly as a spec interpreter's registry would give it.

use wasmtime::{
    Global, GlobalType, Linker, Memory, MemoryType, Mutability, Ref, RefType, Result, SharedMemory,
    Store, Table, TableType, Val,
};

/// Defines `spectest` in `linker`, creating its state in `store`.
pub fn define<T: 'static>(linker: &mut Linker<T>, store: &mut Store<T>) -> Result<()> {
    linker.func_wrap("spectest", "print", || {})?;
    linker.func_wrap("spectest", "print_i32", |_: i32| {})?;
    linker.func_wrap("spectest", "print_i64", |_: i64| {})?;
    linker.func_wrap("spectest", "print_f32", |_: f32| {})?;
    linker.func_wrap("spectest", "print_f64", |_: f64| {})?;
    linker.func_wrap("spectest", "print_i32_f32", |_: i32, _: f32| {})?;
    linker.func_wrap("spectest", "print_f64_f64", |_: f64, _: f64| {})?;

    let globals = [
        ("global_i32", Val::I32(666)),
        ("global_i64", Val::I64(666)),
        ("global_f32", Val::F32(666.6f32.to_bits())),
        ("global_f64", Val::F64(666.6f64.to_bits())),
    ];
    for (name, value) in globals {
        let ty = GlobalType::new(value.ty(&*store)?, Mutability::Const);
        let global = Global::new(&mut *store, ty, value)?;
        linker.define(&*store, "spectest", name, global)?;
    }

    let table = Table::new(
        &mut *store,
        TableType::new(RefType::FUNCREF, 10, Some(20)),
        Ref::Func(None),
    )?;
    linker.define(&*store, "spectest", "table", table)?;

    let memory = Memory::new(&mut *store, MemoryType::new(1, Some(2)))?;
    linker.define(&*store, "spectest", "memory", memory)?;

    let shared = SharedMemory::new(store.engine(), MemoryType::shared(1, 1))?;
    linker.define(&*store, "spectest", "shared_memory", shared)?;
    Ok(())
}
