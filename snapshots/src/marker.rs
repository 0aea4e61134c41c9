//! The `*-unsupported.txt` markers of a case folder, shared by the suites
//! that run cases somewhere besides Wasmtime's core API (the reference
//! runtime, the wrapped component): which inline modes a marker covers,
//! and what a case did under it.

use wasm_prelink::InlineMode;

/// The inline modes every suite runs a case in, with their labels.
pub const MODES: [(InlineMode, &str); 3] = [
    (InlineMode::None, "none"),
    (InlineMode::Auto, "auto"),
    (InlineMode::All, "all"),
];

/// What one case did in a suite.
pub enum Outcome {
    /// Every mode agreed with the reference.
    Agreed,
    /// Listed as unsupported in some modes: those failed, the others agreed.
    Unsupported {
        /// How many modes agreed.
        agreed: usize,
    },
}

/// The inline modes the marker `file` (its text `marker`) covers: the
/// labels on its first line when that line is `inline: <mode>...` (a
/// feature only some modes keep, such as a tag that only dead code uses),
/// otherwise all.
pub fn unsupported_modes<'m>(marker: &'m str, file: &str) -> Result<Vec<&'m str>, String> {
    let first = marker.lines().next().unwrap_or("");
    let Some(labels) = first.strip_prefix("inline:") else {
        return Ok(MODES.iter().map(|(_, label)| *label).collect());
    };
    let labels: Vec<&str> = labels.split_whitespace().collect();
    match labels
        .iter()
        .find(|l| !MODES.iter().any(|(_, label)| label == *l))
    {
        Some(unknown) => Err(format!("{file} names the unknown inline mode `{unknown}`")),
        None if labels.is_empty() => Err(format!("{file}: `inline:` names no mode")),
        None => Ok(labels),
    }
}
