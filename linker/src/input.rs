//! Telling a binary module from a text one, and recognizing neither.
//!
//! Every input may be binary or text, told apart by content: a binary
//! module starts with the magic bytes `\0asm`, and anything else is handed
//! to the text parser. That rule alone gives poor messages for the inputs
//! people actually pass by mistake: an empty file (which the text parser
//! would even accept, as a module with nothing in it), a download cut off
//! after a few bytes, a file of another format, or a text file an editor
//! saved with a UTF-8 byte-order mark, which the text format does not
//! allow. Those get [`LinkError::NotAModule`], saying what was seen.

use crate::error::{InputName, LinkError};
use std::borrow::Cow;

/// The magic number every binary module starts with.
const MAGIC: &[u8; 4] = b"\0asm";

/// The UTF-8 byte-order mark some editors put before text.
const BYTE_ORDER_MARK: &[u8; 3] = b"\xef\xbb\xbf";

/// How many leading bytes a message shows of an unrecognized input.
const SHOWN_BYTES: usize = 8;

/// Accepts binary or text, telling them apart by content. Binary input is
/// borrowed, not copied: for multi-megabyte modules the copy would be a
/// third of the linker's memory.
pub fn to_binary<'a>(input: &InputName, bytes: &'a [u8]) -> Result<Cow<'a, [u8]>, LinkError> {
    if bytes.starts_with(MAGIC) {
        return Ok(Cow::Borrowed(bytes));
    }
    if let Some(seen) = unrecognized(bytes) {
        return Err(LinkError::NotAModule {
            input: input.clone(),
            seen,
        });
    }
    wat::parse_bytes(bytes)
        .map(|b| Cow::Owned(b.into_owned()))
        .map_err(|e| LinkError::Invalid {
            input: input.clone(),
            message: e.to_string(),
        })
}

/// What an input that is neither binary nor text looks like, or `None`
/// when the text parser should decide.
fn unrecognized(bytes: &[u8]) -> Option<String> {
    if bytes.is_empty() {
        return Some("the input is empty".into());
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Some(format!(
            "the input holds only white space ({} bytes)",
            bytes.len()
        ));
    }
    if bytes.starts_with(BYTE_ORDER_MARK) {
        return Some(
            "the input starts with a UTF-8 byte-order mark (`ef bb bf`), which the text format does not allow"
                .into(),
        );
    }
    if MAGIC.starts_with(bytes) {
        return Some(format!(
            "the input is {} byte(s) long (`{}`), the start of a binary module's magic number and nothing more",
            bytes.len(),
            hex(bytes)
        ));
    }
    let binary = bytes.iter().take(4).any(|b| *b == 0 || *b >= 0x80);
    if binary {
        let shown = &bytes[..bytes.len().min(SHOWN_BYTES)];
        return Some(format!(
            "it starts with `{}`{}, not the binary magic number `{}`, and is not text",
            hex(shown),
            if bytes.len() > SHOWN_BYTES { "…" } else { "" },
            hex(MAGIC)
        ));
    }
    None
}

/// Bytes as space-separated hex pairs.
fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(bytes: &[u8]) -> String {
        to_binary(&InputName::App, bytes).unwrap_err().to_string()
    }

    #[test]
    fn empty_and_blank_inputs_are_not_modules() {
        assert_eq!(
            message(b""),
            "the app is not a WebAssembly module (binary or text): the input is empty"
        );
        assert_eq!(
            message(b" \n\t"),
            "the app is not a WebAssembly module (binary or text): the input holds only white space (3 bytes)"
        );
    }

    #[test]
    fn fragments_and_marks_say_what_was_seen() {
        assert_eq!(
            message(b"\0as"),
            "the app is not a WebAssembly module (binary or text): the input is 3 byte(s) long (`00 61 73`), the start of a binary module's magic number and nothing more"
        );
        assert!(message(b"\xef\xbb\xbf(module)").contains("byte-order mark (`ef bb bf`)"));
        assert!(message(b"\xef\xbb\xbf").contains("byte-order mark"));
        assert_eq!(
            message(b"\xca\xfe\xba\xbe\0\0\0\x34\x01"),
            "the app is not a WebAssembly module (binary or text): it starts with `ca fe ba be 00 00 00 34`…, not the binary magic number `00 61 73 6d`, and is not text"
        );
    }

    #[test]
    fn text_and_binary_still_pass() {
        assert!(to_binary(&InputName::App, b"(module)").is_ok());
        assert!(to_binary(&InputName::App, b"\0asm\x01\0\0\0").is_ok());
    }
}
