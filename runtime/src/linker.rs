//! Resolving imports by module and field name.
//!
//! A [`Linker`] maps `(module, name)` to definitions — items already in a
//! store, or host functions to create in the store being instantiated
//! into — and builds the import list [`Instance::new`] takes. Imports in the
//! intrinsics namespace are not looked up: the runtime serves them with the
//! lowering crate's host implementations, so an intrinsic reached other
//! than by a direct call (through a table, `ref.func`, or an export)
//! behaves exactly like the lowered code.

use std::collections::HashMap;
use std::sync::Arc;

use wasm_prelink_lowering::Intrinsic;

use crate::error::{Error, Trap};
use crate::func::{Func, HostFn, HostFnWithStore, HostImpl};
use crate::info::EntityIndex;
use crate::instance::Instance;
use crate::module::Module;
use crate::store::{Extern, Store};
use crate::values::{FuncType, Val, ValType};

#[derive(Clone)]
enum Definition {
    Extern(Extern),
    Host(FuncType, HostFn),
    HostWithStore(FuncType, HostFnWithStore),
}

/// Definitions for imports, by module and name.
#[derive(Clone, Default)]
pub struct Linker {
    definitions: HashMap<(String, String), Definition>,
}

impl Linker {
    /// An empty linker.
    pub fn new() -> Linker {
        Linker::default()
    }

    /// Defines `module::name` as an item of a store (the store later
    /// instantiated into must be that store).
    pub fn define(&mut self, module: &str, name: &str, item: Extern) -> &mut Linker {
        self.definitions.insert(
            (module.to_owned(), name.to_owned()),
            Definition::Extern(item),
        );
        self
    }

    /// Defines `module::name` as a host function, created in each store
    /// instantiated into.
    pub fn func(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        func: impl Fn(&[Val]) -> Result<Vec<Val>, Trap> + 'static,
    ) -> &mut Linker {
        self.definitions.insert(
            (module.to_owned(), name.to_owned()),
            Definition::Host(ty, Arc::new(func)),
        );
        self
    }

    /// Defines `module::name` as a host function that also gets the store
    /// it runs in (see [`HostFnWithStore`]), created in each store
    /// instantiated into.
    pub fn func_with_store(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        func: impl Fn(&mut Store, &[Val]) -> Result<Vec<Val>, Trap> + 'static,
    ) -> &mut Linker {
        self.definitions.insert(
            (module.to_owned(), name.to_owned()),
            Definition::HostWithStore(ty, Arc::new(func)),
        );
        self
    }

    /// Defines every export of `instance` under module name `module`.
    pub fn instance(&mut self, store: &Store, module: &str, instance: Instance) -> &mut Linker {
        for (name, item) in instance.exports(store) {
            self.define(module, name, *item);
        }
        self
    }

    /// Instantiates `module` in `store`, resolving its imports here.
    pub fn instantiate(&self, store: &mut Store, module: &Module) -> Result<Instance, Error> {
        let inner = module.inner.clone();
        let mut imports = Vec::with_capacity(inner.info.imports.len());
        for import in &inner.info.imports {
            let intrinsic = match import.index {
                EntityIndex::Func(f) => inner.lowering.intrinsics().get(f),
                _ => None,
            };
            if let Some(intrinsic) = intrinsic {
                imports.push(Extern::Func(intrinsic_func(store, intrinsic)?));
                continue;
            }
            let key = (import.module.clone(), import.name.clone());
            let item = match self.definitions.get(&key) {
                Some(Definition::Extern(item)) => *item,
                Some(Definition::Host(ty, func)) => {
                    Extern::Func(store.new_host_func(ty.clone(), HostImpl::Closure(func.clone()))?)
                }
                Some(Definition::HostWithStore(ty, func)) => Extern::Func(
                    store.new_host_func(ty.clone(), HostImpl::WithStore(func.clone()))?,
                ),
                None => {
                    return Err(Error::UnknownImport {
                        module: import.module.clone(),
                        name: import.name.clone(),
                    })
                }
            };
            imports.push(item);
        }
        Instance::new(store, module, &imports)
    }
}

/// The host implementation of `intrinsic` as a function of `store`.
fn intrinsic_func(store: &mut Store, intrinsic: Intrinsic) -> Result<Func, Error> {
    use wasm_prelink_lowering::ValType as IntrinsicType;
    let convert = |tys: &[IntrinsicType]| -> Vec<ValType> {
        tys.iter()
            .map(|t| match t {
                IntrinsicType::I32 => ValType::I32,
                IntrinsicType::I64 => ValType::I64,
            })
            .collect()
    };
    let ty = FuncType::new(convert(intrinsic.params()), convert(intrinsic.results()));
    let store_data = store.store_data_address();
    store.new_host_func(
        ty,
        HostImpl::Intrinsic {
            intrinsic,
            store_data,
        },
    )
}
