use proptest::prelude::*;

use super::*;

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
}
