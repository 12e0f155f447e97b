//! The `codec` fuzz target: the RESP request parser, the reply decoder and the case-file
//! loader never panic on any input, and what they accept round-trips.
//!
//! The first byte of an input picks what the rest is (so seeds and dictionaries can be
//! written by hand: a `0` byte then RESP, a `3` then YAML):
//! - `0` **requests**: parsed whole, then re-encoded and parsed again to the same commands;
//!   fed in small chunks it gives the same commands and the same protocol error.
//! - `1` **replies**: decoded; each reply re-encoded in RESP2 and RESP3 decodes back to
//!   itself (as the protocol carries it), and a cut-short reply is incomplete, not an error.
//! - `2` **built replies**: a reply built from the bytes by `arbitrary` round-trips through
//!   both protocols.
//! - `3` **case text**: loaded; a file that loads is written, reloaded, and equal.
//! - `4` **built cases**: a case file built from the bytes is written and loads back equal
//!   (see [`super::cases`]).

use arbitrary::{Arbitrary, Unstructured};
use reference_engine::resp::{
    canonical, decode_replies, decode_reply, encode_request, parse_requests, RequestParser,
    INLINE_MAX_SIZE,
};
use reference_engine::{Protocol, Reply};

use super::same_reply;

/// The libFuzzer entry point.
pub fn fuzz(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    match selector % 5 {
        0 => requests(rest),
        1 => replies(rest),
        2 => {
            if let Ok(reply) = ArbReply::arbitrary_take_rest(Unstructured::new(rest)) {
                reply_round_trip(&reply.build(0));
            }
        }
        3 => super::cases::text(rest),
        _ => super::cases::built(rest),
    }
}

/// Requests: parse, re-encode, parse again; and parse fed in chunks.
pub fn requests(input: &[u8]) {
    let (commands, error) = parse_requests(input);
    let encoded: Vec<u8> = commands.iter().flat_map(|c| encode_request(c)).collect();
    let (again, none) = parse_requests(&encoded);
    assert_eq!(none, None, "re-encoded requests fail to parse");
    assert_eq!(again, commands, "re-encoded requests parse differently");

    // Redis reads whatever the socket has; where the reads split the input must not
    // matter. (Past 64KB buffered without a line end it does: then "too big" depends on
    // how much had arrived, in Redis too.)
    if input.len() > INLINE_MAX_SIZE {
        return;
    }
    let chunk = 1 + input.first().map_or(0, |b| usize::from(b % 7));
    let mut parser = RequestParser::new();
    let mut chunked = Vec::new();
    let mut chunked_error = None;
    'feed: for piece in input.chunks(chunk) {
        parser.feed(piece);
        let _ = parser.buffered();
        loop {
            match parser.next_request() {
                Ok(Some(argv)) => chunked.push(argv),
                Ok(None) => break,
                Err(e) => {
                    chunked_error = Some(e);
                    break 'feed;
                }
            }
        }
    }
    assert_eq!(
        chunked, commands,
        "chunks of {chunk} bytes parse differently"
    );
    assert_eq!(
        chunked_error, error,
        "chunks of {chunk} bytes end differently"
    );
}

/// Replies: decode; what decodes round-trips, and a prefix of a reply is incomplete.
pub fn replies(input: &[u8]) {
    let _ = decode_replies(input);
    let mut pos = 0;
    while pos < input.len() {
        let Ok(Some((reply, used))) = decode_reply(&input[pos..]) else {
            return;
        };
        let bytes = &input[pos..pos + used];
        for cut in [used / 2, used - 1] {
            let prefix = decode_reply(&bytes[..cut]);
            assert!(
                matches!(prefix, Ok(None)),
                "{:?} cut to {cut} bytes decodes to {prefix:?}, not 'incomplete'",
                String::from_utf8_lossy(bytes)
            );
        }
        if carried_by_the_wire(&reply) {
            reply_round_trip(&reply);
        }
        pos += used;
    }
}

/// Whether encoding can carry `reply` at all: simple strings and errors are single lines,
/// so a CR or LF in them (possible in a decoded RESP3 blob error) cannot be re-encoded;
/// a verbatim format is three bytes (lossy decoding of a non-UTF-8 format changes that).
fn carried_by_the_wire(reply: &Reply) -> bool {
    match reply {
        Reply::Simple(s) | Reply::Error(s) => !s.contains(['\r', '\n']),
        Reply::Verbatim { format, .. } => format.len() == 3 && !format.contains(':'),
        Reply::Array(items) | Reply::Set(items) => items.iter().all(carried_by_the_wire),
        Reply::Map(pairs) => pairs
            .iter()
            .all(|(k, v)| carried_by_the_wire(k) && carried_by_the_wire(v)),
        _ => true,
    }
}

/// `decode(encode(r)) == r` as each protocol carries `r`.
pub fn reply_round_trip(reply: &Reply) {
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let bytes = reply.to_bytes(protocol);
        let expected = canonical(reply, protocol);
        let decoded = decode_reply(&bytes);
        let ok = matches!(&decoded, Ok(Some((r, used))) if *used == bytes.len() && same_reply(r, &expected));
        assert!(
            ok,
            "{reply:?} in {protocol:?} is {:?}, which decodes to {decoded:?}",
            String::from_utf8_lossy(&bytes)
        );
    }
}

/// A reply as `arbitrary` builds it, made valid for the wire by [`ArbReply::build`].
#[derive(Debug, Arbitrary)]
enum ArbReply {
    Simple(String),
    Error(String),
    Integer(i64),
    Bulk(Vec<u8>),
    Null,
    NullArray,
    Array(Vec<ArbReply>),
    Map(Vec<(ArbReply, ArbReply)>),
    Set(Vec<ArbReply>),
    Double(f64),
    Boolean(bool),
    BigNumber(bool, u128),
    Verbatim([u8; 3], Vec<u8>),
}

/// Deeper than this, aggregates become nulls: the decoder refuses deep nesting.
const MAX_DEPTH: usize = 8;

impl ArbReply {
    fn build(&self, depth: usize) -> Reply {
        let line = |s: &str| s.replace(['\r', '\n'], " ");
        let deeper = |items: &[ArbReply]| -> Vec<Reply> {
            items.iter().map(|i| i.build(depth + 1)).collect()
        };
        match self {
            ArbReply::Array(_) | ArbReply::Map(_) | ArbReply::Set(_) if depth >= MAX_DEPTH => {
                Reply::Null
            }
            ArbReply::Simple(s) => Reply::Simple(line(s)),
            ArbReply::Error(s) => Reply::Error(line(s)),
            ArbReply::Integer(n) => Reply::Integer(*n),
            ArbReply::Bulk(b) => Reply::Bulk(b.clone()),
            ArbReply::Null => Reply::Null,
            ArbReply::NullArray => Reply::NullArray,
            ArbReply::Array(items) => Reply::Array(deeper(items)),
            ArbReply::Set(items) => Reply::Set(deeper(items)),
            ArbReply::Map(pairs) => Reply::Map(
                pairs
                    .iter()
                    .map(|(k, v)| (k.build(depth + 1), v.build(depth + 1)))
                    .collect(),
            ),
            ArbReply::Double(d) => Reply::Double(*d),
            ArbReply::Boolean(b) => Reply::Boolean(*b),
            ArbReply::BigNumber(negative, n) => {
                Reply::BigNumber(format!("{}{n}", if *negative { "-" } else { "" }))
            }
            ArbReply::Verbatim(format, text) => Reply::Verbatim {
                format: format.iter().map(|b| char::from(b'a' + b % 26)).collect(),
                text: text.clone(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::libfuzzer::test_n_times;

    #[test]
    fn random_inputs_of_every_kind() {
        for selector in 0..5u8 {
            test_n_times(200, 1024, |data| {
                let mut input = vec![selector];
                input.extend_from_slice(data);
                fuzz(&input);
            });
        }
    }

    #[test]
    fn requests_round_trip_and_chunk() {
        requests(b"*2\r\n$4\r\nHGET\r\n$1\r\nk\r\nHSET k \"a b\" 'c'\r\n*1\r\n$4\r\nPINGxx");
        requests(b"*1\r\n$x\r\n");
        requests(b"HSET k \"unbalanced\r\n");
    }

    #[test]
    fn replies_round_trip_and_prefixes_are_incomplete() {
        replies(b"%1\r\n+a\r\n*2\r\n:1\r\n,1.5\r\n~1\r\n#t\r\n_\r\n$-1\r\n*-1\r\n(-12\r\n");
        replies(b"=7\r\ntxt:abc\r\n>1\r\n$0\r\n\r\n|1\r\n+k\r\n+v\r\n:5\r\n");
        reply_round_trip(&Reply::Double(f64::NAN));
        reply_round_trip(&Reply::Map(vec![(Reply::bulk("f"), Reply::Set(vec![]))]));
    }

    #[test]
    fn blob_errors_with_line_ends_are_not_re_encoded() {
        // `!` carries any bytes; a simple error cannot. Only the decoding is checked.
        replies(b"!4\r\na\r\nb\r\n");
        assert!(!carried_by_the_wire(&Reply::Error("a\r\nb".into())));
    }
}
