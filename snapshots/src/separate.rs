//! Separate instantiation: the reference semantics the linker must keep.
//!
//! Every input is compiled on its own and instantiated by wasmtime, and each
//! import is bound by hand to the instance that provides it — written here
//! from the rules of `docs/builtins.md` and `docs/virtualize.md`,
//! independently of the linker's planning code:
//!
//! - an import from a *builtin*'s name is that builtin's export;
//! - an import `N::f` where `N` is *virtualized* is the export `f` of the
//!   highest layer of `N` the importer can see that exports `f` — every
//!   layer for the app and builtins, the layers below its own for a
//!   virtualizer of `N` — and the host's `N::f` when no layer exports it;
//! - anything else is the host's.
//!
//! This is exactly "each virtualizer instantiated against the host (and the
//! layers below it), then the app against their exports laid over the
//! host's module". Providers are instantiated dependencies first, otherwise
//! builtins in the given order and then virtualizers in the given order,
//! and the app last; each importer gets its own view of the host's linker
//! with its bindings laid over it. Any host will do: the test host of the
//! cases, or WASI for the example of `examples/wasi-virt/`.

use wasmtime::{Instance, Linker, Module, Store};

/// A compiled builtin or virtualizer and the module name it provides.
pub struct Provider<'a> {
    /// The module name imports use.
    pub name: &'a str,
    /// The compiled module.
    pub module: Module,
    /// Whether it is a virtualizer (otherwise a builtin).
    pub virtualizer: bool,
}

/// The providers of one run and what they resolve.
struct Inputs<'a> {
    providers: &'a [Provider<'a>],
}

impl Inputs<'_> {
    /// Which provider gives `module::field` to `importer` (`None` for the
    /// app's view); `None` when the host does.
    fn provider(&self, importer: Option<usize>, module: &str, field: &str) -> Option<usize> {
        if let Some(builtin) = self
            .providers
            .iter()
            .position(|p| !p.virtualizer && p.name == module)
        {
            return Some(builtin);
        }
        // A virtualizer of `module` sees only the layers given before it.
        let limit = match importer {
            Some(own) if self.providers[own].virtualizer && self.providers[own].name == module => {
                own
            }
            _ => self.providers.len(),
        };
        (0..limit).rev().find(|&p| {
            let candidate = &self.providers[p];
            candidate.virtualizer
                && candidate.name == module
                && candidate.module.exports().any(|e| e.name() == field)
        })
    }

    /// The providers `importer` needs instantiated first.
    fn dependencies(&self, importer: Option<usize>, module: &Module) -> Vec<usize> {
        module
            .imports()
            .filter_map(|i| self.provider(importer, i.module(), i.name()))
            .collect()
    }
}

/// Instantiates the providers in dependency order, then `app`, each against
/// `host` with its own imports from providers laid over it.
pub fn instantiate<T: 'static>(
    store: &mut Store<T>,
    host: &Linker<T>,
    providers: &[Provider<'_>],
    app: &Module,
) -> wasmtime::Result<Instance> {
    let inputs = Inputs { providers };
    let order = order(&inputs)?;
    let mut instances: Vec<Option<Instance>> = vec![None; providers.len()];
    for index in order {
        let view = view(
            store,
            host,
            &inputs,
            Some(index),
            &providers[index].module,
            &instances,
        )?;
        instances[index] = Some(view.instantiate(&mut *store, &providers[index].module)?);
    }
    let view = view(store, host, &inputs, None, app, &instances)?;
    view.instantiate(&mut *store, app)
}

/// The host's linker with `importer`'s imports from providers bound to
/// their instances.
fn view<T: 'static>(
    store: &mut Store<T>,
    host: &Linker<T>,
    inputs: &Inputs<'_>,
    importer: Option<usize>,
    module: &Module,
    instances: &[Option<Instance>],
) -> wasmtime::Result<Linker<T>> {
    let mut view = host.clone();
    view.allow_shadowing(true);
    for import in module.imports() {
        let Some(provider) = inputs.provider(importer, import.module(), import.name()) else {
            continue;
        };
        let instance = instances[provider]
            .ok_or_else(|| wasmtime::format_err!("provider instantiated out of order"))?;
        let Some(export) = instance.get_export(&mut *store, import.name()) else {
            wasmtime::bail!("`{}` has no export `{}`", import.module(), import.name());
        };
        view.define(&mut *store, import.module(), import.name(), export)?;
    }
    Ok(view)
}

/// Providers dependencies first, otherwise in the given order: a
/// depth-first walk over "imports from".
fn order(inputs: &Inputs<'_>) -> wasmtime::Result<Vec<usize>> {
    fn visit(
        index: usize,
        inputs: &Inputs<'_>,
        state: &mut [u8],
        order: &mut Vec<usize>,
    ) -> wasmtime::Result<()> {
        match state[index] {
            2 => return Ok(()),
            1 => wasmtime::bail!("builtins import each other in a cycle"),
            _ => {}
        }
        state[index] = 1;
        for dep in inputs.dependencies(Some(index), &inputs.providers[index].module) {
            visit(dep, inputs, state, order)?;
        }
        state[index] = 2;
        order.push(index);
        Ok(())
    }
    // 0 = not visited, 1 = on the current path, 2 = done.
    let count = inputs.providers.len();
    let mut state = vec![0u8; count];
    let mut order = Vec::with_capacity(count);
    for index in 0..count {
        visit(index, inputs, &mut state, &mut order)?;
    }
    Ok(order)
}
