//! RESP parsing: requests (multibulk and inline, as Redis accepts them) and replies.
//! Bytes only; the sockets live in the harness.
//!
//! # Requests
//! [`RequestParser`] is fed bytes as they arrive and hands out complete commands. It follows
//! Redis 8.2.3's `processMultibulkBuffer` and `processInlineBuffer` rule for rule, because a
//! server that accepts or rejects different byte streams than Redis is not a faithful
//! stand-in. Some of those rules are surprising and were each checked on the real server:
//! - a line starting with `*` is multibulk, anything else is inline;
//! - `*0` and negative counts (`*-1`, `*-5`) are skipped silently, empty inline lines too;
//! - the CR ending a `*`/`$` header is found, but the byte after it is skipped unchecked, and
//!   so are the two bytes after a bulk's data (`$4\r\nPINGXY` is `PING`);
//! - Redis looks for line ends with `strchr`, which stops at a NUL byte: a NUL before the
//!   newline (or before a header's CR) makes Redis wait for more input, until 64KB are
//!   buffered and the request is "too big";
//! - inline lines are split with `sdssplitargs`: `"..."` with `\xHH` and `\n`-style escapes,
//!   `'...'` with only `\'`, and a closing quote must be followed by a space or the end.
//!
//! Lengths come from the client and are never trusted: nothing is allocated for a declared
//! length, the buffer only grows by the bytes actually received. No input makes the parser
//! panic.
//!
//! # Replies
//! [`decode_reply`] reads one RESP2 or RESP3 reply into a [`Reply`]. It is the client side
//! used by tests and the codec fuzz target: `decode_reply(encode(r))` gives `r` back (see
//! [`canonical`] for the two things the wire cannot carry).

use thiserror::Error;

use crate::command::args::parse_i64;
pub use crate::error::ProtocolError;
use crate::reply::{error_text_from_bytes, Protocol, Reply};

/// Redis's `PROTO_INLINE_MAX_SIZE`: how much may be buffered while a line end is missing.
pub const INLINE_MAX_SIZE: usize = 64 * 1024;
/// Redis's default `proto-max-bulk-len`: the largest bulk a request may declare.
pub const MAX_BULK_LEN: i64 = 512 * 1024 * 1024;
/// The largest element count a multibulk request may declare (Redis checks `ll > INT_MAX`).
pub const MAX_MULTIBULK_LEN: i64 = i32::MAX as i64;

/// A command as a list of arguments, the name first.
pub type Argv = Vec<Vec<u8>>;

/// An incremental request parser with Redis's rules. Feed it bytes with [`feed`], then call
/// [`next_request`] until it returns `Ok(None)`.
///
/// [`feed`]: RequestParser::feed
/// [`next_request`]: RequestParser::next_request
#[derive(Debug, Default)]
pub struct RequestParser {
    /// Received bytes not yet consumed start at `pos`.
    buf: Vec<u8>,
    pos: usize,
    /// A multibulk request whose `*N` header has been read.
    pending: Option<Multibulk>,
    /// Redis closes the connection after a protocol error; the parser stays failed.
    failed: Option<ProtocolError>,
}

#[derive(Debug)]
struct Multibulk {
    /// Elements still to read.
    remaining: usize,
    argv: Argv,
    /// Memory the parsed elements take, counted as they arrive (summing on every call
    /// would be quadratic in a request of millions of elements).
    held: usize,
    /// The length of the element whose `$` header has been read.
    bulk_len: Option<usize>,
}

impl RequestParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends received bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes held: unparsed input plus the arguments of a half-read request (each counted
    /// with its vector header, so a million empty arguments are not free). A server uses it
    /// to cap what one client may make it hold, as Redis's `client-query-buffer-limit` does.
    pub fn buffered(&self) -> usize {
        let args = self.pending.as_ref().map_or(0, |m| m.held);
        self.buf.len() - self.pos + args
    }

    /// The next complete command, `Ok(None)` when more bytes are needed, or the protocol error
    /// Redis would reply with before closing the connection. Commands before the error in the
    /// same input are returned first, as Redis runs them first.
    pub fn next_request(&mut self) -> Result<Option<Argv>, ProtocolError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let result = self.parse_next();
        match &result {
            Err(e) => self.failed = Some(e.clone()),
            Ok(None) => self.compact(),
            Ok(Some(_)) => {}
        }
        result
    }

    fn parse_next(&mut self) -> Result<Option<Argv>, ProtocolError> {
        loop {
            if self.pending.is_none() {
                match self.buf.get(self.pos) {
                    None => return Ok(None),
                    Some(b'*') => {
                        if !self.multibulk_header()? {
                            return Ok(None);
                        }
                        // A count <= 0 leaves nothing pending: the request is skipped.
                        continue;
                    }
                    Some(_) => match self.inline()? {
                        None => return Ok(None),
                        Some(argv) if argv.is_empty() => continue,
                        Some(argv) => return Ok(Some(argv)),
                    },
                }
            }
            return self.multibulk_elements();
        }
    }

    /// Reads `*N\r?`. Returns false when the header is not complete yet.
    fn multibulk_header(&mut self) -> Result<bool, ProtocolError> {
        let Some(header) = self.header_line(ProtocolError::TooBigMultibulkCount)? else {
            return Ok(false);
        };
        let count = match parse_i64(&header[1..]) {
            Some(n) if n <= MAX_MULTIBULK_LEN => n,
            _ => return Err(ProtocolError::InvalidMultibulkLength),
        };
        self.pos += header.len() + 2;
        if count > 0 {
            self.pending = Some(Multibulk {
                remaining: count as usize,
                // Capacity follows what arrives, not what the client declared.
                argv: Vec::new(),
                held: 0,
                bulk_len: None,
            });
        }
        Ok(true)
    }

    /// Reads the `$N` elements of the pending multibulk request.
    fn multibulk_elements(&mut self) -> Result<Option<Argv>, ProtocolError> {
        while let Some(m) = &self.pending {
            if m.remaining == 0 {
                let done = self.pending.take().map(|m| m.argv);
                return Ok(done);
            }
            let len = match m.bulk_len {
                Some(len) => len,
                None => {
                    let Some(header) = self.header_line(ProtocolError::TooBigBulkCount)? else {
                        return Ok(None);
                    };
                    // The header may be empty (a bare CR): the byte Redis reports is the CR.
                    let first = self.buf[self.pos];
                    if first != b'$' {
                        return Err(ProtocolError::ExpectedDollar(first));
                    }
                    let len = match parse_i64(&header[1..]) {
                        Some(n) if (0..=MAX_BULK_LEN).contains(&n) => n as usize,
                        _ => return Err(ProtocolError::InvalidBulkLength),
                    };
                    self.pos += header.len() + 2;
                    len
                }
            };
            let m = self.pending.as_mut().expect("checked above");
            // Data plus two bytes Redis skips without looking at them.
            if self.buf.len() - self.pos < len + 2 {
                m.bulk_len = Some(len);
                return Ok(None);
            }
            m.argv.push(self.buf[self.pos..self.pos + len].to_vec());
            m.held += len + std::mem::size_of::<Vec<u8>>();
            m.remaining -= 1;
            m.bulk_len = None;
            self.pos += len + 2;
        }
        Ok(None)
    }

    /// For a `*` or `$` header at `pos`: the header up to (not including) the first CR, once
    /// the byte after the CR has arrived too. Redis searches with `strchr`, so a NUL before
    /// the CR hides it; past 64KB without a CR, the header is too big.
    fn header_line(&self, too_big: ProtocolError) -> Result<Option<Vec<u8>>, ProtocolError> {
        let rest = &self.buf[self.pos..];
        match rest.iter().position(|&b| b == b'\r' || b == 0) {
            Some(cr) if rest[cr] == b'\r' => {
                if cr + 2 > rest.len() {
                    Ok(None)
                } else {
                    Ok(Some(rest[..cr].to_vec()))
                }
            }
            _ if rest.len() > INLINE_MAX_SIZE => Err(too_big),
            _ => Ok(None),
        }
    }

    /// Reads one inline line. `Some(vec![])` for a blank line, which Redis skips.
    fn inline(&mut self) -> Result<Option<Argv>, ProtocolError> {
        let rest = &self.buf[self.pos..];
        let newline = match rest.iter().position(|&b| b == b'\n' || b == 0) {
            Some(i) if rest[i] == b'\n' => i,
            _ if rest.len() > INLINE_MAX_SIZE => return Err(ProtocolError::TooBigInlineRequest),
            _ => return Ok(None),
        };
        let mut line = &rest[..newline];
        if let Some(stripped) = line.strip_suffix(b"\r") {
            line = stripped;
        }
        let argv = split_args(line).ok_or(ProtocolError::UnbalancedQuotes)?;
        self.pos += newline + 1;
        Ok(Some(argv))
    }

    /// Drops consumed bytes so the buffer holds only what is still needed.
    /// Drops consumed input and, when what is left fits in `keep` bytes, gives back the
    /// capacity beyond that: a client that once sent a large request does not keep its
    /// memory. A large element still arriving is left alone (shrinking it after every read
    /// would copy it over and over).
    pub fn shrink(&mut self, keep: usize) {
        self.compact();
        if self.buf.len() <= keep && self.buf.capacity() > keep {
            self.buf.shrink_to(keep);
        }
    }

    fn compact(&mut self) {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
    }
}

/// Parses a whole input at once: the commands it holds, and the protocol error that ends it,
/// if any. For tests and fuzzing; a server feeds a [`RequestParser`] as bytes arrive.
pub fn parse_requests(input: &[u8]) -> (Vec<Argv>, Option<ProtocolError>) {
    let mut parser = RequestParser::new();
    parser.feed(input);
    let mut commands = Vec::new();
    loop {
        match parser.next_request() {
            Ok(Some(argv)) => commands.push(argv),
            Ok(None) => return (commands, None),
            Err(e) => return (commands, Some(e)),
        }
    }
}

/// Splits an inline line as Redis's `sdssplitargs` does, or `None` for unbalanced quotes.
/// The line holds no NUL (the caller cut it at the first), so the end plays the NUL's part.
pub fn split_args(line: &[u8]) -> Option<Argv> {
    // C's isspace: the blank skipper and the check after a closing quote use it.
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while at(i) != 0 && is_space(at(i)) {
            i += 1;
        }
        if at(i) == 0 {
            return Some(args);
        }
        let (mut in_double, mut in_single) = (false, false);
        let mut current = Vec::new();
        loop {
            let c = at(i);
            if in_double {
                if c == b'\\' && at(i + 1) == b'x' && hex(at(i + 2)).is_some() {
                    if let (Some(hi), Some(lo)) = (hex(at(i + 2)), hex(at(i + 3))) {
                        current.push(hi * 16 + lo);
                        i += 4;
                        continue;
                    }
                }
                if c == b'\\' && at(i + 1) != 0 {
                    current.push(match at(i + 1) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                    i += 2;
                } else if c == b'"' {
                    // The closing quote must end the argument.
                    if at(i + 1) != 0 && !is_space(at(i + 1)) {
                        return None;
                    }
                    i += 1;
                    break;
                } else if c == 0 {
                    return None;
                } else {
                    current.push(c);
                    i += 1;
                }
            } else if in_single {
                if c == b'\\' && at(i + 1) == b'\'' {
                    current.push(b'\'');
                    i += 2;
                } else if c == b'\'' {
                    if at(i + 1) != 0 && !is_space(at(i + 1)) {
                        return None;
                    }
                    i += 1;
                    break;
                } else if c == 0 {
                    return None;
                } else {
                    current.push(c);
                    i += 1;
                }
            } else {
                match c {
                    // Unlike the blank skipper, a word ends only at these: `a\x0bb` is one word.
                    b' ' | b'\n' | b'\r' | b'\t' => {
                        i += 1;
                        break;
                    }
                    0 => break,
                    // A quote inside a word opens a quoted part of it: `a"b c"` is `ab c`.
                    b'"' => in_double = true,
                    b'\'' => in_single = true,
                    _ => current.push(c),
                }
                i += 1;
            }
        }
        args.push(current);
    }
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// The multibulk encoding of a command, as clients send it.
pub fn encode_request(argv: &[impl AsRef<[u8]>]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_request_into(&mut out, argv);
    out
}

/// [`encode_request`], appended to `out` (a pipeline's buffer, reused batch after batch).
pub fn encode_request_into(out: &mut Vec<u8>, argv: &[impl AsRef<[u8]>]) {
    push_header(out, b'*', argv.len());
    for arg in argv {
        let arg = arg.as_ref();
        push_header(out, b'$', arg.len());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

/// `*<n>\r\n` or `$<n>\r\n`, without going through `fmt`: the fuzzer encodes every
/// argument of millions of commands.
fn push_header(out: &mut Vec<u8>, kind: u8, n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push(kind);
    out.extend_from_slice(&digits[at..]);
    out.extend_from_slice(b"\r\n");
}

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
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn args(words: &[&str]) -> Argv {
        words.iter().map(|w| w.as_bytes().to_vec()).collect()
    }

    /// Each case's bytes and what Redis 8.2.3 did with them on a raw socket: the commands it
    /// ran, and the protocol error it closed the connection with. A case with no error and no
    /// trailing command is one where Redis kept waiting for more input.
    #[test]
    fn requests_encode_as_multibulk_with_lengths_of_any_size() {
        assert_eq!(
            encode_request(&[&b"HSET"[..], b"k", b"\x00", b""]),
            b"*4\r\n$4\r\nHSET\r\n$1\r\nk\r\n$1\r\n\x00\r\n$0\r\n\r\n".to_vec()
        );
        let long = vec![b'x'; 1_234_567];
        let argv = vec![long.clone(); 10];
        let mut out = b"kept".to_vec();
        encode_request_into(&mut out, &argv);
        assert!(out.starts_with(b"kept*10\r\n$1234567\r\nxxx"));
        let (parsed, error) = parse_requests(&out[4..]);
        assert_eq!((parsed, error), (vec![argv], None));
    }

    #[test]
    fn requests_as_redis_parses_them() {
        use ProtocolError::*;
        let cases: Vec<(&[u8], Vec<Argv>, Option<ProtocolError>)> = vec![
            (b"PING\r\n", vec![args(&["PING"])], None),
            (b"PING\n", vec![args(&["PING"])], None),
            (b"\r\n\r\nPING\r\n", vec![args(&["PING"])], None),
            (b" \r\n\t\r\nPING\r\n", vec![args(&["PING"])], None),
            (b"*0\r\nPING\r\n", vec![args(&["PING"])], None),
            (b"*-1\r\nPING\r\n", vec![args(&["PING"])], None),
            (b"*-5\r\nPING\r\n", vec![args(&["PING"])], None),
            (b"*-0\r\nPING\r\n", vec![], Some(InvalidMultibulkLength)),
            (b"*x\r\n", vec![], Some(InvalidMultibulkLength)),
            (b"*\r\n", vec![], Some(InvalidMultibulkLength)),
            (b"*01\r\n", vec![], Some(InvalidMultibulkLength)),
            (b"*+1\r\n", vec![], Some(InvalidMultibulkLength)),
            (b"*2147483647\r\n", vec![], None),
            (b"*2147483648\r\n", vec![], Some(InvalidMultibulkLength)),
            (b"*1\r\nx\r\n", vec![], Some(ExpectedDollar(b'x'))),
            (b"*1\r\n\r\n", vec![], Some(ExpectedDollar(b'\r'))),
            (b"*1\r\n\n\r\n", vec![], Some(ExpectedDollar(b'\n'))),
            (b"*1\r\n:1\r\n", vec![], Some(ExpectedDollar(b':'))),
            (b"*1\r\n\xff\r\n", vec![], Some(ExpectedDollar(0xff))),
            (b"*1\r\n$-1\r\n", vec![], Some(InvalidBulkLength)),
            (b"*1\r\n$536870912\r\n", vec![], None),
            (b"*1\r\n$536870913\r\n", vec![], Some(InvalidBulkLength)),
            (b"*1\r\n$x\r\n", vec![], Some(InvalidBulkLength)),
            (b"*1\r\n$\r\n", vec![], Some(InvalidBulkLength)),
            (b"*1\r\n$01\r\n", vec![], Some(InvalidBulkLength)),
            (
                b"*1\r\n$4\r\nPINGXY*1\r\n$4\r\nPING\r\n",
                vec![args(&["PING"]), args(&["PING"])],
                None,
            ),
            (b"*1\rX$4\r\nPING\r\n", vec![args(&["PING"])], None),
            (b"*1\r\n$4\rXPING\r\n", vec![args(&["PING"])], None),
            (
                b"*1\r\n$4\r\nPING\r\n*x\r\n",
                vec![args(&["PING"])],
                Some(InvalidMultibulkLength),
            ),
            (
                b"PING\r\n*1\r\nfoo\r\nPING\r\n",
                vec![args(&["PING"])],
                Some(ExpectedDollar(b'f')),
            ),
            (b"\"unbalanced\r\n", vec![], Some(UnbalancedQuotes)),
            (b"'unbalanced\r\n", vec![], Some(UnbalancedQuotes)),
            (b"\"a\"b\r\n", vec![], Some(UnbalancedQuotes)),
            (b"'a'b\r\n", vec![], Some(UnbalancedQuotes)),
            (b"ECHO \"a\\\"\r\n", vec![], Some(UnbalancedQuotes)),
            (b"ECHO \"a\"\"b\"\r\n", vec![], Some(UnbalancedQuotes)),
            (
                b"ECHO \"a\\x41\\n\"\r\n",
                vec![args(&["ECHO", "aA\n"])],
                None,
            ),
            (b"ECHO 'a\\'b'\r\n", vec![args(&["ECHO", "a'b"])], None),
            (b"ECHO 'a\\nb'\r\n", vec![args(&["ECHO", "a\\nb"])], None),
            (b"ECHO a\"b c\"\r\n", vec![args(&["ECHO", "ab c"])], None),
            (b"ECHO \"\\x4\"\r\n", vec![args(&["ECHO", "x4"])], None),
            (b"ECHO \"a\\\"b\"\r\n", vec![args(&["ECHO", "a\"b"])], None),
            (b"ECHO \"\" ''\r\n", vec![args(&["ECHO", "", ""])], None),
            (b"ECHO \"a\"\tb\r\n", vec![args(&["ECHO", "a", "b"])], None),
            (
                b"ECHO \"a\\qb\\\\\"\r\n",
                vec![args(&["ECHO", "aqb\\"])],
                None,
            ),
            (b"ECHO \"a\"\x0b\r\n", vec![args(&["ECHO", "a"])], None),
            (b"ECHO a\x0c\r\n", vec![args(&["ECHO", "a\x0c"])], None),
            (b"FOO \x0bbar\r\n", vec![args(&["FOO", "bar"])], None),
            (
                b"FOO bar\x0bbaz\r\n",
                vec![args(&["FOO", "bar\x0bbaz"])],
                None,
            ),
            (b"FOO \"a\\xZZ\"\r\n", vec![args(&["FOO", "axZZ"])], None),
            (b"ECHO \"a\rb\"\r\n", vec![args(&["ECHO", "a\rb"])], None),
            // strchr stops at the NUL, so Redis never sees these line ends.
            (b"PING\x00garbage\r\nPING\r\n", vec![], None),
            (b"*1\x00\r\n$4\r\nPING\r\n", vec![], None),
            (b"*1\r\n\x00\r\n", vec![], None),
            // Inside a bulk a NUL is data.
            (
                b"*1\r\n$4\r\nPI\x00G\r\n",
                vec![vec![b"PI\x00G".to_vec()]],
                None,
            ),
            (b"*1\r\n$0\r\n\r\n", vec![vec![vec![]]], None),
        ];
        for (input, commands, error) in cases {
            let got = parse_requests(input);
            assert_eq!(got, (commands, error), "{}", crate::reply::quote(input));
        }
    }

    #[test]
    fn line_ends_missing_for_64kb_are_too_big() {
        use ProtocolError::*;
        let limit = INLINE_MAX_SIZE;
        // Redis: 65536 bytes wait, 65537 fail; the measure is everything buffered.
        assert_eq!(parse_requests(&vec![b'a'; limit]), (vec![], None));
        assert_eq!(
            parse_requests(&vec![b'a'; limit + 1]).1,
            Some(TooBigInlineRequest)
        );
        let mut nul = b"PING\x00".to_vec();
        nul.extend(vec![b'a'; limit]);
        nul.extend_from_slice(b"\r\n");
        assert_eq!(parse_requests(&nul).1, Some(TooBigInlineRequest));
        let mut count = b"*".to_vec();
        count.extend(vec![b'1'; limit]);
        assert_eq!(parse_requests(&count).1, Some(TooBigMultibulkCount));
        count.pop();
        assert_eq!(parse_requests(&count), (vec![], None));
        let mut bulk = b"*1\r\n$".to_vec();
        bulk.extend(vec![b'1'; limit - 1]);
        assert_eq!(parse_requests(&bulk), (vec![], None));
        bulk.push(b'1');
        assert_eq!(parse_requests(&bulk).1, Some(TooBigBulkCount));
        // A long line is fine when its newline has arrived.
        let mut long = vec![b'a'; limit * 2];
        long.extend_from_slice(b"\r\n");
        assert_eq!(parse_requests(&long).0, vec![vec![vec![b'a'; limit * 2]]]);
    }

    #[test]
    fn huge_declared_lengths_allocate_nothing_up_front() {
        let mut p = RequestParser::new();
        p.feed(b"*2147483647\r\n$536870912\r\nabc");
        assert_eq!(p.next_request(), Ok(None));
        assert!(p.buf.capacity() < 1024, "{}", p.buf.capacity());
        let m = p.pending.as_ref().unwrap();
        assert_eq!(m.argv.capacity(), 0);
        assert_eq!(m.bulk_len, Some(536_870_912));
        assert_eq!(p.buffered(), 3);
        let mut p = RequestParser::new();
        p.feed(b"*2147483647\r\n");
        p.feed(&b"$0\r\n\r\n".repeat(1000));
        assert_eq!(p.next_request(), Ok(None));
        assert_eq!(p.buffered(), 1000 * std::mem::size_of::<Vec<u8>>());
    }

    #[test]
    fn a_protocol_error_sticks() {
        let mut p = RequestParser::new();
        p.feed(b"*x\r\n");
        assert_eq!(p.next_request(), Err(ProtocolError::InvalidMultibulkLength));
        p.feed(b"PING\r\n");
        assert_eq!(p.next_request(), Err(ProtocolError::InvalidMultibulkLength));
    }

    #[test]
    fn protocol_error_wire_bytes() {
        assert_eq!(
            ProtocolError::ExpectedDollar(0xff).to_wire(),
            b"-ERR Protocol error: expected '$', got '\xff'\r\n"
        );
        assert_eq!(
            ProtocolError::ExpectedDollar(b'\r').to_wire(),
            b"-ERR Protocol error: expected '$', got ' '\r\n"
        );
        assert_eq!(
            ProtocolError::ExpectedDollar(0xff).to_string(),
            "ERR Protocol error: expected '$', got '\\xff'"
        );
        assert_eq!(
            ProtocolError::TooBigInlineRequest.to_wire(),
            b"-ERR Protocol error: too big inline request\r\n"
        );
    }

    #[test]
    fn replies_decode() {
        let cases: Vec<(&[u8], Reply)> = vec![
            (b"+OK\r\n", Reply::ok()),
            (b"-ERR x y\r\n", Reply::Error("ERR x y".into())),
            (b":-3\r\n", Reply::Integer(-3)),
            (b"$-1\r\n", Reply::Null),
            (b"*-1\r\n", Reply::NullArray),
            (b"_\r\n", Reply::Null),
            (b"$0\r\n\r\n", Reply::bulk("")),
            (b"$3\r\na\r\n\r\n", Reply::bulk("a\r\n")),
            (b",inf\r\n", Reply::Double(f64::INFINITY)),
            (b",-1.5e3\r\n", Reply::Double(-1500.0)),
            (b"#f\r\n", Reply::Boolean(false)),
            (b"(-123\r\n", Reply::BigNumber("-123".into())),
            (b"!5\r\nERR x\r\n", Reply::Error("ERR x".into())),
            // Raw bytes in an error survive decoding, so a re-encoded reply is the same.
            (
                b"-ERR unknown argument: \xff\r\n",
                Reply::Error(error_text_from_bytes(b"ERR unknown argument: \xff")),
            ),
            (
                b"=7\r\ntxt:a\r\n\r\n",
                Reply::Verbatim {
                    format: "txt".into(),
                    text: b"a\r\n".to_vec(),
                },
            ),
            (
                b"%1\r\n$1\r\nf\r\n~1\r\n:1\r\n",
                Reply::Map(vec![(
                    Reply::bulk("f"),
                    Reply::Set(vec![Reply::Integer(1)]),
                )]),
            ),
            (b"|1\r\n+k\r\n+v\r\n:7\r\n", Reply::Integer(7)),
            (
                b">1\r\n+m\r\n",
                Reply::Array(vec![Reply::Simple("m".into())]),
            ),
        ];
        for (bytes, want) in cases {
            assert_eq!(
                decode_reply(bytes),
                Ok(Some((want, bytes.len()))),
                "{}",
                crate::reply::quote(bytes)
            );
            for cut in 0..bytes.len() {
                assert_eq!(decode_reply(&bytes[..cut]), Ok(None), "cut {cut}");
            }
        }
        match decode_reply(b",nan\r\n") {
            Ok(Some((Reply::Double(d), 6))) => assert!(d.is_nan()),
            other => panic!("{other:?}"),
        }
        let raw = b"-ERR unknown argument: \xff\xc3\r\n";
        let (reply, _) = decode_reply(raw).unwrap().unwrap();
        assert_eq!(reply.to_bytes(Protocol::Resp2), raw);
    }

    #[test]
    fn malformed_replies_are_errors() {
        for bad in [
            &b"?\r\n"[..],
            b":x\r\n",
            b"$-2\r\n",
            b"$1\r\nab\r\n",
            b"*-2\r\n",
            b"~-1\r\n",
            b"#x\r\n",
            b"_x\r\n",
            b",infinity\r\n",
            b"(1a\r\n",
            b"=3\r\ntxt\r\n",
            b"=4\r\ntxtx\r\n",
            b"+a\rb\r\n",
        ] {
            assert!(decode_reply(bad).is_err(), "{}", crate::reply::quote(bad));
        }
        let deep = b"*1\r\n".repeat(MAX_REPLY_DEPTH + 2);
        assert_eq!(decode_reply(&deep), Err(ReplyError::TooDeep));
        // A huge declared length waits for data instead of reserving it.
        assert_eq!(decode_reply(b"*9223372036854775807\r\n:1\r\n"), Ok(None));
        assert_eq!(decode_reply(b"$9223372036854775807\r\n"), Ok(None));
        assert!(decode_reply(b"%9223372036854775807\r\n").is_err());
    }

    /// Replies the encoder can write: no CR/LF in simple strings, digits in big numbers, a
    /// three-byte format without ':' in verbatim strings, and no NaN (NaN != NaN; it has its
    /// own case above).
    fn any_reply() -> impl Strategy<Value = Reply> {
        let line = "[^\r\n]{0,12}";
        let leaf = prop_oneof![
            line.prop_map(Reply::Simple),
            line.prop_map(Reply::Error),
            any::<i64>().prop_map(Reply::Integer),
            proptest::collection::vec(any::<u8>(), 0..16).prop_map(Reply::Bulk),
            Just(Reply::Null),
            Just(Reply::NullArray),
            any::<f64>()
                .prop_filter("NaN", |d| !d.is_nan())
                .prop_map(Reply::Double),
            Just(Reply::Double(f64::INFINITY)),
            Just(Reply::Double(f64::NEG_INFINITY)),
            any::<bool>().prop_map(Reply::Boolean),
            "-?[1-9][0-9]{0,40}".prop_map(Reply::BigNumber),
            ("[a-z]{3}", proptest::collection::vec(any::<u8>(), 0..16))
                .prop_map(|(format, text)| Reply::Verbatim { format, text }),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Reply::Array),
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Reply::Set),
                proptest::collection::vec((inner.clone(), inner), 0..4).prop_map(Reply::Map),
            ]
        })
    }

    proptest! {
        #[test]
        fn replies_round_trip(reply in any_reply(), resp3 in any::<bool>()) {
            let protocol = if resp3 { Protocol::Resp3 } else { Protocol::Resp2 };
            let bytes = reply.to_bytes(protocol);
            let decoded = decode_reply(&bytes);
            prop_assert_eq!(decoded, Ok(Some((canonical(&reply, protocol), bytes.len()))));
        }

        #[test]
        fn multibulk_round_trips_whole_and_byte_by_byte(
            commands in proptest::collection::vec(
                proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..20), 1..5),
                0..5,
            )
        ) {
            let bytes: Vec<u8> = commands.iter().flat_map(|c| encode_request(c)).collect();
            prop_assert_eq!(parse_requests(&bytes), (commands.clone(), None));
            let mut p = RequestParser::new();
            let mut got = Vec::new();
            for b in &bytes {
                p.feed(std::slice::from_ref(b));
                while let Some(argv) = p.next_request().unwrap() {
                    got.push(argv);
                }
            }
            prop_assert_eq!(got, commands);
            prop_assert_eq!(p.buffered(), 0);
        }

        #[test]
        fn inline_quoting_round_trips(
            argv in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..12), 1..5)
        ) {
            let mut line = Vec::new();
            for arg in &argv {
                line.extend_from_slice(b"\"");
                for b in arg {
                    line.extend_from_slice(format!("\\x{b:02x}").as_bytes());
                }
                line.extend_from_slice(b"\" ");
            }
            line.extend_from_slice(b"\r\n");
            prop_assert_eq!(parse_requests(&line), (vec![argv], None));
        }

        /// Arbitrary bytes never panic, and (below the 64KB limits, which depend on how
        /// much is buffered) splitting the input anywhere changes nothing.
        #[test]
        fn any_bytes_any_split(
            input in proptest::collection::vec(
                prop_oneof![
                    4 => any::<u8>(),
                    1 => prop::sample::select(b"*$\r\n\"'\\x 0123456789".to_vec()),
                ],
                0..200,
            ),
            split in any::<prop::sample::Index>(),
        ) {
            let whole = parse_requests(&input);
            let cut = split.index(input.len() + 1);
            let mut p = RequestParser::new();
            let mut got = Vec::new();
            let mut error = None;
            for part in [&input[..cut], &input[cut..]] {
                p.feed(part);
                loop {
                    match p.next_request() {
                        Ok(Some(argv)) => got.push(argv),
                        Ok(None) => break,
                        Err(e) => { error = Some(e); break; }
                    }
                }
                if error.is_some() { break; }
            }
            prop_assert_eq!((got, error), whole);
            let _ = decode_reply(&input);
        }
    }
}
