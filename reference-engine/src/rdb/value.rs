//! A value as the object inside a DUMP payload: its RDB type byte, then its body, as Redis
//! 8.2.3's `rdbSaveObject` writes it and `rdbLoadObject` reads it.
//!
//! Hashes, by encoding:
//!
//! | encoding                   | type | body                                                 |
//! |----------------------------|------|------------------------------------------------------|
//! | listpack                   | 16   | string(listpack of field, value, ...)                |
//! | listpackex                 | 25   | ms(min deadline or 0), string(listpack of field, value, deadline or 0, ...) |
//! | hashtable, no field TTL    | 4    | len, then string(field) string(value) per field      |
//! | hashtable with a field TTL | 24   | ms(min deadline), len, then len(deadline - min + 1, or 0) string(field) string(value) |
//!
//! Types 22 and 23 are the 7.4 release candidates' forms of 24 and 25 (absolute deadlines,
//! no minimum up front); Redis 8.2.3 still reads them, and so does this. Strings (type 0)
//! are read and written too, since the keyspace holds them.
//!
//! What a loaded hash becomes follows Redis's loader, not the payload's type: a hash table
//! payload of at most 512 short fields becomes a listpack (a listpackex if it has the TTL
//! layout), a listpack payload of more than 512 fields a hash table. Expired fields are
//! kept: Redis 8.2.3's RESTORE keeps them until something reclaims them.

use super::listpack::{self, Element, Entry};
use super::wire::{put_len, put_ms, put_string, Reader};
use crate::hash::{Encoding, HashValue, Restored, MAX_LISTPACK_ENTRIES, MAX_LISTPACK_VALUE};
use crate::keyspace::Value;

const STRING: u8 = 0;
const HASH: u8 = 4;
const HASH_LISTPACK: u8 = 16;
const HASH_METADATA_PRE_GA: u8 = 22;
const HASH_LISTPACK_EX_PRE_GA: u8 = 23;
const HASH_METADATA: u8 = 24;
const HASH_LISTPACK_EX: u8 = 25;
/// A field deadline beyond this is corrupt (Redis's `EB_EXPIRE_TIME_MAX`, 2^48 - 1).
const MAX_DEADLINE: i64 = (1 << 48) - 1;
/// The listpackex value of a field with no TTL.
const NO_TTL: i64 = 0;

/// Why a payload's object could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// Malformed, truncated, empty, or not an RDB object type at all.
    BadFormat,
    /// A valid RDB type that the engine does not model (a list, a set...), by name.
    NotModelled(&'static str),
}

/// The type byte and body of `value`.
pub fn encode(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::String(s) => {
            out.push(STRING);
            put_string(out, s);
        }
        Value::Hash(h) => encode_hash(h, out),
    }
}

fn encode_hash(h: &HashValue, out: &mut Vec<u8>) {
    match h.encoding() {
        Encoding::Listpack => {
            out.push(HASH_LISTPACK);
            let entries = h
                .iter()
                .flat_map(|f| [Entry::Bytes(f.field), Entry::Bytes(f.value)]);
            put_string(out, &listpack::encode(entries));
        }
        Encoding::ListpackEx => {
            out.push(HASH_LISTPACK_EX);
            // Fields with a TTL come first, earliest first: the first field's is the least.
            let min = h.iter().next().and_then(|f| f.expire_at_ms).unwrap_or(0);
            put_ms(out, min);
            let entries = h.iter().flat_map(|f| {
                [
                    Entry::Bytes(f.field),
                    Entry::Bytes(f.value),
                    Entry::Int(f.expire_at_ms.unwrap_or(NO_TTL)),
                ]
            });
            put_string(out, &listpack::encode(entries));
        }
        Encoding::Hashtable => match h.earliest_expiry() {
            None => {
                out.push(HASH);
                put_len(out, h.len() as u64);
                for f in h.iter() {
                    put_string(out, f.field);
                    put_string(out, f.value);
                }
            }
            Some(min) => {
                out.push(HASH_METADATA);
                put_ms(out, min);
                put_len(out, h.len() as u64);
                for f in h.iter() {
                    put_len(out, f.expire_at_ms.map_or(0, |at| (at - min + 1) as u64));
                    put_string(out, f.field);
                    put_string(out, f.value);
                }
            }
        },
    }
}

/// The value in `body` (type byte first). Bytes after the object are ignored, as Redis
/// ignores them.
pub fn decode(body: &[u8]) -> Result<Value, LoadError> {
    let mut r = Reader::new(body);
    let kind = r.byte().ok_or(LoadError::BadFormat)?;
    let bad = || LoadError::BadFormat;
    match kind {
        STRING => Ok(Value::String(r.string().ok_or_else(bad)?)),
        HASH | HASH_METADATA | HASH_METADATA_PRE_GA => {
            decode_pairs(kind, &mut r).ok_or_else(bad).map(Value::Hash)
        }
        HASH_LISTPACK | HASH_LISTPACK_EX | HASH_LISTPACK_EX_PRE_GA => decode_listpack(kind, &mut r)
            .ok_or_else(bad)
            .map(Value::Hash),
        other => Err(match other_type_name(other) {
            Some(name) => LoadError::NotModelled(name),
            None => LoadError::BadFormat,
        }),
    }
}

/// The name of an RDB object type the engine does not model; `None` for a byte that is no
/// object type (Redis's `rdbIsObjectType`: 0..=7 and 9..=25).
fn other_type_name(kind: u8) -> Option<&'static str> {
    Some(match kind {
        1 | 10 | 14 | 18 => "list",
        2 | 11 | 20 => "set",
        3 | 5 | 12 | 17 => "zset",
        9 | 13 => "hash in a pre-7.0 encoding (zipmap or ziplist)",
        6 | 7 => "module",
        15 | 19 | 21 => "stream",
        _ => return None,
    })
}

fn checked_deadline(at: i64) -> Option<i64> {
    (0..=MAX_DEADLINE).contains(&at).then_some(at)
}

/// Types 4, 22 and 24: a count, then the fields one by one.
fn decode_pairs(kind: u8, r: &mut Reader<'_>) -> Option<HashValue> {
    let min = if kind == HASH_METADATA {
        Some(r.ms()?)
    } else {
        None
    };
    let len = r.len()?;
    let mut fields: Vec<Restored> = Vec::with_capacity(len.min(1024) as usize);
    for _ in 0..len {
        let at = match kind {
            HASH => None,
            _ => {
                let ttl = r.len()?;
                match (ttl, min) {
                    (0, _) => None,
                    (ttl, Some(min)) => {
                        let at = i64::try_from(ttl).ok()?.checked_add(min)?.checked_sub(1)?;
                        Some(checked_deadline(at)?)
                    }
                    (ttl, None) => Some(checked_deadline(i64::try_from(ttl).ok()?)?),
                }
            }
        };
        let field = r.string()?;
        let value = r.string()?;
        fields.push((field, value, at));
    }
    let long = fields
        .iter()
        .any(|(f, v, _)| f.len() > MAX_LISTPACK_VALUE || v.len() > MAX_LISTPACK_VALUE);
    let encoding = if fields.len() > MAX_LISTPACK_ENTRIES || long {
        Encoding::Hashtable
    } else if kind == HASH {
        Encoding::Listpack
    } else {
        Encoding::ListpackEx
    };
    HashValue::from_restored(encoding, fields, true)
}

/// Types 16, 23 and 25: one string holding a listpack of pairs or of triplets.
fn decode_listpack(kind: u8, r: &mut Reader<'_>) -> Option<HashValue> {
    if kind == HASH_LISTPACK_EX {
        // The minimum deadline: Redis reads it and does not use it.
        r.ms()?;
    }
    let elements = listpack::decode(&r.string()?)?;
    let tuple = if kind == HASH_LISTPACK { 2 } else { 3 };
    if elements.len() % tuple != 0 {
        return None;
    }
    let mut fields: Vec<Restored> = Vec::with_capacity(elements.len() / tuple);
    let mut it = elements.into_iter();
    while let (Some(field), Some(value)) = (it.next(), it.next()) {
        let at = if tuple == 3 {
            match it.next()? {
                Element::Int(NO_TTL) => None,
                Element::Int(at) => Some(checked_deadline(at)?),
                Element::Bytes(_) => return None,
            }
        } else {
            None
        };
        fields.push((field.into_bytes(), value.into_bytes(), at));
    }
    let encoding = match (fields.len() > MAX_LISTPACK_ENTRIES, tuple) {
        (true, _) => Encoding::Hashtable,
        (false, 2) => Encoding::Listpack,
        (false, _) => Encoding::ListpackEx,
    };
    HashValue::from_restored(encoding, fields, false)
}
