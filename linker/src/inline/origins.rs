//! Where every item of the merged module came from.
//!
//! The inliner may only copy builtin code into its callers, and dead-code
//! removal may only remove what a builtin (or the linker itself) brought in:
//! items of the app are the program the user wrote, and removing one — even
//! an unused global — could change what a host sees when it inspects the
//! instance. Host imports stay too, whoever imported them: dropping one
//! would let a module instantiate that separately linked would have failed
//! for a missing import. The merged module itself does not record any of
//! this, but the plan does; this file reads it off the plan once, per index
//! space, so the later phases ask a question of a vector instead of
//! re-deriving layout rules.

use super::module::Module;
use crate::error::LinkError;
use crate::index::FuncIdx;
use crate::plan::{MergedTypeGroup, ModuleId, Placed, Plan};

/// Provenance of one item of the merged module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Defined by the app. Never removed, never inlined.
    App,
    /// An import the host satisfies. Never removed.
    Host,
    /// An intrinsic import: removed when nothing uses it any more.
    Intrinsic,
    /// Defined by a builtin: inlined, and removed when unreachable.
    Builtin,
    /// Made by the linker (a synthesized start function, a type it needed):
    /// kept exactly while something uses it.
    Linker,
}

impl Origin {
    /// Whether dead-code removal may drop an item of this origin.
    pub fn removable(self) -> bool {
        matches!(self, Origin::Intrinsic | Origin::Builtin | Origin::Linker)
    }
}

/// The origin of every item of every index space of the merged module.
#[derive(Debug, Clone, Default)]
pub struct Origins {
    /// Types.
    pub types: Vec<Origin>,
    /// Functions, imported ones first.
    pub funcs: Vec<Origin>,
    /// Tables, imported ones first.
    pub tables: Vec<Origin>,
    /// Memories, imported ones first.
    pub memories: Vec<Origin>,
    /// Globals, imported ones first.
    pub globals: Vec<Origin>,
    /// Tags, imported ones first.
    pub tags: Vec<Origin>,
    /// Element segments.
    pub elems: Vec<Origin>,
    /// Data segments.
    pub data: Vec<Origin>,
}

impl Origins {
    /// Reads origins off the plan that produced `module`; `app` is the app's
    /// module id. A disagreement between plan and module is a linker bug.
    pub fn of(plan: &Plan, app: ModuleId, module: &Module<'_>) -> Result<Self, LinkError> {
        let of_module = |id: ModuleId| {
            if id == app {
                Origin::App
            } else {
                Origin::Builtin
            }
        };
        let defined = |placed: &[Placed]| -> Vec<Origin> {
            placed.iter().map(|p| of_module(p.module)).collect()
        };
        let with_imports = |imports: u32, placed: &[Placed]| -> Vec<Origin> {
            let mut origins = vec![Origin::Host; imports as usize];
            origins.extend(defined(placed));
            origins
        };

        let mut types = Vec::with_capacity(module.signatures.len());
        for (group, merged) in module.groups.iter().zip(&plan.type_groups) {
            let origin = match merged {
                MergedTypeGroup::Input { module, .. } => of_module(*module),
                MergedTypeGroup::EmptyFunc => Origin::Linker,
            };
            types.extend(std::iter::repeat_n(origin, group.types().len()));
        }

        let mut funcs = vec![Origin::Host; module.imported.funcs as usize];
        for &index in plan.intrinsic_funcs.keys() {
            if let Some(origin) = funcs.get_mut(index.raw() as usize) {
                *origin = Origin::Intrinsic;
            }
        }
        funcs.extend(defined(&plan.funcs));
        if plan.start_func.is_some() {
            funcs.push(Origin::Linker);
        }

        let segments = |placed: &[(Placed, crate::plan::SegmentMode)]| -> Vec<Origin> {
            placed.iter().map(|(p, _)| of_module(p.module)).collect()
        };
        let origins = Origins {
            types,
            funcs,
            tables: with_imports(module.imported.tables, &plan.tables),
            memories: with_imports(module.imported.memories, &plan.memories),
            globals: with_imports(module.imported.globals, &plan.globals),
            tags: with_imports(module.imported.tags, &plan.tags),
            elems: segments(&plan.elems),
            data: segments(&plan.data),
        };
        let checks = [
            ("type", origins.types.len(), module.signatures.len()),
            ("function", origins.funcs.len(), module.func_types.len()),
            (
                "table",
                origins.tables.len(),
                (module.imported.tables as usize) + module.tables.len(),
            ),
            (
                "memory",
                origins.memories.len(),
                (module.imported.memories as usize) + module.memories.len(),
            ),
            (
                "global",
                origins.globals.len(),
                (module.imported.globals as usize) + module.globals.len(),
            ),
            (
                "tag",
                origins.tags.len(),
                (module.imported.tags as usize) + module.tags.len(),
            ),
            (
                "element segment",
                origins.elems.len(),
                module.elements.len(),
            ),
            ("data segment", origins.data.len(), module.data.len()),
        ];
        for (space, planned, found) in checks {
            if planned != found {
                return Err(LinkError::InvalidOutput(format!(
                    "the plan places {planned} {space} items but the merged module has {found}"
                )));
            }
        }
        Ok(origins)
    }

    /// Whether function `func` is a defined builtin function: the only kind
    /// the inliner copies into callers.
    pub fn is_builtin_func(&self, func: FuncIdx) -> bool {
        self.funcs.get(func.raw() as usize) == Some(&Origin::Builtin)
    }
}
