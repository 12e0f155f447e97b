//! DUMP payloads: a value serialized as Redis 8.2.3 serializes it, so that a payload moves
//! between the engine and a real server in both directions.
//!
//! ```text
//! <RDB type byte> <object body> <RDB version: u16 LE> <CRC-64 of everything before: u64 LE>
//! ```
//!
//! - [`value`]: the type byte and body, for strings and hashes in every encoding.
//! - [`listpack`]: Redis's listpack byte format (small hashes).
//! - [`wire`]: lengths, integers-as-strings, LZF-compressed strings, times.
//! - [`lzf`], [`crc64`]: the compression and the checksum, written to match Redis's bytes.
//!
//! Where the engine's and Redis's hashes are in the same encoding and order, the payloads
//! are byte-identical (tests/it/dump_restore.rs checks that against the real server).

mod crc64;
mod listpack;
mod lzf;
mod value;
mod wire;

pub use crc64::crc64;
pub use value::LoadError;

use crate::keyspace::Value;

/// The RDB version Redis 8.2.3 writes, and the newest it (and so the engine) accepts.
pub const RDB_VERSION: u16 = 12;
/// The footer: two bytes of version, eight of checksum.
const FOOTER: usize = 10;

/// Why RESTORE refuses a payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadError {
    /// Too short, from a newer RDB version, or the checksum does not match.
    VersionOrChecksum,
    /// The object inside is malformed.
    BadFormat,
    /// A valid object of a type the engine does not model, by name.
    NotModelled(&'static str),
}

/// `DUMP`'s payload for `value`.
pub fn dump(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    value::encode(value, &mut out);
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64::crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// The value in a payload, checked as `RESTORE` checks it: the footer first (Redis's
/// `verifyDumpPayload`), then the object.
pub fn load(payload: &[u8]) -> Result<Value, PayloadError> {
    let body = check_footer(payload)?;
    value::decode(body).map_err(|e| match e {
        LoadError::BadFormat => PayloadError::BadFormat,
        LoadError::NotModelled(name) => PayloadError::NotModelled(name),
    })
}

/// The payload without its footer, if the version is one Redis 8.2.3 reads and the
/// checksum matches.
fn check_footer(payload: &[u8]) -> Result<&[u8], PayloadError> {
    if payload.len() < FOOTER {
        return Err(PayloadError::VersionOrChecksum);
    }
    let (body, footer) = payload.split_at(payload.len() - FOOTER);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version > RDB_VERSION {
        return Err(PayloadError::VersionOrChecksum);
    }
    let crc = crc64::crc64(&payload[..payload.len() - 8]);
    if crc.to_le_bytes() != footer[2..] {
        return Err(PayloadError::VersionOrChecksum);
    }
    Ok(body)
}

/// The RDB version a payload says it was written with, if it has a footer at all: lets a
/// comparison tell a payload in a format the engine reads from one in a fork's own.
pub fn payload_version(payload: &[u8]) -> Option<u16> {
    let at = payload.len().checked_sub(FOOTER)?;
    Some(u16::from_le_bytes([payload[at], payload[at + 1]]))
}

#[cfg(test)]
mod tests;
