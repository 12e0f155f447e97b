//! Reading replies, the client side.
//!
//! [`decode_reply`] reads one RESP2 or RESP3 reply into a [`Reply`]. It is the client side
//! used by tests and the codec fuzz target: `decode_reply(encode(r))` gives `r` back (see
//! [`canonical`] for the two things the wire cannot carry).

use thiserror::Error;

use crate::reply::{error_text_from_bytes, Protocol, Reply};

/// A reply that is not valid RESP. (A Redis error is a valid reply, not this.)
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReplyError {
    #[error("unknown reply type byte 0x{0:02x}")]
    UnknownType(u8),
    #[error("malformed {what} at byte {at}")]
    Malformed { what: &'static str, at: usize },
    #[error("replies nested deeper than {MAX_REPLY_DEPTH}")]
    TooDeep,
}

/// How deep a decoded reply may nest. Redis's replies to the commands hashcheck sends nest
/// two or three levels; the limit keeps hostile input from exhausting the stack (in parsing,
/// and later in `Drop` and `PartialEq`, which recurse too).
pub const MAX_REPLY_DEPTH: usize = 64;

/// Decodes one reply from the start of `buf`: the reply and how many bytes it used, or
/// `Ok(None)` when `buf` ends before the reply does.
///
/// RESP2 and RESP3 types are told apart by their first byte, so no protocol is needed:
/// `$-1` is [`Reply::Null`], `*-1` is [`Reply::NullArray`], `_` is [`Reply::Null`]. A push
/// (`>`) is read as an array; an attribute (`|`) is skipped, as the spec allows, and the
/// reply it decorates is returned. Text that should be UTF-8 but is not is decoded lossily.
pub fn decode_reply(buf: &[u8]) -> Result<Option<(Reply, usize)>, ReplyError> {
    let mut pos = 0;
    match decode_at(buf, &mut pos, 0)? {
        Some(reply) => Ok(Some((reply, pos))),
        None => Ok(None),
    }
}

/// Decodes every reply in `buf`, which must end exactly after the last one.
pub fn decode_replies(buf: &[u8]) -> Result<Vec<Reply>, ReplyError> {
    let mut replies = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        match decode_reply(&buf[pos..])? {
            Some((reply, used)) => {
                replies.push(reply);
                pos += used;
            }
            None => {
                return Err(ReplyError::Malformed {
                    what: "truncated reply",
                    at: pos,
                })
            }
        }
    }
    Ok(replies)
}

/// What `decode_reply(encode(reply, protocol))` gives: RESP2 projects (`to_resp2`), and RESP3
/// has a single null, so a null array comes back as [`Reply::Null`].
pub fn canonical(reply: &Reply, protocol: Protocol) -> Reply {
    into_canonical(reply.clone(), protocol)
}

/// [`canonical`], taking the reply: nothing is copied that need not change.
pub fn into_canonical(reply: Reply, protocol: Protocol) -> Reply {
    match protocol {
        Protocol::Resp2 => reply.into_resp2(),
        Protocol::Resp3 => match reply {
            Reply::NullArray => Reply::Null,
            Reply::Array(items) => Reply::Array(
                items
                    .into_iter()
                    .map(|r| into_canonical(r, protocol))
                    .collect(),
            ),
            Reply::Set(items) => Reply::Set(
                items
                    .into_iter()
                    .map(|r| into_canonical(r, protocol))
                    .collect(),
            ),
            Reply::Map(pairs) => Reply::Map(
                pairs
                    .into_iter()
                    .map(|(k, v)| (into_canonical(k, protocol), into_canonical(v, protocol)))
                    .collect(),
            ),
            other => other,
        },
    }
}

/// Returns the bytes up to the CRLF that ends the line starting at `*pos`, and moves `*pos`
/// past the CRLF.
fn line<'a>(buf: &'a [u8], pos: &mut usize) -> Result<Option<&'a [u8]>, ReplyError> {
    let rest = &buf[*pos..];
    let Some(cr) = rest.iter().position(|&b| b == b'\r') else {
        return Ok(None);
    };
    match rest.get(cr + 1) {
        None => Ok(None),
        Some(b'\n') => {
            *pos += cr + 2;
            Ok(Some(&rest[..cr]))
        }
        Some(_) => Err(ReplyError::Malformed {
            what: "line end",
            at: *pos + cr,
        }),
    }
}

/// A length header: -1 for null, otherwise >= 0.
fn length(text: &[u8], at: usize) -> Result<i64, ReplyError> {
    match std::str::from_utf8(text)
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
    {
        Some(n) if n >= -1 => Ok(n),
        _ => Err(ReplyError::Malformed { what: "length", at }),
    }
}

/// `n` bytes of blob data at `*pos` followed by CRLF.
fn blob<'a>(buf: &'a [u8], pos: &mut usize, n: i64) -> Result<Option<&'a [u8]>, ReplyError> {
    let start = *pos;
    let Some(end) = usize::try_from(n).ok().and_then(|n| start.checked_add(n)) else {
        return Err(ReplyError::Malformed {
            what: "length",
            at: start,
        });
    };
    let Some(after) = end.checked_add(2) else {
        return Err(ReplyError::Malformed {
            what: "length",
            at: start,
        });
    };
    if buf.len() < after {
        return Ok(None);
    }
    if &buf[end..after] != b"\r\n" {
        return Err(ReplyError::Malformed {
            what: "blob end",
            at: end,
        });
    }
    *pos = after;
    Ok(Some(&buf[start..end]))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Decodes `count` replies in a row; `None` if the input ends first.
fn decode_many(
    buf: &[u8],
    pos: &mut usize,
    count: i64,
    depth: usize,
) -> Result<Option<Vec<Reply>>, ReplyError> {
    // The declared count is not trusted for capacity; the vector grows as elements parse.
    let mut items = Vec::new();
    for _ in 0..count {
        match decode_at(buf, pos, depth + 1)? {
            Some(r) => items.push(r),
            None => return Ok(None),
        }
    }
    Ok(Some(items))
}

fn decode_at(buf: &[u8], pos: &mut usize, depth: usize) -> Result<Option<Reply>, ReplyError> {
    if depth > MAX_REPLY_DEPTH {
        return Err(ReplyError::TooDeep);
    }
    let start = *pos;
    let Some(&kind) = buf.get(start) else {
        return Ok(None);
    };
    *pos += 1;
    let Some(head) = line(buf, pos)? else {
        return Ok(None);
    };
    let at = start + 1;
    let malformed = |what| ReplyError::Malformed { what, at };
    let reply = match kind {
        b'+' => Reply::Simple(text(head)),
        // Errors may echo any client bytes: kept losslessly, as the engine holds them.
        b'-' => Reply::Error(error_text_from_bytes(head)),
        b':' => Reply::Integer(
            std::str::from_utf8(head)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or(malformed("integer"))?,
        ),
        b'$' => match length(head, at)? {
            -1 => Reply::Null,
            n => match blob(buf, pos, n)? {
                Some(data) => Reply::Bulk(data.to_vec()),
                None => return Ok(None),
            },
        },
        b'!' => match length(head, at)? {
            -1 => return Err(malformed("blob error length")),
            n => match blob(buf, pos, n)? {
                Some(data) => Reply::Error(error_text_from_bytes(data)),
                None => return Ok(None),
            },
        },
        b'=' => match length(head, at)? {
            n if n < 4 => return Err(malformed("verbatim length")),
            n => match blob(buf, pos, n)? {
                Some(data) if data[3] == b':' => Reply::Verbatim {
                    format: text(&data[..3]),
                    text: data[4..].to_vec(),
                },
                Some(_) => return Err(malformed("verbatim format")),
                None => return Ok(None),
            },
        },
        b'*' | b'~' | b'>' => match length(head, at)? {
            -1 if kind == b'*' => Reply::NullArray,
            -1 => return Err(malformed("aggregate length")),
            n => match decode_many(buf, pos, n, depth)? {
                Some(items) if kind == b'~' => Reply::Set(items),
                Some(items) => Reply::Array(items),
                None => return Ok(None),
            },
        },
        b'%' | b'|' => {
            let n = match length(head, at)? {
                -1 => return Err(malformed("map length")),
                n => n.checked_mul(2).ok_or(malformed("map length"))?,
            };
            let Some(items) = decode_many(buf, pos, n, depth)? else {
                return Ok(None);
            };
            if kind == b'|' {
                // Attributes decorate the reply that follows; hashcheck has no use for them.
                return decode_at(buf, pos, depth);
            }
            let mut items = items.into_iter();
            let mut pairs = Vec::new();
            while let (Some(k), Some(v)) = (items.next(), items.next()) {
                pairs.push((k, v));
            }
            Reply::Map(pairs)
        }
        b'_' if head.is_empty() => Reply::Null,
        b'_' => return Err(malformed("null")),
        b',' => Reply::Double(
            std::str::from_utf8(head)
                .ok()
                .and_then(parse_double)
                .ok_or(malformed("double"))?,
        ),
        b'#' => match head {
            b"t" => Reply::Boolean(true),
            b"f" => Reply::Boolean(false),
            _ => return Err(malformed("boolean")),
        },
        b'(' => {
            let digits = head.strip_prefix(b"-").unwrap_or(head);
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return Err(malformed("big number"));
            }
            Reply::BigNumber(text(head))
        }
        other => return Err(ReplyError::UnknownType(other)),
    };
    Ok(Some(reply))
}

/// A RESP3 double: a decimal or exponent form, or `inf`, `-inf`, `nan`.
fn parse_double(s: &str) -> Option<f64> {
    match s {
        "inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        "nan" => Some(f64::NAN),
        // Rust would also take "infinity", "+1" or "NaN"; RESP3 spells them as above.
        _ if s
            .bytes()
            .any(|b| b.is_ascii_alphabetic() && b != b'e' && b != b'E') =>
        {
            None
        }
        _ => s.parse().ok(),
    }
}

#[cfg(test)]
mod tests;
