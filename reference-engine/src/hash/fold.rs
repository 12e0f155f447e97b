//! A fixed, unseeded hash for byte strings, used by every hash table in the engine (fields of
//! big hashes, keys of a keyspace, command names).
//!
//! Each step folds 16 bytes into the state with one 64x64 -> 128-bit multiply whose halves
//! are xored (the mixing step of wyhash and foldhash). Short inputs, the common case for keys
//! and fields, take one or two multiplies and no loop.
//!
//! WHY not `RandomState` (SipHash with a random seed): SipHash costs ~20 ns on a short key,
//! a large share of a command's budget, and a random seed makes runs differ. Hash flooding
//! is no concern for a test oracle whose inputs come from our own generators and tests.

use std::hash::{BuildHasher, Hasher};

const SEED: u64 = 0x243f_6a88_85a3_08d3;
const MUL: u64 = 0x9e37_79b9_7f4a_7c15;
const MUL2: u64 = 0xbf58_476d_1ce4_e5b9;

/// The 128-bit product of `a` and `b`, its two halves xored together.
#[inline]
fn fold(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

#[inline]
fn read_u64(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

#[inline]
fn read_u32(bytes: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes(
        bytes[at..at + 4].try_into().expect("4 bytes"),
    ))
}

/// Mixes `bytes` (and their length) into `state`.
#[inline]
fn absorb(state: u64, bytes: &[u8]) -> u64 {
    let mut h = state ^ (bytes.len() as u64).wrapping_mul(MUL);
    let mut rest = bytes;
    while rest.len() > 16 {
        h = fold(h ^ read_u64(rest, 0), read_u64(rest, 8) ^ MUL2);
        rest = &rest[16..];
    }
    // 0 to 16 bytes left: read them as two words, overlapping when fewer than 16 (the
    // length, mixed in above, tells inputs apart that the overlap would confuse).
    let n = rest.len();
    let (a, b) = if n >= 8 {
        (read_u64(rest, 0), read_u64(rest, n - 8))
    } else if n >= 4 {
        (read_u32(rest, 0), read_u32(rest, n - 4))
    } else if n > 0 {
        let a = u64::from(rest[0]);
        let b = (u64::from(rest[n / 2]) << 8) | u64::from(rest[n - 1]);
        (a, b)
    } else {
        (0, 0)
    };
    fold(fold(h ^ a, b ^ MUL2), MUL)
}

/// The hash of a byte string. Same input, same hash, in every run and process.
#[inline]
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    absorb(SEED, bytes)
}

/// A [`Hasher`] built on [`hash_bytes`]'s mixing, for std-style maps.
#[derive(Debug, Clone, Copy)]
pub struct FoldHasher(u64);

impl Hasher for FoldHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        self.0 = absorb(self.0, bytes);
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = fold(self.0 ^ n, MUL);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Builds [`FoldHasher`]s, all with the same seed.
#[derive(Debug, Clone, Copy, Default)]
pub struct FixedState;

impl BuildHasher for FixedState {
    type Hasher = FoldHasher;

    #[inline]
    fn build_hasher(&self) -> FoldHasher {
        FoldHasher(SEED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn fixed_and_sensitive_to_every_byte_and_the_length() {
        assert_eq!(hash_bytes(b"abc"), hash_bytes(b"abc"));
        assert_ne!(hash_bytes(b"a"), hash_bytes(b"a\0"));
        assert_ne!(hash_bytes(b""), hash_bytes(b"\0"));
        // Every length from 0 to 40, and a change of any single byte, give a new hash.
        let mut seen = HashSet::new();
        for len in 0..=40 {
            let base: Vec<u8> = (0..len as u8).collect();
            assert!(seen.insert(hash_bytes(&base)), "len {len}");
            for i in 0..len {
                let mut changed = base.clone();
                changed[i] ^= 0x40;
                assert!(seen.insert(hash_bytes(&changed)), "len {len} byte {i}");
            }
        }
    }

    #[test]
    fn spreads_similar_keys_over_the_low_and_high_bits() {
        // hashbrown picks the bucket from the low bits and a tag from the top seven, so both
        // must vary across keys that differ only in a counter.
        let hashes: Vec<u64> = (0..4096)
            .map(|i| hash_bytes(format!("element:{i:012}").as_bytes()))
            .collect();
        let low: HashSet<u64> = hashes.iter().map(|h| h & 4095).collect();
        let top: HashSet<u64> = hashes.iter().map(|h| h >> 57).collect();
        assert!(low.len() > 2400, "{} distinct low 12 bits", low.len());
        assert_eq!(top.len(), 128);
    }

    #[test]
    fn hasher_agrees_with_itself_for_maps() {
        let build = FixedState;
        let a = build.hash_one(b"key".as_slice());
        let b = build.hash_one(b"key".to_vec().into_boxed_slice());
        assert_eq!(a, b);
        assert_ne!(a, build.hash_one(b"kez".as_slice()));
    }
}
