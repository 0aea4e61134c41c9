//! LEB128 written in place, for writers whose values are mostly one or
//! two bytes (line program rows, the sizes the descriptor pass writes and
//! measures), where a call into the general encoder costs several times
//! the bytes. The encoding is `wasm_encoder`'s, which is also DWARF's; the
//! tests hold it to that.

/// Appends `value` as an unsigned LEB128.
pub(crate) fn unsigned(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// How many bytes [`unsigned`] writes for `value`: one for each 7 bits,
/// and one for 0.
pub(crate) fn unsigned_len(value: u64) -> usize {
    (64 - value.leading_zeros() as usize).div_ceil(7).max(1)
}

/// Writes `value` as an unsigned LEB128 filling all of `dst`, padded with
/// continuation bytes: the form relocatable code keeps its indices in.
/// `dst` must have room for the value.
pub(crate) fn padded(dst: &mut [u8], mut value: u32) {
    let last = dst.len() - 1;
    for (i, byte) in dst.iter_mut().enumerate() {
        *byte = (value & 0x7f) as u8 | if i < last { 0x80 } else { 0 };
        value >>= 7;
    }
}

/// Appends `value` as a signed LEB128.
pub(crate) fn signed(out: &mut Vec<u8>, mut value: i64) {
    // Done when what is left is all sign: the byte's bit 6 then says it.
    while !(-0x40..0x40).contains(&value) {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8 & 0x7f);
}

#[cfg(test)]
mod tests {
    use super::{padded, signed, unsigned, unsigned_len};
    use wasm_encoder::Encode;

    #[test]
    fn leb128_is_the_general_encoding() {
        let unsigned_values =
            (0..20_000u64).chain([u64::from(u32::MAX), u64::MAX, 1 << 63, (1 << 63) - 1]);
        for value in unsigned_values {
            let (mut short, mut general) = (Vec::new(), Vec::new());
            unsigned(&mut short, value);
            value.encode(&mut general);
            assert_eq!(short, general, "{value}");
            assert_eq!(unsigned_len(value), short.len(), "{value}");
        }
        let signed_values =
            (-20_000..20_000i64).chain([i64::MIN, i64::MIN + 1, i64::MAX, -(1 << 62), 1 << 62]);
        for value in signed_values {
            let (mut short, mut general) = (Vec::new(), Vec::new());
            signed(&mut short, value);
            value.encode(&mut general);
            assert_eq!(short, general, "{value}");
        }
    }

    #[test]
    fn padded_leb128_reads_as_its_value_at_its_width() {
        for value in [0u32, 1, 127, 128, 16_383, 16_384, 1 << 21, u32::MAX] {
            for width in unsigned_len(u64::from(value))..=5 {
                let mut bytes = vec![0; width];
                padded(&mut bytes, value);
                let mut reader = wasmparser::BinaryReader::new(&bytes, 0);
                assert_eq!(reader.read_var_u32().unwrap(), value, "{value} in {width}");
                assert!(reader.eof(), "{value} in {width}");
            }
        }
    }
}
