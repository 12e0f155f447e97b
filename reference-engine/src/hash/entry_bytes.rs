//! The bytes both storages write for an entry: LEB128 varints for lengths, a header that is
//! `field_len << 1 | has_ttl` (so flipping the TTL flag never changes the header's length),
//! and an expire time as 8 little-endian bytes. [`super::listpack`] and [`super::table`]
//! lay out the rest each their own way.

/// The bytes an expire time takes when present.
pub const TTL_BYTES: usize = 8;

/// An entry's first varint: the field's length and, in the low bit, whether a TTL follows.
pub fn header(field_len: usize, has_ttl: bool) -> u64 {
    ((field_len as u64) << 1) | u64::from(has_ttl)
}

/// Appends `n` as LEB128: seven bits a byte, low bits first, high bit set on all but the
/// last byte. Lengths under 128 take one byte.
pub fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Writes `n` as LEB128 at `at`, over bytes already there, and returns the index after it.
pub fn write_varint(buf: &mut [u8], mut at: usize, mut n: u64) -> usize {
    while n >= 0x80 {
        buf[at] = (n as u8) | 0x80;
        n >>= 7;
        at += 1;
    }
    buf[at] = n as u8;
    at + 1
}

/// Reads a LEB128 varint at `at`: the number and the index just after it.
pub fn read_varint(buf: &[u8], mut at: usize) -> (u64, usize) {
    let mut n = 0u64;
    let mut shift = 0;
    loop {
        let byte = buf[at];
        at += 1;
        n |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return (n, at);
        }
        shift += 7;
    }
}

pub fn varint_len(n: u64) -> usize {
    let bits = 64 - (n | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_at_every_length_boundary() {
        for n in [
            0u64,
            1,
            63,
            127,
            128,
            255,
            16_383,
            16_384,
            u32::MAX as u64,
            u64::MAX,
        ] {
            let mut out = vec![0xee];
            put_varint(&mut out, n);
            assert_eq!(out.len() - 1, varint_len(n), "{n}");
            assert_eq!(read_varint(&out, 1), (n, out.len()), "{n}");
        }
        assert_eq!(varint_len(127), 1);
        assert_eq!(varint_len(128), 2);
    }
}
