//! HSCAN: walks a hash a page at a time.
//!
//! ```text
//! HSCAN key cursor [MATCH pattern] [COUNT count] [NOVALUES]
//! ```
//!
//! <https://redis.io/docs/latest/commands/hscan/>
//!
//! The reply is always `[cursor, [field, value, ...]]` with the cursor as a bulk string, in
//! RESP3 too (no map). Order of checks, as in Redis 8.2.3: the cursor is parsed first, then
//! the key is looked up (a missing key answers the empty page *without* parsing the options,
//! so `HSCAN missing 0 COUNT 0` succeeds), then WRONGTYPE, then the options.
//!
//! A listpack hash (either flavour) is answered in one page with cursor `0`, whatever cursor
//! and COUNT were sent, in listpack order. A hash table is walked with
//! [`HashValue::scan_step`](crate::hash::HashValue::scan_step), COUNT entries per call. Expired fields are skipped, never
//! deleted: HSCAN is read-only.

use super::args::{c_str, int_arg, is_c_word, parse_i64};
use super::ctx::{CommandResult, Ctx};
use super::glob;
use super::grammar::{Grammar, Shape};
use super::spec::{CommandSpec, KeySpec, ReplyPolicy};
use crate::error::CommandError;
use crate::hash::{Encoding, FieldView};
use crate::reply::Reply;

/// What HSCAN accepts, for the command table (syntax above).
pub const HSCAN: Grammar = Grammar {
    shape: Shape::Scan,
    keywords: &["MATCH", "COUNT", "NOVALUES"],
    errors: &[
        "WrongArity",
        "WrongType",
        "InvalidCursor",
        "NotInteger",
        "Syntax",
    ],
};

/// `HSCAN key cursor [MATCH pattern] [COUNT count] [NOVALUES]`
pub fn hscan(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let cursor = parse_cursor(&argv[2])?;
    let now_ms = ctx.now_ms;
    let Some(hash) = ctx.db().hash(&argv[1])? else {
        return Ok(page(0, Vec::new()));
    };
    let options = Options::parse(&argv[3..])?;
    let wanted = |f: &FieldView<'_>| !f.is_expired(now_ms) && options.matches(f.field);

    let mut items = Vec::new();
    let mut push = |f: FieldView<'_>| {
        items.push(Reply::bulk(f.field));
        if !options.no_values {
            items.push(Reply::bulk(f.value));
        }
    };
    let next = match hash.encoding() {
        Encoding::Listpack | Encoding::ListpackEx => {
            hash.iter().filter(wanted).for_each(&mut push);
            0
        }
        Encoding::Hashtable => {
            let (next, range) = hash.scan_step(cursor, options.count);
            range
                .filter_map(|i| hash.get_index(i))
                .filter(wanted)
                .for_each(&mut push);
            next
        }
    };
    Ok(page(next, items))
}

fn page(cursor: u64, items: Vec<Reply>) -> Reply {
    Reply::Array(vec![Reply::bulk(cursor.to_string()), Reply::Array(items)])
}

/// Redis's `parseScanCursorOrReply` (via `string2ull`), which reads the argument as a C
/// string. A strict `string2ll` parse comes first and a negative result is refused; if that
/// parse fails, `strtoull` gets a second go, which skips leading white space, takes a sign
/// and wraps a minus around 2^64. So `+1`, `" 1"`, `007`, `"-0"` and even `" -1"` (which is
/// 18446744073709551615) are valid cursors while `-1`, `""` and `"1 "` are not.
pub(super) fn parse_cursor(arg: &[u8]) -> Result<u64, CommandError> {
    let text = c_str(arg);
    match parse_i64(text) {
        Some(n) => u64::try_from(n).map_err(|_| CommandError::InvalidCursor),
        None => strtoull(text).ok_or(CommandError::InvalidCursor),
    }
}

/// glibc `strtoull(s, &end, 10)`, accepted only if it consumed the whole string and did not
/// overflow. An overflowing magnitude is ERANGE even with a minus sign.
fn strtoull(text: &[u8]) -> Option<u64> {
    let start = text
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))?;
    let (negative, digits) = match text[start] {
        b'-' => (true, &text[start + 1..]),
        b'+' => (false, &text[start + 1..]),
        _ => (false, &text[start..]),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut value: u64 = 0;
    for &d in digits {
        value = value.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

/// The options after the cursor. Each may repeat; the last MATCH and COUNT win.
struct Options<'a> {
    /// `None` for no filtering; Redis treats a pattern of exactly `*` the same way.
    pattern: Option<&'a [u8]>,
    count: usize,
    no_values: bool,
}

impl<'a> Options<'a> {
    fn parse(args: &'a [Vec<u8>]) -> Result<Self, CommandError> {
        // Redis's default COUNT.
        let mut options = Options {
            pattern: None,
            count: 10,
            no_values: false,
        };
        let mut i = 0;
        while i < args.len() {
            let has_value = i + 1 < args.len();
            if is_c_word(&args[i], "count") && has_value {
                let count = int_arg(&args[i + 1])?;
                if count < 1 {
                    return Err(CommandError::Syntax);
                }
                options.count = usize::try_from(count).unwrap_or(usize::MAX);
                i += 2;
            } else if is_c_word(&args[i], "match") && has_value {
                let pattern = args[i + 1].as_slice();
                options.pattern = (pattern != b"*").then_some(pattern);
                i += 2;
            } else if is_c_word(&args[i], "novalues") {
                options.no_values = true;
                i += 1;
            } else {
                // Unknown words, TYPE (only SCAN has it) and a MATCH/COUNT with no value.
                return Err(CommandError::Syntax);
            }
        }
        Ok(options)
    }

    fn matches(&self, field: &[u8]) -> bool {
        self.pattern.is_none_or(|p| glob::matches(p, field))
    }
}

/// HSCAN's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const HSCAN_SPEC: CommandSpec = CommandSpec::hash("hscan", -3, "2.8.0", hscan, &HSCAN)
    .info(
        "readonly",
        "@read @hash @slow",
        "nondeterministic_output",
        Some(KeySpec::range("RO access", 1, 0)),
    )
    .reply(ReplyPolicy::Scan);

#[cfg(test)]
mod tests {
    use super::parse_cursor;
    use crate::reply::Reply;
    use crate::test_support::*;

    fn page(cursor: &str, items: &[&str]) -> Reply {
        arr(vec![
            bulk(cursor),
            arr(items.iter().map(|s| bulk(s)).collect()),
        ])
    }

    #[test]
    fn cursor_parsing_follows_string2ull() {
        for (text, want) in [
            ("0", Some(0)),
            ("007", Some(7)),
            ("+1", Some(1)),
            (" 1", Some(1)),
            ("\t\n\x0b\x0c\r5", Some(5)),
            (" +1", Some(1)),
            ("-0", Some(0)),
            (" -1", Some(u64::MAX)),
            ("-18446744073709551615", Some(1)),
            ("-9223372036854775809", Some(9223372036854775807)),
            ("18446744073709551615", Some(u64::MAX)),
            ("1\0x", Some(1)),
            ("-1", None),
            ("-9223372036854775808", None),
            ("-1\0x", None),
            ("18446744073709551616", None),
            ("", None),
            ("\0", None),
            ("\x001", None),
            ("1 ", None),
            ("+", None),
            ("-", None),
            ("+-1", None),
            ("0x10", None),
            (" ", None),
        ] {
            assert_eq!(parse_cursor(text.as_bytes()).ok(), want, "{text:?}");
        }
    }

    #[test]
    fn listpack_is_one_page_in_insertion_order() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2 c 3");
        let all = page("0", &["a", "1", "b", "2", "c", "3"]);
        assert_eq!(t.run("HSCAN h 0"), all);
        // Any cursor, any COUNT: still everything with cursor 0.
        assert_eq!(t.run("HSCAN h 12345 COUNT 1"), all);
        assert_eq!(t.run_args(&[b"HSCAN", b"h", b" -1"]), all);
        assert_eq!(t.resp2("HSCAN h 0"), all, "same shape in RESP2");
    }

    #[test]
    fn match_novalues_and_last_option_wins() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2 c 3");
        assert_eq!(
            t.run("HSCAN h 0 NOVALUES NOVALUES"),
            page("0", &["a", "b", "c"])
        );
        assert_eq!(t.run("HSCAN h 0 MATCH a MATCH b"), page("0", &["b", "2"]));
        assert_eq!(
            t.run("HSCAN h 0 match [ab] count 5 novalues"),
            page("0", &["a", "b"])
        );
        assert_eq!(
            t.run("HSCAN h 0 MATCH * NOVALUES"),
            page("0", &["a", "b", "c"])
        );
        assert_eq!(t.run("HSCAN h 0 MATCH x*"), page("0", &[]));
        // Keywords are read as C strings.
        assert_eq!(
            t.run_args(&[b"HSCAN", b"h", b"0", b"novalues\0z"]),
            page("0", &["a", "b", "c"])
        );
    }

    #[test]
    fn empty_field_and_star_patterns() {
        let mut t = TestEngine::new();
        t.run_args(&[b"HSET", b"e", b"", b"x"]);
        // "*" means no pattern at all, but "**" is a real pattern and misses "".
        assert_eq!(t.run("HSCAN e 0 MATCH *"), page("0", &["", "x"]));
        assert_eq!(t.run("HSCAN e 0 MATCH **"), page("0", &[]));
    }

    #[test]
    fn errors_and_their_order() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1");
        t.run("SET s x");
        let syntax = err("ERR syntax error");
        assert_eq!(t.run("HSCAN h -1"), err("ERR invalid cursor"));
        assert_eq!(t.run("HSCAN s x"), err("ERR invalid cursor"));
        assert_eq!(
            t.run("HSCAN s 0 COUNT 0"),
            err("WRONGTYPE Operation against a key holding the wrong kind of value")
        );
        assert_eq!(t.run("HSCAN missing 0 COUNT 0"), page("0", &[]));
        assert_eq!(t.run("HSCAN missing 0 foo"), page("0", &[]));
        assert_eq!(t.run("HSCAN h 0 COUNT 0"), syntax);
        assert_eq!(t.run("HSCAN h 0 COUNT -1"), syntax);
        assert_eq!(
            t.run("HSCAN h 0 COUNT x"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            t.run("HSCAN h 0 COUNT 01"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            t.run("HSCAN h 0 COUNT x MATCH"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(t.run("HSCAN h 0 COUNT 5 COUNT 0"), syntax);
        assert_eq!(t.run("HSCAN h 0 COUNT"), syntax);
        assert_eq!(t.run("HSCAN h 0 MATCH"), syntax);
        assert_eq!(t.run("HSCAN h 0 TYPE hash"), syntax);
        assert_eq!(t.run("HSCAN h 0 foo"), syntax);
    }

    #[test]
    fn expired_fields_are_skipped_not_deleted() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2 c 3");
        t.run("HPEXPIRE h 10 FIELDS 1 b");
        t.advance(11);
        assert_eq!(t.run("HSCAN h 0"), page("0", &["a", "1", "c", "3"]));
        assert_eq!(t.run("HLEN h"), int(3));
    }

    #[test]
    fn hashtable_walk_sees_every_field_once_without_changes() {
        let mut t = TestEngine::new();
        let mut hset: Vec<Vec<u8>> = vec![b"HSET".to_vec(), b"big".to_vec()];
        for i in 0..600 {
            hset.push(format!("f{i}").into_bytes());
            hset.push(b"v".to_vec());
        }
        let args: Vec<&[u8]> = hset.iter().map(|a| a.as_slice()).collect();
        t.run_args(&args);
        assert_eq!(t.run("OBJECT ENCODING big"), bulk("hashtable"));

        let mut seen = std::collections::HashSet::new();
        let mut cursor = "0".to_string();
        let mut calls = 0;
        loop {
            let Reply::Array(parts) = t.run(&format!("HSCAN big {cursor} COUNT 100 NOVALUES"))
            else {
                panic!("not an array");
            };
            let (Reply::Bulk(next), Reply::Array(fields)) = (&parts[0], &parts[1]) else {
                panic!("bad page {parts:?}");
            };
            assert!(fields.len() <= 100);
            for f in fields {
                assert!(seen.insert(f.to_string()), "duplicate {f}");
            }
            calls += 1;
            cursor = String::from_utf8(next.clone()).unwrap();
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen.len(), 600);
        assert!(calls >= 6, "COUNT 100 over 600 fields takes several calls");
    }

    #[test]
    fn hashtable_match_filters_within_a_page() {
        let mut t = TestEngine::new();
        let long = "x".repeat(65);
        t.run(&format!("HSET h {long} 1 a1 2 b1 3"));
        assert_eq!(t.run("OBJECT ENCODING h"), bulk("hashtable"));
        let Reply::Array(parts) = t.run("HSCAN h 0 MATCH a* COUNT 1000") else {
            panic!("not an array");
        };
        assert_eq!(parts[0], bulk("0"));
        assert_eq!(parts[1], arr(vec![bulk("a1"), bulk("2")]));
    }
}
