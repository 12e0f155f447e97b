//! Replies, modelled on RESP3, and their projection to RESP2.
//!
//! Commands build the RESP3 shape; `encode` writes the bytes for the client's protocol, and
//! `to_resp2` performs the same projection on the value (map → flat array, set → array,
//! double → bulk string, boolean → integer, both nulls kept apart). Commands whose RESP2 and
//! RESP3 forms differ by more than that projection (HRANDFIELD WITHVALUES) look at the
//! protocol themselves.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

/// The RESP version a client speaks. HELLO switches it per connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Protocol {
    #[default]
    Resp2,
    Resp3,
}

impl Protocol {
    /// 2 or 3, as HELLO spells it.
    pub fn version(self) -> i64 {
        match self {
            Protocol::Resp2 => 2,
            Protocol::Resp3 => 3,
        }
    }
}

/// One reply. A Redis error is a reply like any other, never a Rust error.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `+OK`
    Simple(String),
    /// `-ERR ...`: the whole text after the dash, code included, as Redis sends it (one
    /// line: CR and LF already spaces). Bytes that are not UTF-8 are held in the reserved
    /// range of [`error_text_from_bytes`], so the text is lossless and [`Reply::encode`] sends the
    /// client's bytes back raw.
    Error(String),
    /// `:5`
    Integer(i64),
    /// `$3\r\nabc`
    Bulk(Vec<u8>),
    /// The null of a single value: `$-1` in RESP2, `_` in RESP3.
    Null,
    /// The null of a collection: `*-1` in RESP2, `_` in RESP3.
    NullArray,
    /// `*N`
    Array(Vec<Reply>),
    /// `%N` in RESP3, a flat `*2N` array in RESP2.
    Map(Vec<(Reply, Reply)>),
    /// `~N` in RESP3, `*N` in RESP2.
    Set(Vec<Reply>),
    /// `,1.5` in RESP3, a bulk string in RESP2.
    Double(f64),
    /// `#t` in RESP3, `:1` in RESP2.
    Boolean(bool),
    /// `(1234...` in RESP3, a bulk string in RESP2. Only met when decoding other servers.
    BigNumber(String),
    /// `=N\r\ntxt:...` in RESP3, a bulk string in RESP2. Only met when decoding other servers.
    Verbatim { format: String, text: Vec<u8> },
}

impl Reply {
    /// `+OK`
    pub fn ok() -> Reply {
        Reply::Simple("OK".to_string())
    }

    /// A bulk string from anything byte-like.
    pub fn bulk(bytes: impl AsRef<[u8]>) -> Reply {
        Reply::Bulk(bytes.as_ref().to_vec())
    }

    /// A bulk string, or null when absent.
    pub fn bulk_or_null(bytes: Option<impl AsRef<[u8]>>) -> Reply {
        match bytes {
            Some(b) => Reply::bulk(b),
            None => Reply::Null,
        }
    }

    /// Whether this is an error reply.
    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }

    /// The error code (`ERR`, `WRONGTYPE`, ...) of an error reply.
    pub fn error_code(&self) -> Option<&str> {
        match self {
            Reply::Error(text) => Some(text.split(' ').next().unwrap_or("")),
            _ => None,
        }
    }

    /// The value a RESP2 client would receive, as a reply in the RESP2 subset.
    pub fn to_resp2(&self) -> Reply {
        self.clone().into_resp2()
    }

    /// [`Reply::to_resp2`], taking the reply: nothing is copied that need not change.
    pub fn into_resp2(self) -> Reply {
        match self {
            Reply::Map(pairs) => Reply::Array(
                pairs
                    .into_iter()
                    .flat_map(|(k, v)| [k.into_resp2(), v.into_resp2()])
                    .collect(),
            ),
            Reply::Set(items) | Reply::Array(items) => {
                Reply::Array(items.into_iter().map(Reply::into_resp2).collect())
            }
            Reply::Double(d) => Reply::Bulk(format_double(d).into_bytes()),
            Reply::Boolean(b) => Reply::Integer(i64::from(b)),
            Reply::BigNumber(n) => Reply::Bulk(n.into_bytes()),
            Reply::Verbatim { text, .. } => Reply::Bulk(text),
            other => other,
        }
    }

    /// The reply in the given protocol: unchanged for RESP3, projected for RESP2.
    pub fn for_protocol(&self, protocol: Protocol) -> Reply {
        match protocol {
            Protocol::Resp3 => self.clone(),
            Protocol::Resp2 => self.to_resp2(),
        }
    }

    /// Appends the wire bytes of this reply in `protocol` to `out`.
    pub fn encode(&self, protocol: Protocol, out: &mut Vec<u8>) {
        let resp3 = protocol == Protocol::Resp3;
        match self {
            Reply::Simple(s) => line(out, b'+', s.as_bytes()),
            Reply::Error(s) => line(out, b'-', &error_wire_bytes(s)),
            Reply::Integer(n) => line(out, b':', Digits::of(*n).as_bytes()),
            Reply::Bulk(b) => bulk(out, b),
            Reply::Null if resp3 => out.extend_from_slice(b"_\r\n"),
            Reply::Null => out.extend_from_slice(b"$-1\r\n"),
            Reply::NullArray if resp3 => out.extend_from_slice(b"_\r\n"),
            Reply::NullArray => out.extend_from_slice(b"*-1\r\n"),
            Reply::Array(items) => {
                line(out, b'*', Digits::of(items.len() as i64).as_bytes());
                items.iter().for_each(|r| r.encode(protocol, out));
            }
            Reply::Map(pairs) if resp3 => {
                line(out, b'%', Digits::of(pairs.len() as i64).as_bytes());
                for (k, v) in pairs {
                    k.encode(protocol, out);
                    v.encode(protocol, out);
                }
            }
            Reply::Map(pairs) => {
                line(out, b'*', Digits::of(pairs.len() as i64 * 2).as_bytes());
                for (k, v) in pairs {
                    k.encode(protocol, out);
                    v.encode(protocol, out);
                }
            }
            Reply::Set(items) => {
                line(
                    out,
                    if resp3 { b'~' } else { b'*' },
                    Digits::of(items.len() as i64).as_bytes(),
                );
                items.iter().for_each(|r| r.encode(protocol, out));
            }
            Reply::Double(d) if resp3 => line(out, b',', format_double(*d).as_bytes()),
            Reply::Double(d) => bulk(out, format_double(*d).as_bytes()),
            Reply::Boolean(b) if resp3 => {
                out.extend_from_slice(if *b { b"#t\r\n" } else { b"#f\r\n" })
            }
            Reply::Boolean(b) => line(out, b':', if *b { b"1" } else { b"0" }),
            Reply::BigNumber(n) if resp3 => line(out, b'(', n.as_bytes()),
            Reply::BigNumber(n) => bulk(out, n.as_bytes()),
            Reply::Verbatim { format, text } if resp3 => {
                let len = format.len() + 1 + text.len();
                line(out, b'=', Digits::of(len as i64).as_bytes());
                out.extend_from_slice(format.as_bytes());
                out.push(b':');
                out.extend_from_slice(text);
                out.extend_from_slice(b"\r\n");
            }
            Reply::Verbatim { text, .. } => bulk(out, text),
        }
    }

    /// The wire bytes of this reply in `protocol`.
    pub fn to_bytes(&self, protocol: Protocol) -> Vec<u8> {
        // Room for most replies at once, rather than growing through 8, 16, 32 and 64.
        let mut out = Vec::with_capacity(64);
        self.encode(protocol, &mut out);
        out
    }
}

/// The first of the 128 code points that stand for raw bytes 0x80..=0xFF in error texts:
/// U+10FF80..=U+10FFFF, the top of plane 16's private use area.
const RAW_BYTE_BASE: u32 = 0x10FF00;

fn raw_byte_char(b: u8) -> char {
    char::from_u32(RAW_BYTE_BASE + u32::from(b)).expect("U+10FF80..=U+10FFFF are chars")
}

/// The raw byte a char of the reserved range stands for.
fn reserved_byte(c: char) -> Option<u8> {
    let n = u32::from(c);
    (n >= RAW_BYTE_BASE + 0x80)
        .then(|| u8::try_from(n - RAW_BYTE_BASE).ok())
        .flatten()
}

/// An error text holding arbitrary bytes, losslessly: Redis echoes client bytes in some
/// errors (`unknown argument: \xff`) and sends them raw, while [`Reply::Error`] is a
/// `String` so that texts compare and print simply.
///
/// The mapping: valid UTF-8 stays as it is; every byte that is not part of valid UTF-8
/// becomes the char U+10FF00 + byte (bytes 0x80..=0xFF, so U+10FF80..=U+10FFFF); and so that
/// the mapping can be undone exactly, a valid char that itself lies in that reserved range is
/// split into its four bytes, each mapped the same way. [`error_wire_bytes`] is the inverse.
/// CR and LF are not touched here: replacing them is the job of whoever formats the error,
/// as in Redis.
pub fn error_text_from_bytes(bytes: &[u8]) -> String {
    // Almost every error is ASCII, which maps to itself: one vectorised check instead of a
    // loop per char (every reply the fuzzers see goes through here).
    if bytes.is_ascii() {
        return String::from_utf8(bytes.to_vec()).expect("ASCII is UTF-8");
    }
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if reserved_byte(c).is_some() {
                let mut buf = [0u8; 4];
                c.encode_utf8(&mut buf)
                    .bytes()
                    .for_each(|b| out.push(raw_byte_char(b)));
            } else {
                out.push(c);
            }
        }
        chunk
            .invalid()
            .iter()
            .for_each(|&b| out.push(raw_byte_char(b)));
    }
    out
}

/// The bytes an error text stands for: the inverse of [`error_text_from_bytes`].
pub fn error_text_bytes(text: &str) -> Vec<u8> {
    error_text_bytes_cow(text).into_owned()
}

/// [`error_text_bytes`], borrowed when the text is ASCII (no reserved chars, so its bytes
/// are its own): encoding an error then copies nothing but the wire bytes.
fn error_text_bytes_cow(text: &str) -> Cow<'_, [u8]> {
    if text.is_ascii() {
        return Cow::Borrowed(text.as_bytes());
    }
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        match reserved_byte(c) {
            Some(b) => out.push(b),
            None => out.extend_from_slice(c.encode_utf8(&mut [0u8; 4]).as_bytes()),
        }
    }
    Cow::Owned(out)
}

/// What goes on the wire after `-`: the text's bytes, with CR and LF as spaces. Redis's error
/// formatters make every error one line that way; doing it here as well means no error text,
/// however it was built, can break the protocol.
fn error_wire_bytes(text: &str) -> Cow<'_, [u8]> {
    let mut out = error_text_bytes_cow(text);
    if out.contains(&b'\r') || out.contains(&b'\n') {
        out.to_mut()
            .iter_mut()
            .filter(|b| matches!(b, b'\r' | b'\n'))
            .for_each(|b| *b = b' ');
    }
    out
}

fn line(out: &mut Vec<u8>, prefix: u8, body: &[u8]) {
    out.push(prefix);
    out.extend_from_slice(body);
    out.extend_from_slice(b"\r\n");
}

fn bulk(out: &mut Vec<u8>, body: &[u8]) {
    line(out, b'$', Digits::of(body.len() as i64).as_bytes());
    out.extend_from_slice(body);
    out.extend_from_slice(b"\r\n");
}

/// An integer's decimal digits on the stack: lengths and integers are written for every
/// reply, and `to_string` would allocate for each one.
struct Digits {
    buf: [u8; 20],
    start: usize,
}

impl Digits {
    fn of(n: i64) -> Digits {
        let mut d = Digits {
            buf: [0; 20],
            start: 20,
        };
        // unsigned_abs: i64::MIN has no positive i64.
        let mut rest = n.unsigned_abs();
        loop {
            d.start -= 1;
            d.buf[d.start] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        if n < 0 {
            d.start -= 1;
            d.buf[d.start] = b'-';
        }
        d
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

/// Doubles as RESP3 spells them: `inf`, `-inf`, `nan`, otherwise the shortest text that
/// reads back to the same value.
pub fn format_double(d: f64) -> String {
    if d.is_nan() {
        "nan".to_string()
    } else if d.is_infinite() {
        if d > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        let s = format!("{d}");
        s
    }
}

/// redis-cli's rendering, one element per line, used for diffs and reports.
impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        render(self, 0, &mut out);
        f.write_str(out.trim_end_matches('\n'))
    }
}

fn render(reply: &Reply, indent: usize, out: &mut String) {
    let _ = match reply {
        Reply::Simple(s) => writeln!(out, "{s}"),
        Reply::Error(s) => writeln!(out, "(error) {}", shown_error(s)),
        Reply::Integer(n) => writeln!(out, "(integer) {n}"),
        Reply::Bulk(b) => writeln!(out, "{}", quote(b)),
        Reply::Null => writeln!(out, "(nil)"),
        Reply::NullArray => writeln!(out, "(nil array)"),
        Reply::Double(d) => writeln!(out, "(double) {}", format_double(*d)),
        Reply::Boolean(b) => writeln!(out, "({})", if *b { "true" } else { "false" }),
        Reply::BigNumber(n) => writeln!(out, "(big number) {n}"),
        Reply::Verbatim { format, text } => writeln!(out, "({format}) {}", quote(text)),
        Reply::Array(items) => render_items(items.iter(), ')', "(empty array)", indent, out),
        Reply::Set(items) => render_items(items.iter(), '~', "(empty set)", indent, out),
        Reply::Map(pairs) => {
            if pairs.is_empty() {
                writeln!(out, "(empty hash)")
            } else {
                let width = pairs.len().to_string().len();
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push_str(&" ".repeat(indent));
                    }
                    let _ = write!(out, "{:>width$}# ", i + 1);
                    out.push_str(render_inline(k).trim_end());
                    out.push_str(" => ");
                    render(v, indent + width + 2, out);
                }
                Ok(())
            }
        }
    };
}

fn render_items<'a>(
    items: impl ExactSizeIterator<Item = &'a Reply>,
    mark: char,
    empty: &str,
    indent: usize,
    out: &mut String,
) -> fmt::Result {
    if items.len() == 0 {
        return writeln!(out, "{empty}");
    }
    let width = items.len().to_string().len();
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push_str(&" ".repeat(indent));
        }
        write!(out, "{:>width$}{mark} ", i + 1)?;
        render(item, indent + width + 2, out);
    }
    Ok(())
}

fn render_inline(reply: &Reply) -> String {
    let mut s = String::new();
    render(reply, 0, &mut s);
    s
}

/// An error text for people: raw bytes (see [`error_text_from_bytes`]) as `\xNN`, the rest as it is.
fn shown_error(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match reserved_byte(c) {
            Some(b) => {
                let _ = write!(s, "\\x{b:02x}");
            }
            None => s.push(c),
        }
    }
    s
}

/// A byte string in redis-cli's quoted form: printable ASCII as is, the rest escaped.
pub fn quote(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() + 2);
    s.push('"');
    for &b in bytes {
        match b {
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x07 => s.push_str("\\a"),
            0x08 => s.push_str("\\b"),
            0x20..=0x7e => s.push(b as char),
            _ => {
                let _ = write!(s, "\\x{b:02x}");
            }
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(r: &Reply, p: Protocol) -> String {
        String::from_utf8(r.to_bytes(p)).unwrap()
    }

    #[test]
    fn nulls_differ_in_resp2_and_merge_in_resp3() {
        assert_eq!(wire(&Reply::Null, Protocol::Resp2), "$-1\r\n");
        assert_eq!(wire(&Reply::NullArray, Protocol::Resp2), "*-1\r\n");
        assert_eq!(wire(&Reply::Null, Protocol::Resp3), "_\r\n");
        assert_eq!(wire(&Reply::NullArray, Protocol::Resp3), "_\r\n");
    }

    #[test]
    fn map_is_flat_array_in_resp2() {
        let m = Reply::Map(vec![(Reply::bulk("f"), Reply::bulk("v"))]);
        assert_eq!(wire(&m, Protocol::Resp2), "*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
        assert_eq!(wire(&m, Protocol::Resp3), "%1\r\n$1\r\nf\r\n$1\r\nv\r\n");
        assert_eq!(
            m.to_resp2(),
            Reply::Array(vec![Reply::bulk("f"), Reply::bulk("v")])
        );
        assert_eq!(wire(&Reply::Map(vec![]), Protocol::Resp2), "*0\r\n");
    }

    #[test]
    fn projection_matches_encoding() {
        let r = Reply::Array(vec![
            Reply::Set(vec![Reply::Integer(1)]),
            Reply::Double(1.5),
            Reply::Boolean(true),
            Reply::Null,
        ]);
        assert_eq!(
            r.to_bytes(Protocol::Resp2),
            r.to_resp2().to_bytes(Protocol::Resp2)
        );
        assert_eq!(r.to_resp2(), r.to_resp2().to_resp2());
    }

    #[test]
    fn error_text_round_trips_any_bytes() {
        let samples: [&[u8]; 6] = [
            b"ERR plain",
            b"ERR unknown argument: \xff",
            "ERR caf\u{e9} \u{10ff80}\u{10ffff}".as_bytes(),
            b"\xf4\x8f\xbe\x80\xc3",
            b"\xed\xa0\x80 surrogate, \xc0\xaf overlong",
            b"",
        ];
        for bytes in samples {
            let text = error_text_from_bytes(bytes);
            assert_eq!(error_text_bytes(&text), bytes, "{bytes:?}");
        }
        assert_eq!(error_text_from_bytes(b"ERR caf\xc3\xa9"), "ERR caf\u{e9}");
        // Every byte value, alone and after each other one.
        let all: Vec<u8> = (0..=255u8)
            .flat_map(|a| (0..=255u8).flat_map(move |b| [a, b]))
            .collect();
        assert!(error_text_bytes(&error_text_from_bytes(&all)) == all);
    }

    #[test]
    fn error_replies_are_one_line_with_raw_bytes() {
        let r = Reply::Error(error_text_from_bytes(b"ERR unknown argument: \xff\r\nx"));
        assert_eq!(
            r.to_bytes(Protocol::Resp2),
            b"-ERR unknown argument: \xff  x\r\n".to_vec()
        );
        assert_eq!(r.to_bytes(Protocol::Resp3), r.to_bytes(Protocol::Resp2));
        assert_eq!(r.to_string(), "(error) ERR unknown argument: \\xff\r\nx");
    }

    #[test]
    fn display_looks_like_redis_cli() {
        let r = Reply::Array(vec![Reply::bulk("a"), Reply::Null, Reply::Integer(3)]);
        assert_eq!(r.to_string(), "1) \"a\"\n2) (nil)\n3) (integer) 3");
        assert_eq!(Reply::Array(vec![]).to_string(), "(empty array)");
        assert_eq!(quote(b"a\0b\""), "\"a\\x00b\\\"\"");
        let m = Reply::Map(vec![(Reply::bulk("f"), Reply::bulk("v"))]);
        assert_eq!(m.to_string(), "1# \"f\" => \"v\"");
    }
}
