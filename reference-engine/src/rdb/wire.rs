//! The RDB building blocks a DUMP payload is made of: lengths, strings (plain, as small
//! integers, or LZF-compressed) and millisecond times; written as Redis's `rdbSave*`
//! functions write them, read back by [`Reader`].

use super::lzf;
use crate::strconv::parse_i64;

/// Redis compresses only strings longer than this (shorter ones never shrink enough).
const COMPRESS_ABOVE: usize = 20;
/// The first byte's two high bits: a 6-bit, 14-bit or longer length, or a special string.
const LEN_6BIT: u8 = 0;
const LEN_14BIT: u8 = 1;
const LEN_32BIT: u8 = 0x80;
const LEN_64BIT: u8 = 0x81;
const ENCODED: u8 = 3;
const ENC_INT8: u8 = 0;
const ENC_INT16: u8 = 1;
const ENC_INT32: u8 = 2;
const ENC_LZF: u8 = 3;

/// Appends a length as `rdbSaveLen` does.
pub fn put_len(out: &mut Vec<u8>, len: u64) {
    if len < 1 << 6 {
        out.push((LEN_6BIT << 6) | len as u8);
    } else if len < 1 << 14 {
        out.push((LEN_14BIT << 6) | (len >> 8) as u8);
        out.push(len as u8);
    } else if len <= u64::from(u32::MAX) {
        out.push(LEN_32BIT);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    } else {
        out.push(LEN_64BIT);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

/// Appends a string as `rdbSaveRawString` does with `rdbcompression yes` (the default):
/// as an integer when it is one that fits 32 bits and reads back the same, else LZF when
/// that saves four bytes or more, else as it is.
pub fn put_string(out: &mut Vec<u8>, s: &[u8]) {
    if s.len() <= 11 {
        if let Some(v) = parse_i64(s) {
            if let Ok(v) = i8::try_from(v) {
                out.extend_from_slice(&[(ENCODED << 6) | ENC_INT8, v as u8]);
                return;
            }
            if let Ok(v) = i16::try_from(v) {
                out.push((ENCODED << 6) | ENC_INT16);
                out.extend_from_slice(&v.to_le_bytes());
                return;
            }
            if let Ok(v) = i32::try_from(v) {
                out.push((ENCODED << 6) | ENC_INT32);
                out.extend_from_slice(&v.to_le_bytes());
                return;
            }
        }
    }
    if s.len() > COMPRESS_ABOVE {
        if let Some(packed) = lzf::compress(s, s.len() - 4) {
            out.push((ENCODED << 6) | ENC_LZF);
            put_len(out, packed.len() as u64);
            put_len(out, s.len() as u64);
            out.extend_from_slice(&packed);
            return;
        }
    }
    put_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// Appends a unix time in ms as `rdbSaveMillisecondTime` does (8 bytes, little-endian).
pub fn put_ms(out: &mut Vec<u8>, ms: i64) {
    out.extend_from_slice(&ms.to_le_bytes());
}

/// Reads a payload's body front to back. Every read fails (`None`) rather than run past
/// the end, so a truncated or forged payload is refused, never trusted.
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, at: 0 }
    }

    #[cfg(test)]
    pub fn is_done(&self) -> bool {
        self.at == self.bytes.len()
    }

    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let slice = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(slice)
    }

    pub fn byte(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    /// A length, or for a special string its encoding (`Err`).
    fn len_or_encoding(&mut self) -> Option<Result<u64, u8>> {
        let first = self.byte()?;
        Some(match first >> 6 {
            0 => Ok(u64::from(first & 0x3f)),
            1 => Ok((u64::from(first & 0x3f) << 8) | u64::from(self.byte()?)),
            ENCODED => Err(first & 0x3f),
            _ => match first {
                LEN_32BIT => Ok(u64::from(u32::from_be_bytes(
                    self.take(4)?.try_into().ok()?,
                ))),
                LEN_64BIT => Ok(u64::from_be_bytes(self.take(8)?.try_into().ok()?)),
                _ => return None,
            },
        })
    }

    /// A length (`rdbLoadLen`); a special-string marker here is a bad payload.
    pub fn len(&mut self) -> Option<u64> {
        self.len_or_encoding()?.ok()
    }

    /// A string in any of the forms `put_string` writes.
    pub fn string(&mut self) -> Option<Vec<u8>> {
        match self.len_or_encoding()? {
            Ok(len) => Some(self.take(usize::try_from(len).ok()?)?.to_vec()),
            Err(ENC_INT8) => Some((self.byte()? as i8).to_string().into_bytes()),
            Err(ENC_INT16) => {
                let v = i16::from_le_bytes(self.take(2)?.try_into().ok()?);
                Some(v.to_string().into_bytes())
            }
            Err(ENC_INT32) => {
                let v = i32::from_le_bytes(self.take(4)?.try_into().ok()?);
                Some(v.to_string().into_bytes())
            }
            Err(ENC_LZF) => {
                let packed_len = usize::try_from(self.len()?).ok()?;
                let len = usize::try_from(self.len()?).ok()?;
                // Redis refuses a zero length here too (`rdbLoadLzfStringObject`).
                if len == 0 {
                    return None;
                }
                lzf::decompress(self.take(packed_len)?, len)
            }
            Err(_) => None,
        }
    }

    pub fn ms(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(s: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        put_string(&mut out, s);
        out
    }

    #[test]
    fn strings_as_redis_writes_them() {
        assert_eq!(string(b"hello"), b"\x05hello");
        assert_eq!(string(b"-5"), b"\xc0\xfb");
        assert_eq!(string(b"12345"), b"\xc1\x39\x30");
        assert_eq!(string(b"1234567"), b"\xc2\x87\xd6\x12\x00");
        // Not integers that read back the same, or too big for 32 bits: plain.
        assert_eq!(string(b"007"), b"\x03007");
        assert_eq!(string(b"4294967296"), b"\x0a4294967296");
        let long = vec![b'x'; 70];
        assert_eq!(&string(&long)[..4], b"\xc3\x09\x40\x46");
        for s in [
            &b"hello"[..],
            b"-5",
            b"12345",
            b"1234567",
            b"007",
            &long,
            b"",
        ] {
            assert_eq!(Reader::new(&string(s)).string().unwrap(), s);
        }
    }

    #[test]
    fn lengths_in_every_width() {
        for len in [0, 63, 64, 16383, 16384, u64::from(u32::MAX), 1 << 40] {
            let mut out = Vec::new();
            put_len(&mut out, len);
            let mut r = Reader::new(&out);
            assert_eq!(r.len(), Some(len));
            assert!(r.is_done());
        }
        assert_eq!(Reader::new(b"\x82").len(), None);
        assert_eq!(Reader::new(b"\x05abc").string(), None, "truncated");
    }
}
