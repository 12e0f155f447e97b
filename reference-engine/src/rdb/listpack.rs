//! Redis's listpack, the byte format of a small hash inside a DUMP payload:
//!
//! ```text
//! <total bytes: u32 LE> <entry count: u16 LE> <entry> ... <0xFF>
//! entry = <encoding + data> <backlen: the entry's length, 1..5 bytes, read from the end>
//! ```
//!
//! An entry that reads as a decimal i64 (`string2ll`'s rules) is stored as the smallest of
//! the integer encodings (7, 13, 16, 24, 32 or 64 bits); anything else as a string with a
//! 6-, 12- or 32-bit length. This is not the engine's own listpack (`hash::listpack`), which
//! only borrows the idea; this one must match Redis byte for byte.

use crate::strconv::parse_i64;

const HEADER: usize = 6;
const END: u8 = 0xff;
/// The entry count when it does not fit the header's u16 (then it is counted by walking).
const COUNT_UNKNOWN: u16 = u16::MAX;

/// Builds a listpack from `entries` in order.
pub fn encode<'a>(entries: impl IntoIterator<Item = Entry<'a>>) -> Vec<u8> {
    let mut lp = vec![0u8; HEADER];
    let mut count: usize = 0;
    for entry in entries {
        let start = lp.len();
        match entry {
            Entry::Bytes(s) => match parse_i64(s) {
                Some(v) => put_int(&mut lp, v),
                None => put_str(&mut lp, s),
            },
            Entry::Int(v) => put_int(&mut lp, v),
        }
        let len = lp.len() - start;
        put_backlen(&mut lp, len);
        count += 1;
    }
    lp.push(END);
    let total = lp.len() as u32;
    lp[..4].copy_from_slice(&total.to_le_bytes());
    let count = u16::try_from(count)
        .unwrap_or(COUNT_UNKNOWN)
        .min(COUNT_UNKNOWN);
    lp[4..6].copy_from_slice(&count.to_le_bytes());
    lp
}

/// One element to store.
#[derive(Debug, Clone, Copy)]
pub enum Entry<'a> {
    Bytes(&'a [u8]),
    Int(i64),
}

fn put_int(lp: &mut Vec<u8>, v: i64) {
    if (0..=127).contains(&v) {
        lp.push(v as u8);
    } else if (-4096..=4095).contains(&v) {
        let u = (v as u64) & 0x1fff;
        lp.push(0xc0 | (u >> 8) as u8);
        lp.push(u as u8);
    } else if let Ok(v) = i16::try_from(v) {
        lp.push(0xf1);
        lp.extend_from_slice(&v.to_le_bytes());
    } else if (-(1 << 23)..(1 << 23)).contains(&v) {
        lp.push(0xf2);
        lp.extend_from_slice(&v.to_le_bytes()[..3]);
    } else if let Ok(v) = i32::try_from(v) {
        lp.push(0xf3);
        lp.extend_from_slice(&v.to_le_bytes());
    } else {
        lp.push(0xf4);
        lp.extend_from_slice(&v.to_le_bytes());
    }
}

fn put_str(lp: &mut Vec<u8>, s: &[u8]) {
    let len = s.len();
    if len < 64 {
        lp.push(0x80 | len as u8);
    } else if len < 4096 {
        lp.push(0xe0 | (len >> 8) as u8);
        lp.push(len as u8);
    } else {
        lp.push(0xf0);
        lp.extend_from_slice(&(len as u32).to_le_bytes());
    }
    lp.extend_from_slice(s);
}

/// The entry's length, most significant 7 bits first, every byte but the first flagged, so
/// that it reads back from the entry's end. The thresholds are Redis's (`< 16383`, not `<=`).
fn put_backlen(lp: &mut Vec<u8>, len: usize) {
    let len = len as u64;
    let bytes = match len {
        0..=127 => 1,
        _ if len < 16383 => 2,
        _ if len < 2_097_151 => 3,
        _ if len < 268_435_455 => 4,
        _ => 5,
    };
    for i in (0..bytes).rev() {
        let part = ((len >> (7 * i)) & 127) as u8;
        lp.push(if i == bytes - 1 { part } else { part | 128 });
    }
}

/// A stored element, as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Element {
    Bytes(Vec<u8>),
    Int(i64),
}

impl Element {
    /// The element as a hash field or value: an integer in decimal.
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            Element::Bytes(b) => b,
            Element::Int(v) => v.to_string().into_bytes(),
        }
    }
}

/// Every element of `lp`, checked as Redis's deep integrity check does: the header's byte
/// total and count, each entry's encoding and backlen, and the terminator. `None` if any
/// of it is wrong.
pub fn decode(lp: &[u8]) -> Option<Vec<Element>> {
    if lp.len() < HEADER + 1 {
        return None;
    }
    let total = u32::from_le_bytes(lp[..4].try_into().ok()?) as usize;
    let count = u16::from_le_bytes(lp[4..6].try_into().ok()?);
    if total != lp.len() || lp[lp.len() - 1] != END {
        return None;
    }
    let body = &lp[..lp.len() - 1];
    let mut at = HEADER;
    let mut elements = Vec::new();
    while at < body.len() {
        let start = at;
        let (element, end) = read_entry(body, at)?;
        let len = end - start;
        let mut back = Vec::new();
        put_backlen(&mut back, len);
        if body.get(end..end + back.len())? != back.as_slice() {
            return None;
        }
        at = end + back.len();
        elements.push(element);
    }
    if count != COUNT_UNKNOWN && usize::from(count) != elements.len() {
        return None;
    }
    Some(elements)
}

/// The element starting at `at`, and where its backlen begins.
fn read_entry(lp: &[u8], at: usize) -> Option<(Element, usize)> {
    let first = *lp.get(at)?;
    let int = |n: usize| -> Option<(i64, usize)> {
        let bytes = lp.get(at + 1..at + 1 + n)?;
        let mut buf = [0u8; 8];
        buf[..n].copy_from_slice(bytes);
        // Sign-extend from n bytes.
        let shift = 64 - 8 * n as u32;
        Some((((i64::from_le_bytes(buf)) << shift) >> shift, at + 1 + n))
    };
    let string = |len: usize, data: usize| -> Option<(Element, usize)> {
        let bytes = lp.get(data..data.checked_add(len)?)?;
        Some((Element::Bytes(bytes.to_vec()), data + len))
    };
    match first {
        0x00..=0x7f => Some((Element::Int(i64::from(first)), at + 1)),
        0x80..=0xbf => string(usize::from(first & 0x3f), at + 1),
        0xc0..=0xdf => {
            let u = (u16::from(first & 0x1f) << 8) | u16::from(*lp.get(at + 1)?);
            let v = if u >= 1 << 12 {
                i64::from(u) - (1 << 13)
            } else {
                i64::from(u)
            };
            Some((Element::Int(v), at + 2))
        }
        0xe0..=0xef => {
            let len = (usize::from(first & 0x0f) << 8) | usize::from(*lp.get(at + 1)?);
            string(len, at + 2)
        }
        0xf0 => {
            let len = u32::from_le_bytes(lp.get(at + 1..at + 5)?.try_into().ok()?) as usize;
            string(len, at + 5)
        }
        0xf1 => int(2).map(|(v, e)| (Element::Int(v), e)),
        0xf2 => int(3).map(|(v, e)| (Element::Int(v), e)),
        0xf3 => int(4).map(|(v, e)| (Element::Int(v), e)),
        0xf4 => int(8).map(|(v, e)| (Element::Int(v), e)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_as_redis_and_back() {
        // The listpack inside `DUMP lp` after `HSET lp a 1 b 2` on Redis 8.2.3.
        let lp = encode([b"a", b"1", b"b", b"2"].map(|s| Entry::Bytes(s)));
        assert_eq!(
            lp,
            b"\x11\x00\x00\x00\x04\x00\x81a\x02\x01\x01\x81b\x02\x02\x01\xff"
        );
        let back: Vec<Vec<u8>> = decode(&lp)
            .unwrap()
            .into_iter()
            .map(Element::into_bytes)
            .collect();
        assert_eq!(back, [b"a", b"1", b"b", b"2"]);
    }

    #[test]
    fn every_integer_width_and_string_length_round_trips() {
        let ints = [
            0,
            127,
            128,
            -1,
            -4096,
            4095,
            4096,
            -32768,
            32767,
            40000,
            -8388608,
            8388607,
            8388608,
            i64::from(i32::MIN),
            i64::from(i32::MAX),
            i64::MAX,
            i64::MIN,
        ];
        let long = vec![b'z'; 5000];
        let mid = vec![b'y'; 300];
        let mut entries: Vec<Entry> = ints.iter().map(|&v| Entry::Int(v)).collect();
        entries.extend([
            Entry::Bytes(&long),
            Entry::Bytes(&mid),
            Entry::Bytes(b"007"),
        ]);
        let lp = encode(entries.clone());
        let back = decode(&lp).unwrap();
        assert_eq!(back.len(), entries.len());
        for (i, &v) in ints.iter().enumerate() {
            assert_eq!(back[i], Element::Int(v));
        }
        assert_eq!(back[ints.len()], Element::Bytes(long.clone()));
        assert_eq!(back[ints.len() + 2], Element::Bytes(b"007".to_vec()));
        // Any damage is refused.
        for cut in [1, 3, 6] {
            let mut bad = lp.clone();
            bad.truncate(lp.len() - cut);
            assert_eq!(decode(&bad), None);
        }
        let mut bad = lp.clone();
        bad[4] ^= 1;
        assert_eq!(decode(&bad), None, "wrong count");
    }
}
