//! Table initializers that read a global the link has moved.
//!
//! A table's initializer expression (`(table 2 funcref (global.get $g))`)
//! sits in the table section, before the global section, so it may read
//! imported globals only. When the link resolves such an import to a
//! builtin's global, that global becomes a *defined* global of the merged
//! module, and the expression can no longer name it: copied as it is, the
//! output does not validate.
//!
//! So the read is replaced by the global's own initializer, rewritten into
//! the merged numbering, and recursively so for the globals that one reads
//! (a global's initializer reads only globals before it, so this ends).
//! Constant expressions read immutable globals only, so the global's value
//! is exactly what its initializer computes, and computing it once more for
//! the table gives the same value — with one exception: an initializer that
//! allocates (`struct.new`, `array.new*`) gives a new object each time,
//! which `ref.eq` tells apart from the one in the global. Such a table is
//! refused with [`LinkError::Unsupported`] rather than linked with another
//! meaning.

use crate::code::{internal, Rewriter};
use crate::error::LinkError;
use crate::index::{DefinedIdx, Global, Idx};
use crate::info::ModuleInfo;
use crate::plan::{ModuleId, Plan};
use wasm_encoder::reencode::Reencode;
use wasm_encoder::Encode;
use wasmparser::{Operator, TypeRef};

/// The initializer of a table of `module`, in the merged numbering, with
/// every read of a global that is no longer imported replaced as the
/// module documentation says.
pub(crate) fn rewrite(
    modules: &[ModuleInfo<'_>],
    plan: &Plan,
    module: ModuleId,
    expr: &wasmparser::ConstExpr<'_>,
) -> Result<wasm_encoder::ConstExpr, LinkError> {
    let imported_globals = plan
        .imports
        .iter()
        .filter(|i| matches!(modules[i.module].imports[i.import].ty, TypeRef::Global(_)))
        .count() as u32;
    let mut out = Vec::new();
    let context = Context {
        modules,
        plan,
        imported_globals,
        table_owner: module,
    };
    context.append(module, expr, None, &mut out)?;
    Ok(wasm_encoder::ConstExpr::raw(out))
}

struct Context<'p, 'a> {
    modules: &'p [ModuleInfo<'a>],
    plan: &'p Plan,
    imported_globals: u32,
    table_owner: ModuleId,
}

impl Context<'_, '_> {
    /// Appends `expr` of `module` without its final `end`; `via` names the
    /// global whose initializer `expr` is, if it is one.
    fn append(
        &self,
        module: ModuleId,
        expr: &wasmparser::ConstExpr<'_>,
        via: Option<&str>,
        out: &mut Vec<u8>,
    ) -> Result<(), LinkError> {
        let invalid = |e: String| LinkError::InvalidOutput(e);
        let mut rewriter = Rewriter::new(&self.plan.maps[module]);
        let mut ops = expr.get_operators_reader();
        loop {
            let op = ops.read().map_err(|e| invalid(e.to_string()))?;
            match op {
                Operator::End if ops.eof() => return Ok(()),
                Operator::GlobalGet { global_index } => {
                    let merged = self.plan.maps[module]
                        .globals
                        .get(Idx::new(global_index))
                        .raw();
                    match merged.checked_sub(self.imported_globals) {
                        None => wasm_encoder::Instruction::GlobalGet(merged).encode(out),
                        Some(defined) => {
                            let placed = self.plan.globals[defined as usize];
                            let owner = &self.modules[placed.module];
                            let global = &owner.globals[placed.index as usize];
                            let name = format!(
                                "global {} of {}",
                                owner
                                    .imported
                                    .absolute(DefinedIdx::<Global>::new(placed.index))
                                    .raw(),
                                owner.input
                            );
                            self.append(placed.module, &global.init_expr, Some(&name), out)?;
                        }
                    }
                }
                Operator::StructNew { .. }
                | Operator::StructNewDefault { .. }
                | Operator::ArrayNew { .. }
                | Operator::ArrayNewDefault { .. }
                | Operator::ArrayNewFixed { .. }
                    if via.is_some() =>
                {
                    return Err(LinkError::Unsupported {
                        input: self.modules[self.table_owner].input.clone(),
                        what: format!(
                            "a table initialized from {}, whose initializer allocates; \
                             once the global is linked in, the table would get a new object \
                             instead of the global's",
                            via.unwrap_or_default()
                        ),
                    });
                }
                op => rewriter
                    .instruction(op)
                    .map_err(|e| invalid(internal(e)))?
                    .encode(out),
            }
        }
    }
}
