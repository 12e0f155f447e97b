//! HGET: the value of one field.
//!
//! ```text
//! HGET key field
//! ```
//!
//! Replies with the value as a bulk string, or null when the key or the field is missing.
//! <https://redis.io/docs/latest/commands/hget/>

use super::ctx::{CommandResult, Ctx};
use super::grammar::{Grammar, Shape};
use crate::reply::Reply;

/// What HGET accepts, for the command table (syntax above).
pub const HGET: Grammar = Grammar {
    shape: Shape::Fields,
    keywords: &[],
    errors: &["WrongArity", "WrongType"],
};

pub fn hget(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let (key, field) = (&argv[1], &argv[2]);
    // Reading an expired field deletes it (and the key, if it was the last field): Redis
    // expires lazily on access, which HLEN can observe afterwards. The clock is read only
    // if the field has a TTL (HGET is marked lazy_clock).
    let (db, now) = ctx.db_and_now();
    db.read_live_field_with(key, field, now, |f| Reply::bulk_or_null(f.map(|f| f.value)))
}

#[cfg(test)]
mod tests {
    use crate::reply::Reply;
    use crate::test_support::*;

    #[test]
    fn returns_the_value_or_null() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2");
        assert_eq!(t.run("HGET h b"), bulk("2"));
        assert_eq!(t.run("HGET h zz"), Reply::Null);
        assert_eq!(t.run("HGET nokey a"), Reply::Null);
        assert_eq!(
            t.resp2("HGET nokey a").to_bytes(crate::Protocol::Resp2),
            b"$-1\r\n"
        );
        assert!(!t.engine.keyspace(0).contains(b"nokey"));
        t.run_args(&[b"HSET", b"h", b"", b""]);
        assert_eq!(t.run_args(&[b"HGET", b"h", b""]), bulk(""));
    }

    #[test]
    fn expired_field_is_reclaimed() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2 c 3");
        t.expire_fields("h", &["a", "b"], NOW + 10);
        assert_eq!(t.run("HGET h a"), bulk("1"));
        t.advance(11);
        assert_eq!(t.run("HGET h a"), Reply::Null);
        // Only the touched field went: HLEN still counts the expired `b`.
        assert_eq!(t.run("HLEN h"), int(2));
    }

    #[test]
    fn reclaiming_the_last_field_deletes_the_key() {
        assert_reclaiming_the_last_field_deletes_the_key("HGET h a", Reply::Null);
        // A different field does not reclaim `a`.
        let mut t = TestEngine::new();
        t.run("HSET h a 1");
        t.expire_fields("h", &["a"], NOW + 10);
        t.advance(11);
        assert_eq!(t.run("HGET h zz"), Reply::Null);
        assert!(t.engine.keyspace(0).contains(b"h"));
    }
}
