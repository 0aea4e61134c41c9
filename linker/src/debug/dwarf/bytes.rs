//! A bounds-checked little-endian cursor over DWARF bytes: every read of
//! input that may be hostile answers `None` instead of panicking.

/// How wide the length before a block of form `form` is (0 for a
/// LEB128), if `form` is one of the block forms, `DW_FORM_exprloc` among
/// them.
pub(super) fn block_width(form: gimli::DwForm) -> Option<u8> {
    match form {
        gimli::DW_FORM_block1 => Some(1),
        gimli::DW_FORM_block2 => Some(2),
        gimli::DW_FORM_block4 => Some(4),
        gimli::DW_FORM_block | gimli::DW_FORM_exprloc => Some(0),
        _ => None,
    }
}

/// A position in a byte slice.
#[derive(Clone, Copy, Debug)]
pub(super) struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Bytes<'a> {
    /// A cursor at `pos` in `data`, if that is inside it.
    pub(super) fn at(data: &'a [u8], pos: usize) -> Option<Bytes<'a>> {
        (pos <= data.len()).then_some(Bytes { data, pos })
    }

    /// The position from the start of the slice.
    pub(super) fn position(&self) -> usize {
        self.pos
    }

    /// Whether the cursor is at the end.
    pub(super) fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// Bytes `start..end` of the slice.
    pub(super) fn slice(&self, start: usize, end: usize) -> Option<&'a [u8]> {
        self.data.get(start..end)
    }

    /// The next `n` bytes.
    pub(super) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let bytes = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(bytes)
    }

    /// The next `n` bytes, as a cursor of their own.
    pub(super) fn sub(&mut self, n: usize) -> Option<Bytes<'a>> {
        self.take(n).map(|data| Bytes { data, pos: 0 })
    }

    /// Skips `n` bytes.
    pub(super) fn skip(&mut self, n: usize) -> Option<()> {
        self.take(n).map(|_| ())
    }

    /// The next byte. Read apart from [`Bytes::take`]: it is most of what
    /// the DIE walk and the line rows read, and one index check is all it
    /// needs.
    pub(super) fn u8(&mut self) -> Option<u8> {
        let byte = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(byte)
    }

    pub(super) fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }

    pub(super) fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A little-endian unsigned value `width` bytes wide (at most 8).
    /// Assembled byte by byte: copying a variable number of bytes into an
    /// array calls `memcpy` and then reloads what it stored, a stall on
    /// every `DW_AT_high_pc` of a large module.
    pub(super) fn le(&mut self, width: usize) -> Option<u64> {
        let bytes = self.take(width)?;
        Some(
            bytes
                .iter()
                .rev()
                .fold(0, |value, &byte| value << 8 | u64::from(byte)),
        )
    }

    /// An unsigned LEB128 that fits in 64 bits.
    pub(super) fn uleb(&mut self) -> Option<u64> {
        // Abbreviation codes, columns and file indices are mostly one byte.
        let first = self.u8()?;
        if first & 0x80 == 0 {
            return Some(u64::from(first));
        }
        let mut value = u64::from(first & 0x7f);
        let mut shift = 7;
        loop {
            let byte = self.u8()?;
            if shift >= 64 || (shift == 63 && byte & 0x7e != 0) {
                return None;
            }
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
            shift += 7;
        }
    }

    /// The bytes of a block whose length comes first, as a value of
    /// `width` bytes (0 for a LEB128; see [`block_width`]).
    pub(super) fn block(&mut self, width: u8) -> Option<&'a [u8]> {
        let length = match width {
            1 => usize::from(self.u8()?),
            2 => usize::from(self.u16()?),
            4 => self.u32()? as usize,
            _ => usize::try_from(self.uleb()?).ok()?,
        };
        self.take(length)
    }

    /// Skips a LEB128, signed or not.
    pub(super) fn skip_leb(&mut self) -> Option<()> {
        loop {
            if self.u8()? & 0x80 == 0 {
                return Some(());
            }
        }
    }

    /// A NUL-terminated string, without its NUL.
    pub(super) fn cstr(&mut self) -> Option<&'a [u8]> {
        let rest = self.data.get(self.pos..)?;
        let len = rest.iter().position(|&b| b == 0)?;
        self.pos += len + 1;
        Some(&rest[..len])
    }
}

#[cfg(test)]
mod tests {
    use super::Bytes;
    use gimli::{EndianSlice, LittleEndian, Reader};

    /// Whatever the bytes, an unsigned LEB128 reads as gimli reads it, or
    /// not at all where gimli fails, and the cursor ends where gimli's
    /// does: one-byte values, longer ones, overlong encodings, values at
    /// the edge of 64 bits and truncated ones.
    #[test]
    fn uleb128_reads_as_gimli_reads_it() {
        let mut cases: Vec<Vec<u8>> = Vec::new();
        for value in (0..70_000u64).chain([u64::MAX, 1 << 63, (1 << 63) - 1, u64::from(u32::MAX)]) {
            let mut bytes = Vec::new();
            wasm_encoder::Encode::encode(&value, &mut bytes);
            bytes.push(0x55);
            cases.push(bytes);
        }
        let mut next = crate::debug::dwarf::below(3);
        for _ in 0..20_000 {
            let len = 1 + next(12) as usize;
            cases.push((0..len).map(|_| next(256) as u8).collect());
        }
        cases.push(vec![0x80; 9].into_iter().chain([0x01, 0x00]).collect());
        cases.push(vec![0xff; 9].into_iter().chain([0x01]).collect());
        cases.push(vec![0xff; 9].into_iter().chain([0x02]).collect());
        cases.push(vec![0x80, 0x80, 0x00]);
        for bytes in cases {
            let mut ours = Bytes::at(&bytes, 0).unwrap();
            let mut theirs = EndianSlice::new(&bytes, LittleEndian);
            match (ours.uleb(), theirs.read_uleb128()) {
                (Some(a), Ok(b)) => {
                    assert_eq!(a, b, "{bytes:x?}");
                    assert_eq!(ours.position(), bytes.len() - theirs.len(), "{bytes:x?}");
                }
                (None, Err(_)) => {}
                (a, b) => panic!("{bytes:x?}: {a:?} against {b:?}"),
            }
        }
    }
}
