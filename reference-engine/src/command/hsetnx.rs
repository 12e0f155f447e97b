//! HSETNX: set a field only if it does not exist.
//!
//! ```text
//! HSETNX key field value
//! ```
//!
//! Replies `:1` if the field was set (creating the key if needed), `:0` if it already existed
//! and nothing changed.
//! <https://redis.io/docs/latest/commands/hsetnx/>

use super::ctx::{CommandResult, Ctx};
use super::grammar::{Grammar, Shape};
use super::spec::{CommandSpec, KeySpec};
use crate::hash::TtlOnWrite;
use crate::reply::Reply;

/// What HSETNX accepts, for the command table (syntax above).
pub const HSETNX: Grammar = Grammar {
    shape: Shape::Pairs,
    keywords: &[],
    errors: &["WrongArity", "WrongType"],
};

pub fn hsetnx(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let (key, field, value) = (&argv[1], &argv[2], &argv[3]);
    let now = ctx.now_ms;
    let limits = ctx.hash_limits();
    let db = ctx.db();
    // Unlike HSET, HSETNX reclaims an expired field first, so it counts as absent and gets
    // set. If that was the hash's last field the key is deleted and created again, so it
    // starts over as a plain listpack, as in Redis.
    db.reclaim_field(key, field, now)?;
    if db.hash(key)?.is_some_and(|h| h.get(field).is_some()) {
        // No conversion either: Redis only looks at the value's length when it writes.
        return Ok(Reply::Integer(0));
    }
    db.hash_or_create(key)?
        .set_within(field, value, TtlOnWrite::Clear, limits);
    Ok(Reply::Integer(1))
}

/// HSETNX's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const HSETNX_SPEC: CommandSpec = CommandSpec::hash("hsetnx", 4, "2.0.0", hsetnx, &HSETNX).info(
    "write denyoom fast",
    "@write @hash @fast",
    "",
    Some(KeySpec::range("RW insert", 1, 0)),
);

#[cfg(test)]
mod tests {
    use crate::hash::Encoding;
    use crate::test_support::*;

    fn encoding(t: &TestEngine, key: &[u8]) -> Encoding {
        t.engine.keyspace(0).hash(key).unwrap().unwrap().encoding()
    }

    #[test]
    fn sets_only_absent_fields() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("HSETNX h a 1"), int(1));
        assert_eq!(t.run("HSETNX h a 2"), int(0));
        assert_eq!(t.run("HGET h a"), bulk("1"));
        assert_eq!(t.run("HSETNX h b 2"), int(1));
        assert_eq!(t.run("HLEN h"), int(2));
    }

    #[test]
    fn long_value_converts_only_when_written() {
        let mut t = TestEngine::new();
        let long = vec![b'x'; 65];
        t.run("HSET h a 1");
        assert_eq!(t.run_args(&[b"HSETNX", b"h", b"a", &long]), int(0));
        assert_eq!(encoding(&t, b"h"), Encoding::Listpack);
        assert_eq!(t.run_args(&[b"HSETNX", b"h", b"b", &long]), int(1));
        assert_eq!(encoding(&t, b"h"), Encoding::Hashtable);
    }

    #[test]
    fn live_field_keeps_its_ttl() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1");
        t.expire_fields("h", &["a"], NOW + 100);
        assert_eq!(t.run("HSETNX h a 2"), int(0));
        let h = t.engine.keyspace(0).hash(b"h").unwrap().unwrap();
        assert_eq!(h.get(b"a").unwrap().expire_at_ms, Some(NOW + 100));
    }

    #[test]
    fn expired_field_is_reclaimed_then_set_without_ttl() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2 c 3");
        t.expire_fields("h", &["a", "b"], NOW + 1);
        t.advance(2);
        assert_eq!(t.run("HSETNX h a 9"), int(1));
        // `a` was deleted and added again (at the tail, with no TTL); `b` is still counted.
        assert_eq!(t.run("HLEN h"), int(3));
        let h = t.engine.keyspace(0).hash(b"h").unwrap().unwrap();
        assert_eq!(h.get(b"a").unwrap().expire_at_ms, None);
        assert_eq!(
            t.run("HGETALL h"),
            crate::reply::Reply::Map(vec![(bulk("c"), bulk("3")), (bulk("a"), bulk("9"))])
        );
    }

    #[test]
    fn reclaiming_the_last_field_recreates_the_key_as_listpack() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1");
        t.expire_fields("h", &["a"], NOW + 1);
        assert_eq!(encoding(&t, b"h"), Encoding::ListpackEx);
        t.advance(2);
        assert_eq!(t.run("HSETNX h a 9"), int(1));
        assert_eq!(encoding(&t, b"h"), Encoding::Listpack);
        assert_eq!(t.run("HGET h a"), bulk("9"));
    }
}
