//! HINCRBY: add an integer to a field's value.
//!
//! ```text
//! HINCRBY key field increment
//! ```
//!
//! Replies with the new value as an integer. A missing field (or key) counts as 0 and is
//! created.
//! <https://redis.io/docs/latest/commands/hincrby/>

use super::args::{int_arg, parse_i64};
use super::ctx::{CommandResult, Ctx};
use super::grammar::{Grammar, Shape};
use super::spec::{CommandSpec, KeySpec};
use crate::error::CommandError;
use crate::hash::TtlOnWrite;
use crate::reply::Reply;

/// What HINCRBY accepts, for the command table (syntax above).
pub const HINCRBY: Grammar = Grammar {
    shape: Shape::IntIncrement,
    keywords: &[],
    errors: &[
        "WrongArity",
        "WrongType",
        "NotInteger",
        "HashValueNotInteger",
        "IncrementOverflow",
    ],
};

pub fn hincrby(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let (key, field) = (&argv[1], &argv[2]);
    // The increment is parsed before the key is looked at: a bad increment on a string key
    // is "not an integer", not WRONGTYPE.
    let increment = int_arg(&argv[3])?;
    let now = ctx.now_ms;
    let limits = ctx.hash_limits();
    let db = ctx.db();
    // An expired field is reclaimed first and then counts as 0. If it was the last field the
    // key goes and is created again below, as a plain listpack.
    db.reclaim_field(key, field, now)?;
    let current = match db.hash(key)?.and_then(|h| h.get(field)) {
        // Only the canonical decimal form of an i64 is an integer here: "007", "+5", " 5",
        // "-0" and "" are all "not an integer", as Redis's string2ll decides.
        Some(f) => parse_i64(f.value).ok_or(CommandError::HashValueNotInteger)?,
        None => 0,
    };
    let new = current
        .checked_add(increment)
        .ok_or(CommandError::IncrementOverflow)?;
    // An increment is not an overwrite: a live field keeps its TTL.
    db.hash_or_create(key)?
        .set_within(field, new.to_string().as_bytes(), TtlOnWrite::Keep, limits);
    Ok(Reply::Integer(new))
}

/// HINCRBY's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const HINCRBY_SPEC: CommandSpec = CommandSpec::hash("hincrby", 4, "2.0.0", hincrby, &HINCRBY)
    .info(
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

    #[test]
    fn adds_and_creates() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("HINCRBY h a 3"), int(3));
        assert_eq!(t.run("HINCRBY h a -5"), int(-2));
        assert_eq!(t.run("HGET h a"), bulk("-2"));
        assert_eq!(t.run("HSET h b 10"), int(1));
        assert_eq!(t.run("HINCRBY h b 0"), int(10));
        assert_eq!(
            t.resp2("HINCRBY h b 1").to_bytes(Protocol::Resp2),
            b":11\r\n"
        );
        assert_eq!(t.run("HINCRBY h new -5"), int(-5));
    }

    #[test]
    fn bad_increment_comes_before_wrongtype() {
        let mut t = TestEngine::new();
        t.engine.keyspace_mut(0).set_string(b"s", b"x");
        let not_int = err("ERR value is not an integer or out of range");
        assert_eq!(t.run("HINCRBY s f x"), not_int);
        assert_eq!(
            t.run("HINCRBY s f 1"),
            err("WRONGTYPE Operation against a key holding the wrong kind of value")
        );
        t.run("HSET h ok 10");
        for bad in ["+1", "1.0", "9223372036854775808", "0x10", "1e3"] {
            assert_eq!(t.run(&format!("HINCRBY h ok {bad}")), not_int, "{bad}");
        }
        assert_eq!(t.run_args(&[b"HINCRBY", b"h", b"ok", b" 1"]), not_int);
        assert_eq!(t.run_args(&[b"HINCRBY", b"h", b"ok", b"1\x002"]), not_int);
        assert_eq!(t.run_args(&[b"HINCRBY", b"h", b"ok", b""]), not_int);
        // A failed parse does not create the key.
        assert_eq!(t.run("HINCRBY nokey f x"), not_int);
        assert!(!t.engine.keyspace(0).contains(b"nokey"));
    }

    #[test]
    fn stored_value_must_be_a_canonical_integer() {
        let mut t = TestEngine::new();
        let not_int = err("ERR hash value is not an integer");
        for stored in [
            &b"abc"[..],
            b"007",
            b"+5",
            b" 5",
            b"5 ",
            b"1.5",
            b"",
            b"-0",
            b"1\x002",
            b"9223372036854775808",
        ] {
            t.run_args(&[b"HSET", b"h", b"f", stored]);
            assert_eq!(t.run("HINCRBY h f 1"), not_int, "{stored:?}");
            // The value is left as it was.
            assert_eq!(
                t.run("HGET h f"),
                bulk(std::str::from_utf8(stored).unwrap())
            );
        }
    }

    #[test]
    fn overflow_in_both_directions() {
        let mut t = TestEngine::new();
        let overflow = err("ERR increment or decrement would overflow");
        t.run("HSET h max 9223372036854775807 min -9223372036854775808");
        assert_eq!(t.run("HINCRBY h max 1"), overflow);
        assert_eq!(t.run("HINCRBY h max 0"), int(i64::MAX));
        assert_eq!(t.run("HINCRBY h min -1"), overflow);
        assert_eq!(t.run("HGET h min"), bulk("-9223372036854775808"));
        assert_eq!(t.run("HINCRBY h max -9223372036854775808"), int(-1));
        assert_eq!(t.run("HINCRBY h min 9223372036854775807"), int(-1));
        assert_eq!(t.run("HINCRBY h new -9223372036854775808"), int(i64::MIN));
    }

    #[test]
    fn long_field_name_converts() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1");
        let long = vec![b'x'; 65];
        assert_eq!(t.run_args(&[b"HINCRBY", b"h", &long, b"1"]), int(1));
        let h = t.engine.keyspace(0).hash(b"h").unwrap().unwrap();
        assert_eq!(h.encoding(), Encoding::Hashtable);
    }

    #[test]
    fn live_field_keeps_its_ttl() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2");
        t.expire_fields("h", &["a"], NOW + 100);
        assert_eq!(t.run("HINCRBY h a 5"), int(6));
        let h = t.engine.keyspace(0).hash(b"h").unwrap().unwrap();
        assert_eq!(h.get(b"a").unwrap().expire_at_ms, Some(NOW + 100));
        // Still first in listpackex order, because it still has a TTL.
        assert_eq!(t.run("HKEYS h"), arr(vec![bulk("a"), bulk("b")]));
    }

    #[test]
    fn expired_field_counts_as_zero() {
        let mut t = TestEngine::new();
        t.run("HSET h a notanumber b 2 c 3");
        t.expire_fields("h", &["a", "b"], NOW + 1);
        t.advance(2);
        assert_eq!(t.run("HINCRBY h a 5"), int(5));
        assert_eq!(t.run("HLEN h"), int(3));
        let h = t.engine.keyspace(0).hash(b"h").unwrap().unwrap();
        assert_eq!(h.get(b"a").unwrap().expire_at_ms, None);
    }

    #[test]
    fn expired_last_field_recreates_the_key() {
        assert_increment_recreates_an_expired_last_field(
            "HINCRBY",
            "5",
            int(5),
            "5",
            err("ERR value is not an integer or out of range"),
        );
    }
}
