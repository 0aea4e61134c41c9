//! Types as a user reads them in an error message.
//!
//! After validation every concrete type reference is a canonical id of the
//! validator's, shared by all inputs; wasmparser prints it as `(id 0)`,
//! which means nothing to the person whose import did not match. Here a
//! referenced type is spelled out by its structure, the way the text format
//! would inline it — `(ref null (struct (field i32)))` — down to
//! `MAX_DEPTH` levels, below which it is `…`: a recursive type has no
//! finite spelling, and a message is no place for a large one anyway.
//!
//! Two types can print alike and still differ: Wasm's types are equal only
//! when their whole rec groups are, and a type's `sub` declaration
//! (whether it is `final`, which supertype it names) is part of it.
//! [`difference`] finds such a hidden difference and says it in words, so a
//! message never shows two identical spellings with nothing in between.

use wasmparser::types::{CoreTypeId, Types};
use wasmparser::{
    CompositeInnerType, FieldType, FuncType, HeapType, RefType, StorageType, SubType, ValType,
};

/// How many levels of referenced types are spelled out.
const MAX_DEPTH: usize = 2;

/// A value type in text-format spelling, concrete references spelled out.
pub fn val_type(universe: &Types, ty: ValType) -> String {
    val_type_at(universe, ty, 0)
}

/// A reference type in text-format spelling.
pub fn ref_type(universe: &Types, ty: RefType) -> String {
    ref_type_at(universe, ty, 0)
}

/// The function type `id` in text-format spelling, `sub` included when it
/// is not the default (final, no supertype).
pub fn func_type(universe: &Types, id: CoreTypeId) -> String {
    sub_type_at(universe, id, 0)
}

/// The first difference between `expected` and `found` that their
/// spellings do not show, as a sentence; `None` when the spellings already
/// differ or the types are the same.
pub fn difference(universe: &Types, expected: CoreTypeId, found: CoreTypeId) -> Option<String> {
    if expected == found || func_type(universe, expected) != func_type(universe, found) {
        return None;
    }
    let Some(hidden) = hidden_difference(universe, expected, found, 0) else {
        return Some(
            "the two types are spelled alike but are not the same type: their rec groups differ in another of their types"
                .to_string(),
        );
    };
    let subject = if hidden.path.is_empty() {
        "the types".to_string()
    } else {
        format!("the types of {}", hidden.path.join(", then "))
    };
    Some(format!(
        "{subject} differ in their {}: {}",
        hidden.aspect, hidden.detail
    ))
}

/// A difference two spellings do not show.
struct Hidden {
    /// Where, from the outer type inwards (`parameter 1`, `field 2`).
    path: Vec<String>,
    /// What differs: `rec group`, `final`, `sub` declaration.
    aspect: &'static str,
    /// How, expected first.
    detail: String,
}

fn val_type_at(universe: &Types, ty: ValType, depth: usize) -> String {
    match ty {
        ValType::I32 => "i32".into(),
        ValType::I64 => "i64".into(),
        ValType::F32 => "f32".into(),
        ValType::F64 => "f64".into(),
        ValType::V128 => "v128".into(),
        ValType::Ref(r) => ref_type_at(universe, r, depth),
    }
}

fn ref_type_at(universe: &Types, ty: RefType, depth: usize) -> String {
    let null = if ty.is_nullable() { "null " } else { "" };
    match ty.heap_type() {
        HeapType::Abstract { .. } => ty.to_string(),
        HeapType::Concrete(index) => format!(
            "(ref {null}{})",
            concrete_at(universe, index.as_core_type_id(), depth + 1)
        ),
        HeapType::Exact(index) => format!(
            "(ref {null}(exact {}))",
            concrete_at(universe, index.as_core_type_id(), depth + 1)
        ),
    }
}

fn concrete_at(universe: &Types, id: Option<CoreTypeId>, depth: usize) -> String {
    match id {
        Some(id) if depth <= MAX_DEPTH => sub_type_at(universe, id, depth),
        _ => "…".into(),
    }
}

fn sub_type_at(universe: &Types, id: CoreTypeId, depth: usize) -> String {
    let sub = &universe[id];
    let composite = composite_at(universe, sub, depth);
    let supertype = universe.as_ref().supertype_of(id);
    if sub.is_final && supertype.is_none() {
        return composite;
    }
    let mut text = String::from("(sub ");
    if sub.is_final {
        text.push_str("final ");
    }
    if let Some(supertype) = supertype {
        text.push_str(&concrete_at(universe, Some(supertype), depth + 1));
        text.push(' ');
    }
    text.push_str(&composite);
    text.push(')');
    text
}

fn composite_at(universe: &Types, sub: &SubType, depth: usize) -> String {
    match &sub.composite_type.inner {
        CompositeInnerType::Func(f) => func_at(universe, f, depth),
        CompositeInnerType::Struct(s) => {
            let mut text = String::from("(struct");
            for field in s.fields.iter() {
                text.push_str(" (field ");
                text.push_str(&field_at(universe, field, depth));
                text.push(')');
            }
            text.push(')');
            text
        }
        CompositeInnerType::Array(a) => format!("(array {})", field_at(universe, &a.0, depth)),
        CompositeInnerType::Cont(c) => {
            format!(
                "(cont {})",
                concrete_at(universe, c.0.as_core_type_id(), depth + 1)
            )
        }
    }
}

fn func_at(universe: &Types, f: &FuncType, depth: usize) -> String {
    let list = |keyword: &str, types: &[ValType]| {
        if types.is_empty() {
            return String::new();
        }
        let spelled: Vec<String> = types
            .iter()
            .map(|t| val_type_at(universe, *t, depth))
            .collect();
        format!(" ({keyword} {})", spelled.join(" "))
    };
    format!(
        "(func{}{})",
        list("param", f.params()),
        list("result", f.results())
    )
}

fn field_at(universe: &Types, field: &FieldType, depth: usize) -> String {
    let storage = match field.element_type {
        StorageType::I8 => "i8".into(),
        StorageType::I16 => "i16".into(),
        StorageType::Val(v) => val_type_at(universe, v, depth),
    };
    if field.mutable {
        format!("(mut {storage})")
    } else {
        storage
    }
}

/// Compares the parts of two types a spelling does not show: rec groups,
/// `final`, supertypes; then the types they refer to, pairwise.
fn hidden_difference(
    universe: &Types,
    expected: CoreTypeId,
    found: CoreTypeId,
    depth: usize,
) -> Option<Hidden> {
    if expected == found || depth > MAX_DEPTH + 1 {
        return None;
    }
    let group = |id: CoreTypeId| {
        let members: Vec<CoreTypeId> = universe
            .as_ref()
            .rec_group_elements(universe.as_ref().rec_group_id_of(id))
            .collect();
        let position = members.iter().position(|&m| m == id).unwrap_or(0);
        (members.len(), position)
    };
    let (expected_group, found_group) = (group(expected), group(found));
    if expected_group != found_group {
        let describe = |(size, position): (usize, usize)| match size {
            1 => "alone in its rec group".to_string(),
            n => format!("type {} of a rec group of {n}", position + 1),
        };
        return Some(Hidden {
            path: Vec::new(),
            aspect: "rec group",
            detail: format!(
                "the expected type is {}, the exported one is {}",
                describe(expected_group),
                describe(found_group)
            ),
        });
    }
    let (a, b) = (&universe[expected], &universe[found]);
    if a.is_final != b.is_final {
        let finality = |sub: &SubType| {
            if sub.is_final {
                "`final`"
            } else {
                "not `final`"
            }
        };
        return Some(Hidden {
            path: Vec::new(),
            aspect: "`final`",
            detail: format!(
                "the expected type is {}, the exported one is {}",
                finality(a),
                finality(b)
            ),
        });
    }
    let (super_a, super_b) = (
        universe.as_ref().supertype_of(expected),
        universe.as_ref().supertype_of(found),
    );
    if super_a.is_some() != super_b.is_some() {
        let declares = |s: Option<CoreTypeId>| {
            if s.is_some() {
                "declares a supertype"
            } else {
                "declares none"
            }
        };
        return Some(Hidden {
            path: Vec::new(),
            aspect: "`sub` declaration",
            detail: format!(
                "the expected type {}, the exported one {}",
                declares(super_a),
                declares(super_b)
            ),
        });
    }
    if let (Some(sa), Some(sb)) = (super_a, super_b) {
        if let Some(mut inner) = hidden_difference(universe, sa, sb, depth + 1) {
            inner.path.insert(0, "the supertype".into());
            return Some(inner);
        }
    }
    referenced_pairs(a, b).into_iter().find_map(|(what, x, y)| {
        hidden_difference(universe, x, y, depth + 1).map(|mut inner| {
            inner.path.insert(0, what);
            inner
        })
    })
}

/// The concrete types two structurally alike types refer to, pairwise,
/// each with where it occurs.
fn referenced_pairs(a: &SubType, b: &SubType) -> Vec<(String, CoreTypeId, CoreTypeId)> {
    let id = |t: ValType| match t {
        ValType::Ref(r) => match r.heap_type() {
            HeapType::Concrete(i) | HeapType::Exact(i) => i.as_core_type_id(),
            HeapType::Abstract { .. } => None,
        },
        _ => None,
    };
    let storage = |f: &FieldType| match f.element_type {
        StorageType::Val(v) => id(v),
        _ => None,
    };
    let mut pairs = Vec::new();
    let mut push = |what: String, x: Option<CoreTypeId>, y: Option<CoreTypeId>| {
        if let (Some(x), Some(y)) = (x, y) {
            pairs.push((what, x, y));
        }
    };
    match (&a.composite_type.inner, &b.composite_type.inner) {
        (CompositeInnerType::Func(f), CompositeInnerType::Func(g)) => {
            for (i, (x, y)) in f.params().iter().zip(g.params()).enumerate() {
                push(format!("parameter {}", i + 1), id(*x), id(*y));
            }
            for (i, (x, y)) in f.results().iter().zip(g.results()).enumerate() {
                push(format!("result {}", i + 1), id(*x), id(*y));
            }
        }
        (CompositeInnerType::Struct(s), CompositeInnerType::Struct(t)) => {
            for (i, (x, y)) in s.fields.iter().zip(t.fields.iter()).enumerate() {
                push(format!("field {}", i + 1), storage(x), storage(y));
            }
        }
        (CompositeInnerType::Array(x), CompositeInnerType::Array(y)) => {
            push("the element type".into(), storage(&x.0), storage(&y.0));
        }
        (CompositeInnerType::Cont(x), CompositeInnerType::Cont(y)) => {
            push(
                "the function type".into(),
                x.0.as_core_type_id(),
                y.0.as_core_type_id(),
            );
        }
        _ => {}
    }
    pairs
}
