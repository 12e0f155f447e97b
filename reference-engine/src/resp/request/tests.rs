use proptest::prelude::*;

use super::*;
use crate::resp::{decode_reply, encode_request};

fn args(words: &[&str]) -> Argv {
    words.iter().map(|w| w.as_bytes().to_vec()).collect()
}

/// Each case's bytes and what Redis 8.2.3 did with them on a raw socket: the commands it
/// ran, and the protocol error it closed the connection with. A case with no error and no
/// trailing command is one where Redis kept waiting for more input.
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

/// A peeked request still counts against the query buffer limit until it is taken, and the
/// error after it waits its turn.
#[test]
fn a_peeked_request_is_held_and_the_error_after_it_waits() {
    let mut p = RequestParser::new();
    p.feed(b"*1\r\n$4\r\nPING\r\n*x\r\n");
    assert_eq!(p.peek_request(), Some(&args(&["PING"])));
    // The unparsed `*x\r\n`, and PING with its vector header.
    assert_eq!(p.buffered(), 4 + 4 + std::mem::size_of::<Vec<u8>>());
    assert_eq!(p.peek_request(), Some(&args(&["PING"])));
    assert_eq!(p.next_request(), Ok(Some(args(&["PING"]))));
    assert_eq!(p.peek_request(), None);
    assert_eq!(p.next_request(), Err(ProtocolError::InvalidMultibulkLength));
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

proptest! {
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
        input in protocol_bytes(),
        split in any::<prop::sample::Index>(),
    ) {
        let cut = split.index(input.len() + 1);
        prop_assert_eq!(parse_in_two(&input, cut, &[]), parse_requests(&input));
        let _ = decode_reply(&input);
    }

    /// Looking one request ahead (as serve does, to prefetch) changes nothing: the same
    /// requests come out in the same order, then the same protocol error.
    #[test]
    fn peeking_changes_nothing(
        input in protocol_bytes(),
        split in any::<prop::sample::Index>(),
        peeks in proptest::collection::vec(any::<bool>(), 0..40),
    ) {
        let cut = split.index(input.len() + 1);
        prop_assert_eq!(parse_in_two(&input, cut, &peeks), parse_requests(&input));
    }
}

/// Bytes of any value, with the protocol's own characters drawn more often.
fn protocol_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            4 => any::<u8>(),
            1 => prop::sample::select(b"*$\r\n\"'\\x 0123456789".to_vec()),
        ],
        0..200,
    )
}

/// Feeds `input` in two parts, cut at `cut`, taking every request, and before each one
/// peeking first where `peeks` says so (in turn, round and round; never if it is empty):
/// what it yields, as [`parse_requests`] gives it. A peeked request must be the next one.
fn parse_in_two(input: &[u8], cut: usize, peeks: &[bool]) -> (Vec<Argv>, Option<ProtocolError>) {
    let mut p = RequestParser::new();
    let mut got = Vec::new();
    let mut peek = peeks.iter().cycle().copied();
    for part in [&input[..cut], &input[cut..]] {
        p.feed(part);
        loop {
            let peeked = match peek.next() {
                Some(true) => p.peek_request().cloned(),
                _ => None,
            };
            match p.next_request() {
                Ok(Some(argv)) => {
                    if let Some(peeked) = peeked {
                        assert_eq!(peeked, argv, "the peeked request came next");
                    }
                    got.push(argv);
                }
                Ok(None) => break,
                Err(e) => return (got, Some(e)),
            }
        }
    }
    (got, None)
}
