//! Component names for core names: one deterministic rule.
//!
//! Core Wasm names are arbitrary UTF-8; a component's import, export and
//! instance-member names must be *kebab-case* labels (`log-i32`, `get`,
//! `u8-native-load`): words of ASCII letters and digits joined by single
//! hyphens, each word all lower-case or all upper-case, the first word
//! starting with a letter. Most names a C or Rust toolchain produces
//! (`log_i32`, `histogram_mode`, `_initialize`) are not, so every core name
//! goes through one rule, [`component_name`]:
//!
//! 1. a name that already is a valid kebab-case label is kept as it is;
//! 2. otherwise every maximal run of characters other than ASCII letters
//!    and digits (`_`, `.`, `$`, non-ASCII, …) becomes one word break, the
//!    letters are lower-cased and the words are joined with `-`
//!    (`log_i32` → `log-i32`, `getValue` → `getvalue`,
//!    `__heap_base` → `heap-base`);
//! 3. if the result is still not a label (it is empty, or its first word
//!    starts with a digit, as in `2d_blur`), the name cannot be mapped and
//!    wrapping fails naming it.
//!
//! The component model also requires the names of one scope (the imports
//! of a component, the exports of a component, the functions of one
//! instance) to differ after lower-casing and removing hyphens, so two core
//! names that map to the same label (`get_x` and `getX`… → `get-x`,
//! `getx`; `a_b` and `a.b` → `a-b`) are an error naming both
//! ([`Scope`]). The rule never guesses and never numbers names apart, so
//! the same module always gets the same names and a host can compute them
//! itself.

use std::collections::BTreeMap;

/// Whether `name` is a kebab-case label the component model accepts as a
/// plain name.
pub fn is_label(name: &str) -> bool {
    wasmparser::names::KebabStr::new(name).is_some()
}

/// The component name of a core name by the rule of this module, or `None`
/// when the name cannot be mapped (step 3).
///
/// ```
/// use wasm_prelink::component::component_name;
/// assert_eq!(component_name("u8-native-load").as_deref(), Some("u8-native-load"));
/// assert_eq!(component_name("log_i32").as_deref(), Some("log-i32"));
/// assert_eq!(component_name("_initialize").as_deref(), Some("initialize"));
/// assert_eq!(component_name("getValue").as_deref(), Some("getvalue"));
/// assert_eq!(component_name("2d_blur"), None);
/// ```
pub fn component_name(core: &str) -> Option<String> {
    if is_label(core) {
        return Some(core.to_string());
    }
    let words: Vec<String> = core
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let mapped = words.join("-");
    is_label(&mapped).then_some(mapped)
}

/// The key under which the component model compares names of one scope:
/// lower-cased, hyphens removed.
fn canonical(label: &str) -> String {
    label
        .chars()
        .filter(|c| *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The names given out in one scope, to find two core names that land on
/// the same component name.
#[derive(Debug, Default)]
pub struct Scope {
    taken: BTreeMap<String, String>,
}

impl Scope {
    /// Records that `core` is called `label` in this scope. Returns the
    /// core name that already holds an equal label, if any.
    pub fn claim(&mut self, core: &str, label: &str) -> Result<(), String> {
        match self.taken.get(&canonical(label)) {
            Some(other) => Err(other.clone()),
            None => {
                self.taken.insert(canonical(label), core.to_string());
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_kept() {
        for name in ["get", "log-i32", "u64-checked-native-store", "ABC", "a1-2"] {
            assert_eq!(component_name(name).as_deref(), Some(name));
        }
    }

    #[test]
    fn other_names_break_into_lower_case_words() {
        assert_eq!(
            component_name("histogram_mode").as_deref(),
            Some("histogram-mode")
        );
        assert_eq!(component_name("__heap_base").as_deref(), Some("heap-base"));
        assert_eq!(component_name("a..b$$c").as_deref(), Some("a-b-c"));
        assert_eq!(component_name("Mixed_Case").as_deref(), Some("mixed-case"));
        assert_eq!(component_name("ключ_x").as_deref(), Some("x"));
    }

    #[test]
    fn unmappable_names_are_refused() {
        for name in ["", "_", "9lives", "ключ", "1-a"] {
            assert_eq!(component_name(name), None, "{name}");
        }
    }

    #[test]
    fn names_equal_up_to_case_and_hyphens_collide() {
        let mut scope = Scope::default();
        scope.claim("get_x", "get-x").unwrap();
        assert_eq!(scope.claim("getX", "getx"), Err("get_x".to_string()));
        assert_eq!(scope.claim("GET-X", "GET-X"), Err("get_x".to_string()));
        scope.claim("set", "set").unwrap();
    }
}
