//! LZF, the compression Redis applies to strings of more than 20 bytes in a DUMP payload.
//!
//! A compressed stream is a sequence of
//!
//! ```text
//! 000LLLLL <L+1 bytes>           literal run of 1..32 bytes
//! LLLooooo oooooooo              back reference, L+2 = 3..8 bytes, offset o+1 = 1..8192
//! 111ooooo LLLLLLLL oooooooo     back reference of L+9 bytes
//! ```
//!
//! Decompression accepts any valid stream. Compression must pick the same matches as the
//! liblzf that Redis 8.2.3 builds (HLOG 16, VERY_FAST, no table initialisation), or DUMP
//! bytes would differ from Redis's: so it follows that compressor's hashing of three-byte
//! windows, its match extension, and its re-hashing of the two positions before the end of
//! each match. Written from the format and the algorithm's description; the tests pin its
//! output to bytes Redis produced.

use std::cell::RefCell;

const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

/// The hash slot of a three-byte window `h` (the bytes shifted into a u32).
fn slot(h: u32) -> usize {
    ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

/// Compresses `input` into at most `limit` bytes; `None` if it does not fit (the caller
/// then stores the string as it is). Redis asks for `len - 4`, so a string is stored
/// compressed only when that saves at least four bytes.
pub fn compress(input: &[u8], limit: usize) -> Option<Vec<u8>> {
    if input.is_empty() || limit == 0 {
        return None;
    }
    POSITIONS.with_borrow_mut(|table| {
        table.start();
        compress_with(table, input, limit)
    })
}

thread_local! {
    /// The compressor's table, kept from call to call on each thread.
    static POSITIONS: RefCell<Positions> = RefCell::new(Positions::default());
}

/// Per window hash, the position + 1 of the last window with that hash in this call's
/// input; 0 is "none".
///
/// WHY stamped and kept: the table has 65,536 slots whatever the input's length (the slot
/// function is liblzf's, and the matches it finds decide the bytes), and zeroing a fresh
/// 256 KB one for each string of a DUMP cost more than the rest of the DUMP (a few
/// percent of a whole fuzz run). A slot written by an earlier call carries an older stamp
/// and reads as 0.
#[derive(Default)]
struct Positions {
    stamp: u32,
    /// `stamp << 32 | position + 1`.
    slots: Vec<u64>,
}

impl Positions {
    /// Makes every slot read as 0.
    fn start(&mut self) {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 || self.slots.is_empty() {
            // First use, or the stamp came round: stamps from 2^32 calls ago would match.
            self.slots.clear();
            self.slots.resize(HSIZE, 0);
            self.stamp = 1;
        }
    }

    #[inline]
    fn get(&self, slot: usize) -> u32 {
        let entry = self.slots[slot];
        if (entry >> 32) as u32 == self.stamp {
            entry as u32
        } else {
            0
        }
    }

    #[inline]
    fn set(&mut self, slot: usize, position_plus_one: u32) {
        self.slots[slot] = u64::from(self.stamp) << 32 | u64::from(position_plus_one);
    }
}

fn compress_with(table: &mut Positions, input: &[u8], limit: usize) -> Option<Vec<u8>> {
    let n = input.len();
    let mut out: Vec<u8> = Vec::with_capacity(limit + 3);
    // `out.len()` plays liblzf's output pointer; a literal run's header is reserved at
    // `out.len() - lit - 1` and written when the run closes.
    let mut lit: usize = 0;
    out.push(0);
    let mut ip: usize = 0;
    let byte = |i: usize| u32::from(input[i]);
    let mut hval: u32 = if n >= 2 { (byte(0) << 8) | byte(1) } else { 0 };
    while n >= 3 && ip < n - 2 {
        hval = (hval << 8) | byte(ip + 2);
        let s = slot(hval);
        let candidate = table.get(s);
        table.set(s, ip as u32 + 1);
        let matched = candidate > 1 && {
            let r = candidate as usize - 1;
            let off = ip - r - 1;
            off < MAX_OFF && input[r + 2] == input[ip + 2] && input[r..r + 2] == input[ip..ip + 2]
        };
        if matched {
            let r = candidate as usize - 1;
            let off = ip - r - 1;
            let mut len: usize = 2;
            let maxlen = (n - ip - len).min(MAX_REF);
            let out_end = limit;
            if out.len() + 3 + 1 >= out_end && out.len() - usize::from(lit == 0) + 3 + 1 >= out_end
            {
                return None;
            }
            let header = out.len() - lit - 1;
            out[header] = lit.wrapping_sub(1) as u8;
            if lit == 0 {
                out.pop();
            }
            // Sixteen bytes are compared before the length cap is looked at, as liblzf
            // does when more than sixteen remain; the cap then only stops further growth.
            let mut mismatch = false;
            if maxlen > 16 {
                for _ in 0..16 {
                    len += 1;
                    if input[r + len] != input[ip + len] {
                        mismatch = true;
                        break;
                    }
                }
            }
            if !mismatch {
                loop {
                    len += 1;
                    if !(len < maxlen && input[r + len] == input[ip + len]) {
                        break;
                    }
                }
            }
            len -= 2;
            ip += 1;
            if len < 7 {
                out.push(((off >> 8) + (len << 5)) as u8);
            } else {
                out.push(((off >> 8) + (7 << 5)) as u8);
                out.push((len - 7) as u8);
            }
            out.push(off as u8);
            lit = 0;
            out.push(0);
            ip += len + 1;
            if ip >= n - 2 {
                break;
            }
            // Hash the two windows just before the new position (VERY_FAST).
            ip -= 2;
            hval = (byte(ip) << 8) | byte(ip + 1);
            hval = (hval << 8) | byte(ip + 2);
            table.set(slot(hval), ip as u32 + 1);
            ip += 1;
            hval = (hval << 8) | byte(ip + 2);
            table.set(slot(hval), ip as u32 + 1);
            ip += 1;
        } else {
            if out.len() >= limit {
                return None;
            }
            lit += 1;
            out.push(input[ip]);
            ip += 1;
            if lit == MAX_LIT {
                let header = out.len() - lit - 1;
                out[header] = (lit - 1) as u8;
                lit = 0;
                out.push(0);
            }
        }
    }
    if out.len() + 3 > limit {
        return None;
    }
    while ip < n {
        lit += 1;
        out.push(input[ip]);
        ip += 1;
        if lit == MAX_LIT {
            let header = out.len() - lit - 1;
            out[header] = (lit - 1) as u8;
            lit = 0;
            out.push(0);
        }
    }
    let header = out.len() - lit - 1;
    out[header] = lit.wrapping_sub(1) as u8;
    if lit == 0 {
        out.pop();
    }
    Some(out)
}

/// Decompresses `input`, which must expand to exactly `expected_len` bytes.
pub fn decompress(input: &[u8], expected_len: usize) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(expected_len);
    let mut i = 0;
    while i < input.len() {
        let ctrl = usize::from(input[i]);
        i += 1;
        if ctrl < 32 {
            let run = ctrl + 1;
            let bytes = input.get(i..i + run)?;
            if out.len() + run > expected_len {
                return None;
            }
            out.extend_from_slice(bytes);
            i += run;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += usize::from(*input.get(i)?);
                i += 1;
            }
            len += 2;
            let back = ((ctrl & 0x1f) << 8) + usize::from(*input.get(i)?) + 1;
            i += 1;
            if back > out.len() || out.len() + len > expected_len {
                return None;
            }
            // Byte by byte: a reference may overlap what it is producing (a run).
            let from = out.len() - back;
            for k in 0..len {
                out.push(out[from + k]);
            }
        }
    }
    (out.len() == expected_len).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_what_does_not_fit() {
        let inputs: [&[u8]; 4] = [
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            b"abcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabc",
            b"the quick brown fox jumps over the lazy dog the quick brown fox",
            &[7u8; 1000],
        ];
        for input in inputs {
            let packed = compress(input, input.len() - 4).expect("compressible");
            assert_eq!(decompress(&packed, input.len()).unwrap(), input);
        }
        assert_eq!(compress(b"abcdefghijklmnopqrstuvwxyz", 22), None);
        assert_eq!(decompress(&[0x05, b'a'], 6), None, "truncated literal");
        assert_eq!(
            decompress(&[0x20, 0x05], 3),
            None,
            "reference before the start"
        );
    }

    /// The table kept between calls must read as fresh: a window an earlier input left
    /// at a later position (or an earlier one holding the same bytes) is no match.
    #[test]
    fn a_call_sees_nothing_of_the_calls_before() {
        let earlier = [b"0123456789".repeat(30), b"ZZZZ".to_vec()].concat();
        let later = [b"9876543210".to_vec(), b"0123456789".repeat(12)].concat();
        let limit = later.len() - 4;
        let fresh = std::thread::spawn(move || compress(&later, limit))
            .join()
            .expect("no panic");
        let later = [b"9876543210".to_vec(), b"0123456789".repeat(12)].concat();
        compress(&earlier, earlier.len() - 4).expect("compressible");
        assert_eq!(compress(&later, limit), fresh);
        // The stamp coming round clears the table.
        compress(&earlier, earlier.len() - 4).expect("compressible");
        POSITIONS.with_borrow_mut(|table| table.stamp = u32::MAX);
        assert_eq!(compress(&later, limit), fresh);
        assert_eq!(
            decompress(&fresh.expect("compressible"), later.len()).unwrap(),
            later
        );
    }

    #[test]
    fn same_bytes_as_redis() {
        // The listpack of `HSET lpc aaaaaaaaaa aaaaaaaaaaaaaaa bbbbbbbbbb aaaaaaaaaaaaaaa`,
        // and the compressed form Redis 8.2.3's DUMP holds for it.
        let mut lp = vec![0x41, 0, 0, 0, 4, 0, 0x8a];
        lp.extend_from_slice(&[b'a'; 10]);
        lp.push(0x0b);
        lp.push(0x8f);
        lp.extend_from_slice(&[b'a'; 15]);
        lp.push(0x10);
        lp.push(0x8a);
        lp.extend_from_slice(&[b'b'; 10]);
        lp.push(0x0b);
        lp.push(0x8f);
        lp.extend_from_slice(&[b'a'; 15]);
        lp.push(0x10);
        lp.push(0xff);
        assert_eq!(lp.len(), 0x41);
        let redis = [
            0x07, 0x41, 0x00, 0x00, 0x00, 0x04, 0x00, 0x8a, 0x61, 0xe0, 0x00, 0x00, 0x01, 0x0b,
            0x8f, 0xe0, 0x00, 0x0a, 0x80, 0x00, 0x02, 0x10, 0x8a, 0x62, 0xe0, 0x00, 0x00, 0xe0,
            0x09, 0x1c, 0x00, 0xff,
        ];
        assert_eq!(compress(&lp, lp.len() - 4).unwrap(), redis);
    }
}
