//! HINCRBYFLOAT: add a floating-point number to a field's value.
//!
//! ```text
//! HINCRBYFLOAT key field increment
//! ```
//!
//! Replies with the new value as a bulk string, in RESP3 too (not a double): it is exactly
//! the text that is stored. A missing field (or key) counts as 0 and is created.
//! <https://redis.io/docs/latest/commands/hincrbyfloat/>
//!
//! Redis does this arithmetic in C `long double` (80-bit x87 on x86-64), parses with
//! `strtold` and prints with `%.17Lf`, so `0.1 + 0.2` is `0.3` and hex floats such as `0x10`
//! are numbers. Rust has no such type, so the arithmetic lives in `csrc/longdouble.c` and
//! only text crosses the boundary.

use std::os::raw::{c_char, c_int};

use super::ctx::{CommandResult, Ctx};
use super::grammar::{Grammar, Shape};
use super::spec::{CommandSpec, KeySpec};
use crate::error::CommandError;
use crate::hash::TtlOnWrite;
use crate::reply::Reply;

/// What HINCRBYFLOAT accepts, for the command table (syntax above).
pub const HINCRBYFLOAT: Grammar = Grammar {
    shape: Shape::FloatIncrement,
    keywords: &[],
    errors: &[
        "WrongArity",
        "WrongType",
        "NotFloat",
        "HashValueNotFloat",
        "IncrementNanOrInfinity",
        "ResultNanOrInfinity",
    ],
};

// Status codes of csrc/longdouble.c.
const HC_OK: c_int = 0;
const HC_NOT_A_FLOAT: c_int = 1;
const HC_NAN_OR_INFINITY: c_int = 2;

/// Room for any finite long double in `%.17Lf`: at most 4933 integer digits, a sign, the
/// point and 17 decimals. Redis's own buffer (MAX_LONG_DOUBLE_CHARS) has this size.
const OUT_CAP: usize = 5 * 1024;

extern "C" {
    fn hc_check_increment(incr: *const c_char, incr_len: usize) -> c_int;
    fn hc_add(
        current: *const c_char,
        current_len: usize,
        incr: *const c_char,
        incr_len: usize,
        out: *mut c_char,
        out_cap: usize,
        out_len: *mut usize,
    ) -> c_int;
}

/// A question for the long double shim.
#[derive(Debug, Clone, Copy)]
enum Op<'a> {
    /// Is this increment a finite float?
    CheckIncrement(&'a [u8]),
    /// The stored value (`None` for a missing field, which counts as 0) plus the increment.
    Add(Option<&'a [u8]>, &'a [u8]),
}

/// The shim's answer.
#[derive(Debug, PartialEq, Eq)]
enum LongDouble {
    /// The increment is fine (`CheckIncrement`), or the sum formatted as Redis stores it.
    Ok(Vec<u8>),
    /// An input is not a float by Redis's `string2ld` rules.
    NotAFloat,
    /// The increment or the sum is NaN or infinite.
    NanOrInfinity,
}

/// The one entry into the C shim.
fn long_double(op: Op<'_>) -> LongDouble {
    let mut out = vec![0u8; OUT_CAP];
    let mut out_len = 0usize;
    // SAFETY: every pointer comes with its length and points into a slice that lives for
    // the whole call; the C side copies inputs into its own NUL-terminated buffer (so
    // embedded NULs are fine) and never reads past a length. It writes at most `out.len()`
    // bytes into `out` and sets `out_len` (at most `out.len()`) only when it returns HC_OK.
    // A NULL `current` is the C side's documented "missing field".
    let status = unsafe {
        match op {
            Op::CheckIncrement(incr) => hc_check_increment(incr.as_ptr().cast(), incr.len()),
            Op::Add(current, incr) => hc_add(
                current.map_or(std::ptr::null(), |c| c.as_ptr().cast()),
                current.map_or(0, <[u8]>::len),
                incr.as_ptr().cast(),
                incr.len(),
                out.as_mut_ptr().cast(),
                out.len(),
                &mut out_len,
            ),
        }
    };
    match status {
        HC_OK => {
            out.truncate(out_len);
            LongDouble::Ok(out)
        }
        HC_NOT_A_FLOAT => LongDouble::NotAFloat,
        HC_NAN_OR_INFINITY => LongDouble::NanOrInfinity,
        other => unreachable!("csrc/longdouble.c returned unknown status {other}"),
    }
}

pub fn hincrbyfloat(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let (key, field, incr) = (&argv[1], &argv[2], &argv[3]);
    // The increment is checked before the key: a bad or infinite increment on a string key
    // gets its own error, not WRONGTYPE, and a missing key is not created.
    match long_double(Op::CheckIncrement(incr)) {
        LongDouble::NotAFloat => return Err(CommandError::NotFloat),
        LongDouble::NanOrInfinity => return Err(CommandError::IncrementNanOrInfinity),
        LongDouble::Ok(_) => {}
    }
    let now = ctx.now_ms;
    let limits = ctx.hash_limits();
    let db = ctx.db();
    // An expired field is reclaimed and counts as 0; if it was the last one the key goes
    // and is created again below, as a plain listpack.
    db.reclaim_field(key, field, now)?;
    let current = db.hash(key)?.and_then(|h| h.get(field)).map(|f| f.value);
    let text = match long_double(Op::Add(current, incr)) {
        LongDouble::Ok(text) => text,
        // Stored text such as "abc", "" or " 1"; "inf" and "0x10" do parse.
        LongDouble::NotAFloat => return Err(CommandError::HashValueNotFloat),
        // A stored "inf", or a finite sum that overflows (1e4932 + 1e4932).
        LongDouble::NanOrInfinity => return Err(CommandError::ResultNanOrInfinity),
    };
    // Keeps a live field's TTL; a result longer than 64 bytes converts to a hash table.
    db.hash_or_create(key)?
        .set_within(field, &text, TtlOnWrite::Keep, limits);
    Ok(Reply::Bulk(text))
}

/// HINCRBYFLOAT's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const HINCRBYFLOAT_SPEC: CommandSpec =
    CommandSpec::hash("hincrbyfloat", 4, "2.6.0", hincrbyfloat, &HINCRBYFLOAT).info(
        "write denyoom fast",
        "@write @hash @fast",
        "",
        Some(KeySpec::range("RW access update", 1, 0)),
    );

#[cfg(test)]
mod tests {
    use crate::hash::Encoding;
    use crate::reply::Protocol;
    use crate::test_support::*;

    /// HINCRBYFLOAT on a fresh field holding `stored` (None: no field).
    fn incr(stored: Option<&[u8]>, by: &[u8]) -> crate::reply::Reply {
        let mut t = TestEngine::new();
        if let Some(v) = stored {
            t.run_args(&[b"HSET", b"h", b"f", v]);
        }
        t.run_args(&[b"HINCRBYFLOAT", b"h", b"f", by])
    }

    #[test]
    fn long_double_arithmetic_and_formatting() {
        let cases: &[(Option<&str>, &str, &str)] = &[
            (Some("0.1"), "0.2", "0.3"),
            (Some("1e16"), "0.5", "10000000000000000.5"),
            (Some("1e18"), "1", "1000000000000000001"),
            (None, "123456789.123456789", "123456789.12345678899873747"),
            (None, "0.1234567890123456789", "0.12345678901234568"),
            (None, "-0.0", "0"),
            (None, "1e-20", "0"),
            (None, "-1e-18", "0"),
            (None, "-1e-17", "-0.00000000000000001"),
            (None, "1.5e-10", "0.00000000015"),
            (None, "5.0e3", "5000"),
            (None, "1e20", "100000000000000000000"),
            (Some("10.5"), "0.1", "10.6"),
            (Some("1.23"), "0.77", "2"),
            (Some("2"), "-0.1", "1.9"),
            (None, "0x10", "16"),
            (Some("16"), "0x1p3", "24"),
            (None, "+1", "1"),
            (Some("1"), ".5", "1.5"),
            (Some("1.5"), "5.", "6.5"),
            (Some("0x10"), "1", "17"),
            (Some("+3"), "1", "4"),
            (Some("9223372036854775807"), "1", "9223372036854775808"),
        ];
        for (stored, by, want) in cases {
            assert_eq!(
                incr(stored.map(str::as_bytes), by.as_bytes()),
                bulk(want),
                "{stored:?} + {by}"
            );
        }
    }

    #[test]
    fn huge_results_are_printed_in_full() {
        // No exponent is ever printed: 1e4000 (not exact in long double) + 1 is 4000 digits.
        let r = incr(Some(b"1e4000"), b"1");
        let crate::reply::Reply::Bulk(text) = r else {
            panic!("{r:?}")
        };
        assert_eq!(text.len(), 4000);
        assert!(text.starts_with(b"999999999999999999996546387309962378493249258350695763"));
        assert!(text.ends_with(b"20629864357825543441956972190272729951206648276349901340672"));
        // Twice f64's maximum is finite in long double.
        assert_eq!(
            incr(Some(b"1.7976931348623157e308"), b"1.7976931348623157e308"),
            bulk(concat!(
                "35953862697246313999184209354820886809677289388865835697062884153035325704624",
                "87927094037372167741711288575868388510413786174167269022721107157945560529552",
                "34146997955372576789671236326588091188869859074894581254961338834769297758245",
                "552436667197907705664206565009503223382416235440319971852753604933726679072768"
            ))
        );
    }

    #[test]
    fn reply_is_bulk_in_both_protocols_and_is_stored() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1");
        assert_eq!(
            t.run("HINCRBYFLOAT h a 0.5").to_bytes(Protocol::Resp3),
            b"$3\r\n1.5\r\n"
        );
        assert_eq!(
            t.resp2("HINCRBYFLOAT h a 0.5").to_bytes(Protocol::Resp2),
            b"$1\r\n2\r\n"
        );
        assert_eq!(t.run("HGET h a"), bulk("2"));
    }

    #[test]
    fn bad_increments() {
        let not_float = err("ERR value is not a valid float");
        for by in [
            &b"x"[..],
            b"nan",
            b"NaN",
            b"1e5000",
            b"1e-5000",
            b"",
            b" 1",
            b"1 ",
            b"1,5",
            b"1e",
            b"1_0",
            b"1\x002",
        ] {
            assert_eq!(incr(Some(b"1"), by), not_float, "{by:?}");
        }
        assert_eq!(incr(Some(b"1"), &[b'1'; 5120]), not_float);
        let nan_inf = err("ERR value is NaN or Infinity");
        for by in ["inf", "-inf", "Infinity", "+inf"] {
            assert_eq!(incr(Some(b"1"), by.as_bytes()), nan_inf, "{by}");
        }
    }

    #[test]
    fn increment_errors_come_before_wrongtype_and_create_nothing() {
        let mut t = TestEngine::new();
        t.engine.keyspace_mut(0).set_string(b"s", b"x");
        assert_eq!(
            t.run("HINCRBYFLOAT s f x"),
            err("ERR value is not a valid float")
        );
        assert_eq!(
            t.run("HINCRBYFLOAT s f inf"),
            err("ERR value is NaN or Infinity")
        );
        assert_eq!(
            t.run("HINCRBYFLOAT s f 1"),
            err("WRONGTYPE Operation against a key holding the wrong kind of value")
        );
        assert_eq!(
            t.run("HINCRBYFLOAT nokey f inf"),
            err("ERR value is NaN or Infinity")
        );
        assert!(!t.engine.keyspace(0).contains(b"nokey"));
    }

    #[test]
    fn stored_value_errors() {
        let not_float = err("ERR hash value is not a float");
        for stored in [&b"abc"[..], b"nan", b"", b" 1", b"1\x002"] {
            assert_eq!(incr(Some(stored), b"1"), not_float, "{stored:?}");
        }
        let produce = err("ERR increment would produce NaN or Infinity");
        assert_eq!(incr(Some(b"inf"), b"1"), produce);
        assert_eq!(incr(Some(b"1e4932"), b"1e4932"), produce);
        // The stored value is untouched after an error.
        let mut t = TestEngine::new();
        t.run("HSET h f inf");
        t.run("HINCRBYFLOAT h f 1");
        assert_eq!(t.run("HGET h f"), bulk("inf"));
    }

    #[test]
    fn result_longer_than_64_bytes_converts() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1");
        t.run("HINCRBYFLOAT h a 1e60");
        let enc = |t: &TestEngine| t.engine.keyspace(0).hash(b"h").unwrap().unwrap().encoding();
        assert_eq!(enc(&t), Encoding::Listpack);
        assert_eq!(
            t.run("HINCRBYFLOAT h z 1e70"),
            bulk("10000000000000000000222479489586148259025995410601157579323600873193472")
        );
        assert_eq!(enc(&t), Encoding::Hashtable);
    }

    #[test]
    fn live_field_keeps_its_ttl() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2");
        t.expire_fields("h", &["a"], NOW + 100);
        assert_eq!(t.run("HINCRBYFLOAT h a 0.5"), bulk("1.5"));
        let h = t.engine.keyspace(0).hash(b"h").unwrap().unwrap();
        assert_eq!(h.get(b"a").unwrap().expire_at_ms, Some(NOW + 100));
    }

    #[test]
    fn expired_field_counts_as_zero() {
        let mut t = TestEngine::new();
        t.run("HSET h a notafloat b 2");
        t.expire_fields("h", &["a"], NOW + 1);
        t.advance(2);
        assert_eq!(t.run("HINCRBYFLOAT h a 1.5"), bulk("1.5"));
        let h = t.engine.keyspace(0).hash(b"h").unwrap().unwrap();
        assert_eq!(h.get(b"a").unwrap().expire_at_ms, None);
        assert_eq!(t.run("HLEN h"), int(2));
    }

    #[test]
    fn expired_last_field_recreates_the_key() {
        assert_increment_recreates_an_expired_last_field(
            "HINCRBYFLOAT",
            "1.5",
            bulk("1.5"),
            "1.5",
            err("ERR value is not a valid float"),
        );
    }
}
