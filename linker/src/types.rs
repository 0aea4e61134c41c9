//! Types across modules: import matching, and the merged type section.
//!
//! All inputs are validated by one `wasmparser::Validator`, which
//! canonicalizes rec groups into one id space: two structurally identical
//! types of different modules get the same `CoreTypeId`. That makes import
//! matching a comparison of ids plus Wasm's subtyping rules (declared
//! supertype chains for concrete types, the fixed hierarchy for abstract
//! heap types), with no structural walk of our own.
//!
//! The merged type section is the app's types unchanged, then each
//! builtin's rec groups re-encoded. A builtin group that is a single type
//! without self-references and already exists (after renumbering) is not
//! emitted again: typical builtins share every function signature with the
//! app, and their intrinsic signatures with each other. Groups with several
//! types or self-references are always emitted; they stay equivalent to
//! the original because canonicalization is structural.

use crate::describe;
use crate::error::LinkError;
use crate::index::{Idx, IndexMap, MergedIdx, ModuleMaps, Type};
use crate::info::ModuleId;
use crate::info::ModuleInfo;
use std::collections::HashMap;
use std::convert::Infallible;
use wasm_encoder::reencode::{Error as ReencodeError, Reencode};
use wasm_encoder::Encode;
use wasmparser::types::{CoreTypeId, Types};
use wasmparser::{
    AbstractHeapType, CompositeInnerType, ExternalKind, GlobalType, HeapType, MemoryType, RefType,
    TableType, TypeRef, ValType,
};

/// The type of an importable item, with type references canonicalized so
/// that equal values mean equal types, whichever module they came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityType {
    /// A function of this type.
    Func(CoreTypeId),
    /// A table.
    Table(TableType),
    /// A memory.
    Memory(MemoryType),
    /// A global.
    Global(GlobalType),
    /// A tag of this function type.
    Tag(CoreTypeId),
}

/// The canonical type of import `ty` of `module`, which is item
/// `index_in_kind` of its kind (imports come first in every space).
pub fn entity_type(module: &ModuleInfo<'_>, ty: TypeRef, index_in_kind: u32) -> EntityType {
    let types = module.types.as_ref();
    match ty {
        TypeRef::Func(_) | TypeRef::FuncExact(_) => {
            EntityType::Func(types.core_function_at(index_in_kind))
        }
        TypeRef::Table(_) => EntityType::Table(types.table_at(index_in_kind)),
        TypeRef::Memory(_) => EntityType::Memory(types.memory_at(index_in_kind)),
        TypeRef::Global(_) => EntityType::Global(types.global_at(index_in_kind)),
        TypeRef::Tag(_) => EntityType::Tag(types.tag_at(index_in_kind)),
    }
}

/// The canonical type of export item `index` of kind `kind` of `module`.
pub fn export_entity_type(module: &ModuleInfo<'_>, kind: ExternalKind, index: u32) -> EntityType {
    let types = module.types.as_ref();
    match kind {
        ExternalKind::Func | ExternalKind::FuncExact => {
            EntityType::Func(types.core_function_at(index))
        }
        ExternalKind::Table => EntityType::Table(types.table_at(index)),
        ExternalKind::Memory => EntityType::Memory(types.memory_at(index)),
        ExternalKind::Global => EntityType::Global(types.global_at(index)),
        ExternalKind::Tag => EntityType::Tag(types.tag_at(index)),
    }
}

/// Wasm's import matching: may an item of type `actual` satisfy an import
/// declared as `expected`?
pub fn entity_matches(universe: &Types, actual: &EntityType, expected: &EntityType) -> bool {
    match (actual, expected) {
        (EntityType::Func(a), EntityType::Func(e)) => id_is_subtype(universe, *a, *e),
        (EntityType::Table(a), EntityType::Table(e)) => {
            a.element_type == e.element_type
                && a.table64 == e.table64
                && a.shared == e.shared
                && limits_match(a.initial, a.maximum, e.initial, e.maximum)
        }
        (EntityType::Memory(a), EntityType::Memory(e)) => {
            a.memory64 == e.memory64
                && a.shared == e.shared
                && a.page_size_log2 == e.page_size_log2
                && limits_match(a.initial, a.maximum, e.initial, e.maximum)
        }
        (EntityType::Global(a), EntityType::Global(e)) => {
            a.mutable == e.mutable
                && a.shared == e.shared
                && if a.mutable {
                    a.content_type == e.content_type
                } else {
                    val_is_subtype(universe, a.content_type, e.content_type)
                }
        }
        (EntityType::Tag(a), EntityType::Tag(e)) => a == e,
        _ => false,
    }
}

fn limits_match(
    actual_min: u64,
    actual_max: Option<u64>,
    expected_min: u64,
    expected_max: Option<u64>,
) -> bool {
    actual_min >= expected_min
        && match (actual_max, expected_max) {
            (_, None) => true,
            (Some(a), Some(e)) => a <= e,
            (None, Some(_)) => false,
        }
}

fn id_is_subtype(universe: &Types, mut a: CoreTypeId, b: CoreTypeId) -> bool {
    loop {
        if a == b {
            return true;
        }
        match universe.as_ref().supertype_of(a) {
            Some(parent) => a = parent,
            None => return false,
        }
    }
}

fn val_is_subtype(universe: &Types, a: ValType, b: ValType) -> bool {
    match (a, b) {
        (ValType::Ref(a), ValType::Ref(b)) => ref_is_subtype(universe, a, b),
        (a, b) => a == b,
    }
}

fn ref_is_subtype(universe: &Types, a: RefType, b: RefType) -> bool {
    if a.is_nullable() && !b.is_nullable() {
        return false;
    }
    let id = |ty: HeapType| match ty {
        HeapType::Concrete(i) | HeapType::Exact(i) => i.as_core_type_id(),
        HeapType::Abstract { .. } => None,
    };
    match (a.heap_type(), b.heap_type()) {
        (x, y) if x == y => true,
        (HeapType::Abstract { shared: sa, ty: ta }, HeapType::Abstract { shared: sb, ty: tb }) => {
            sa == sb && abstract_is_subtype(ta, tb)
        }
        (
            concrete @ (HeapType::Concrete(_) | HeapType::Exact(_)),
            HeapType::Abstract { shared, ty },
        ) => {
            let Some(a_id) = id(concrete) else {
                return false;
            };
            let composite = &universe[a_id].composite_type;
            let top = match composite.inner {
                CompositeInnerType::Func(_) => AbstractHeapType::Func,
                CompositeInnerType::Struct(_) => AbstractHeapType::Struct,
                CompositeInnerType::Array(_) => AbstractHeapType::Array,
                CompositeInnerType::Cont(_) => AbstractHeapType::Cont,
            };
            composite.shared == shared && abstract_is_subtype(top, ty)
        }
        (
            HeapType::Abstract { shared, ty },
            concrete @ (HeapType::Concrete(_) | HeapType::Exact(_)),
        ) => {
            let Some(b_id) = id(concrete) else {
                return false;
            };
            let composite = &universe[b_id].composite_type;
            let bottom = match composite.inner {
                CompositeInnerType::Func(_) => AbstractHeapType::NoFunc,
                CompositeInnerType::Struct(_) | CompositeInnerType::Array(_) => {
                    AbstractHeapType::None
                }
                CompositeInnerType::Cont(_) => AbstractHeapType::NoCont,
            };
            composite.shared == shared && ty == bottom
        }
        (HeapType::Exact(a), HeapType::Exact(b)) => a == b,
        (HeapType::Concrete(_), HeapType::Exact(_)) => false,
        (a_ty, HeapType::Concrete(b)) => match (id(a_ty), b.as_core_type_id()) {
            (Some(a_id), Some(b_id)) => id_is_subtype(universe, a_id, b_id),
            _ => false,
        },
    }
}

/// The fixed hierarchy of abstract heap types.
fn abstract_is_subtype(a: AbstractHeapType, b: AbstractHeapType) -> bool {
    use AbstractHeapType::*;
    a == b
        || match b {
            Any => matches!(a, Eq | I31 | Struct | Array | None),
            Eq => matches!(a, I31 | Struct | Array | None),
            I31 | Struct | Array => a == None,
            Func => a == NoFunc,
            Extern => a == NoExtern,
            Exn => a == NoExn,
            Cont => a == NoCont,
            None | NoFunc | NoExtern | NoExn | NoCont => false,
        }
}

/// An entity type in text-format spelling, for error messages.
pub fn entity_text(universe: &Types, ty: &EntityType) -> String {
    let limits = |min: u64, max: Option<u64>| match max {
        Some(max) => format!("{min} {max}"),
        None => min.to_string(),
    };
    match ty {
        EntityType::Func(id) => func_text(universe, *id),
        EntityType::Tag(id) => {
            let func = func_text(universe, *id);
            format!(
                "(tag {})",
                func.trim_start_matches("(func")
                    .strip_suffix(')')
                    .unwrap_or_default()
                    .trim()
            )
            .replace("(tag )", "(tag)")
        }
        EntityType::Table(t) => format!(
            "(table {}{}{} {})",
            if t.table64 { "i64 " } else { "" },
            if t.shared { "shared " } else { "" },
            limits(t.initial, t.maximum),
            describe::ref_type(universe, t.element_type)
        ),
        EntityType::Memory(m) => format!(
            "(memory {}{}{})",
            if m.memory64 { "i64 " } else { "" },
            limits(m.initial, m.maximum),
            if m.shared { " shared" } else { "" }
        ),
        EntityType::Global(g) => {
            let content = describe::val_type(universe, g.content_type);
            if g.mutable {
                format!("(global (mut {content}))")
            } else {
                format!("(global {content})")
            }
        }
    }
}

fn func_text(universe: &Types, id: CoreTypeId) -> String {
    describe::func_type(universe, id)
}

/// What differs between two entity types whose spellings
/// ([`entity_text`]) are alike, in words; `None` when the spellings show
/// it. Only function and tag types can hide a difference (a rec group,
/// `final`, a supertype); tables and globals refer to a type the same way
/// their spelling does.
pub fn hidden_difference(
    universe: &Types,
    expected: &EntityType,
    found: &EntityType,
) -> Option<String> {
    match (expected, found) {
        (EntityType::Func(a), EntityType::Func(b)) | (EntityType::Tag(a), EntityType::Tag(b)) => {
            describe::difference(universe, *a, *b)
        }
        _ => (entity_text(universe, expected) == entity_text(universe, found)).then(|| {
            "the two types are spelled alike but refer to types from different rec groups"
                .to_string()
        }),
    }
}

/// Maps type indices through a module's (partially built) type map and
/// notices references into the group being keyed, which make it
/// ineligible for deduplication.
struct TypeKeyer<'a> {
    map: &'a IndexMap<Type>,
    group_start: u32,
    self_reference: bool,
}

impl Reencode for TypeKeyer<'_> {
    type Error = Infallible;

    fn type_index(&mut self, ty: u32) -> Result<u32, ReencodeError<Infallible>> {
        if ty >= self.group_start {
            self.self_reference = true;
            return Ok(ty - self.group_start);
        }
        Ok(self.map.get(Idx::new(ty)).raw())
    }
}

/// The deduplication key of a single-type group, if it has one.
fn dedup_key(
    map: &IndexMap<Type>,
    group_start: u32,
    group: &wasmparser::RecGroup,
) -> Option<Vec<u8>> {
    let mut types = group.types();
    let (Some(sub_type), None) = (types.next(), types.next()) else {
        return None;
    };
    key_of(map, group_start, sub_type.clone())
}

fn key_of(
    map: &IndexMap<Type>,
    group_start: u32,
    sub_type: wasmparser::SubType,
) -> Option<Vec<u8>> {
    let mut keyer = TypeKeyer {
        map,
        group_start,
        self_reference: false,
    };
    let encoded = keyer.sub_type(sub_type).ok()?;
    if keyer.self_reference {
        return None;
    }
    let mut section = wasm_encoder::TypeSection::new();
    section.ty().subtype(&encoded);
    let mut key = Vec::new();
    section.encode(&mut key);
    Some(key)
}

/// Lays out the merged type section and fills every module's type map.
/// Returns the groups, the index of a `(func)` type for a synthesized start
/// function (appended as the last group when no existing type fits), and
/// how many builtin types were deduplicated.
pub fn plan_types(
    modules: &[ModuleInfo<'_>],
    layout_order: &[ModuleId],
    maps: &mut [ModuleMaps],
) -> Result<(Vec<MergedTypeGroup>, Option<u32>, usize), LinkError> {
    let mut groups = Vec::new();
    let mut existing: HashMap<Vec<u8>, u32> = HashMap::new();
    let mut next_type = 0u32;
    let mut deduplicated = 0;
    for (position, &id) in layout_order.iter().enumerate() {
        let is_app = position == 0;
        let module = &modules[id];
        let mut input_index = 0u32;
        for (group_index, group) in module.rec_groups.iter().enumerate() {
            let size = group.types().len() as u32;
            let key = dedup_key(&maps[id].types, input_index, group);
            if !is_app {
                if let Some(&merged) = key.as_ref().and_then(|k| existing.get(k)) {
                    maps[id].types.push(MergedIdx::new(merged));
                    input_index += 1;
                    deduplicated += 1;
                    continue;
                }
            }
            if let Some(key) = key {
                existing.entry(key).or_insert(next_type);
            }
            groups.push(MergedTypeGroup::Input {
                module: id,
                group: group_index,
            });
            for _ in 0..size {
                maps[id].types.push(MergedIdx::new(next_type));
                next_type += 1;
            }
            input_index += size;
        }
    }
    let empty = wasmparser::SubType::func(wasmparser::FuncType::new([], []), false);
    let empty_key = key_of(&IndexMap::default(), 0, empty).expect("no references");
    let start_type = match existing.get(&empty_key) {
        Some(&index) => index,
        None => {
            groups.push(MergedTypeGroup::EmptyFunc);
            next_type
        }
    };
    Ok((groups, Some(start_type), deduplicated))
}

/// A rec group of the merged type section.
#[derive(Debug, Clone, Copy)]
pub enum MergedTypeGroup {
    /// An input's rec group, re-encoded with that input's maps.
    Input {
        /// The input.
        module: ModuleId,
        /// Position of the group in the input's type section.
        group: usize,
    },
    /// The `(func)` type the synthesized start function needs.
    EmptyFunc,
}
