//! A bounds-checked little-endian cursor over DWARF bytes: every read of
//! input that may be hostile answers `None` instead of panicking.

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

    pub(super) fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    pub(super) fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }

    pub(super) fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// An unsigned LEB128 that fits in 64 bits.
    pub(super) fn uleb(&mut self) -> Option<u64> {
        let mut value = 0u64;
        let mut shift = 0;
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
