//! Which input an import is bound to: builtins, and virtualizers layered
//! over a host module.
//!
//! A *builtin* named `N` implements the whole of module `N`: every import
//! from `N` must be one of its exports, or the link fails (a typo is caught).
//! A *virtualizer* of `N` implements only part of a host module: it exports
//! the functions it overrides — a deterministic `random_get`, an `fd_write`
//! that prefixes its output — and imports from `N` whatever it needs of the
//! real implementation it wraps. Its meaning is that of separate
//! instantiation with shadowing:
//!
//! ```text
//! host's N ◄── virtualizer 1 (its imports from N: the host's)
//!                 ▲
//!              virtualizer 2 (its imports from N: layer 1 over the host)
//!                 ▲
//!     the app, builtins (their imports from N: layer 2 over layer 1 over the host)
//! ```
//!
//! So an import `N::f` looks for `f` from the importer's view downwards:
//! the top layer for the app and builtins, the layer below its own for a
//! virtualizer of `N`; the first layer exporting `f` provides it, and when
//! none does, the import stays a host import, unchanged (and shared with
//! identical host imports of other inputs, as always). Whether an export
//! provides a name is decided by the name alone: a virtualizer that exports
//! `f` with the wrong kind or type is an error, never silently skipped, for
//! the same reason a builtin's is.
//!
//! Several virtualizers of one name stack in the order they were given, the
//! later wrapping the earlier. Because each layer sees only the layers below
//! it, a stack can never be a cycle by itself; cycles through builtins are
//! found by the instantiation order like any other.
//!
//! Virtualizers are builtins in every other respect: they are inputs before
//! the app, may import intrinsics, are inlined and dead-code-removed, and
//! the trust boundary treats them as trusted host code.

use crate::error::InputName;
use crate::info::ModuleInfo;
use crate::plan::ModuleId;
use std::collections::HashMap;

/// Answers "which input provides this import" for every importer.
pub struct Resolver<'a> {
    /// Builtins by name: the whole module.
    builtins: HashMap<&'a str, ModuleId>,
    /// Virtualizers by the name they virtualize, bottom layer first.
    stacks: HashMap<&'a str, Vec<ModuleId>>,
    /// Per input: its layer (0 = bottom) when it is a virtualizer.
    layer: Vec<Option<usize>>,
    /// Per input: the module name it was registered under, if any.
    names: Vec<Option<&'a str>>,
    /// Per input: its exports' names, to tell which layer provides a name.
    modules: &'a [ModuleInfo<'a>],
}

impl<'a> Resolver<'a> {
    /// Builds the resolver from the inputs (builtins and virtualizers, then
    /// the app) and the name each non-app input was registered under. An
    /// input is a virtualizer when its [`InputName`] says so; the stack order
    /// is the input order.
    pub fn new(modules: &'a [ModuleInfo<'a>], names: &'a [String]) -> Self {
        let mut builtins = HashMap::new();
        let mut stacks: HashMap<&str, Vec<ModuleId>> = HashMap::new();
        let mut layer = vec![None; modules.len()];
        let mut registered = vec![None; modules.len()];
        for (id, name) in names.iter().enumerate() {
            registered[id] = Some(name.as_str());
            if is_virtualizer(&modules[id].input) {
                let stack = stacks.entry(name.as_str()).or_default();
                layer[id] = Some(stack.len());
                stack.push(id);
            } else {
                builtins.insert(name.as_str(), id);
            }
        }
        Resolver {
            builtins,
            stacks,
            layer,
            names: registered,
            modules,
        }
    }

    /// The input that provides `module::name` to `importer`, or `None` when
    /// the import is not bound to any input (a host or intrinsic import).
    pub fn target(&self, importer: ModuleId, module: &str, name: &str) -> Option<ModuleId> {
        if let Some(&builtin) = self.builtins.get(module) {
            return Some(builtin);
        }
        let stack = self.stacks.get(module)?;
        let above = match self.layer[importer] {
            Some(own) if self.names[importer] == Some(module) => own,
            _ => stack.len(),
        };
        stack[..above]
            .iter()
            .rev()
            .copied()
            .find(|&layer| self.modules[layer].export(name).is_some())
    }

    /// How messages refer to input `id` when it provides an import:
    /// "builtin `N`" or "virtualizer `N`".
    pub fn describe(&self, id: ModuleId) -> String {
        self.modules[id].input.to_string()
    }
}

/// Whether an input was given as a virtualizer.
pub fn is_virtualizer(input: &InputName) -> bool {
    matches!(input, InputName::Virtualizer { .. })
}
