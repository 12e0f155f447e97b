//! Reading requests, the server side.
//!
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

use super::inline::split_args;
use crate::error::ProtocolError;
use crate::strconv::parse_i64;

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
    /// A complete request parsed by [`peek_request`](Self::peek_request), returned next.
    ahead: Option<Argv>,
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

/// Memory a parsed request takes, counted as a half-read one is (see `Multibulk::held`).
fn held(argv: &Argv) -> usize {
    argv.iter()
        .map(|arg| arg.len() + std::mem::size_of::<Vec<u8>>())
        .sum()
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
        let ahead = self.ahead.as_ref().map_or(0, held);
        self.buf.len() - self.pos + args + ahead
    }

    /// The next complete command, `Ok(None)` when more bytes are needed, or the protocol error
    /// Redis would reply with before closing the connection. Commands before the error in the
    /// same input are returned first, as Redis runs them first.
    pub fn next_request(&mut self) -> Result<Option<Argv>, ProtocolError> {
        if let Some(argv) = self.ahead.take() {
            return Ok(Some(argv));
        }
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

    /// The request [`next_request`](Self::next_request) will return next, if the bytes
    /// received hold all of it; consumes nothing. A protocol error is kept for
    /// `next_request` to return in its turn, after the requests before it.
    pub fn peek_request(&mut self) -> Option<&Argv> {
        if self.ahead.is_none() && self.failed.is_none() {
            match self.parse_next() {
                Ok(next) => self.ahead = next,
                Err(e) => self.failed = Some(e),
            }
        }
        self.ahead.as_ref()
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

#[cfg(test)]
mod tests;
