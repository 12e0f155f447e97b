//! HGETDEL: get fields' values and delete the fields (Redis 8.0+).
//!
//! ```text
//! HGETDEL key FIELDS numfields field [field ...]
//! ```
//!
//! Replies with one bulk string or null per requested field, in request order. A missing
//! key gives an array of nulls. The key is deleted when its last field goes.
//! <https://redis.io/docs/latest/commands/hgetdel/>

use super::ctx::{CommandResult, Ctx};
use super::fields::{fields_block, NumFields};
use super::grammar::{Grammar, FIELDS_ONLY};
use crate::reply::Reply;

/// What HGETDEL accepts, for the command table (syntax above).
pub const HGETDEL: Grammar = FIELDS_ONLY;

pub fn hgetdel(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let key = &argv[1];
    let now = ctx.now_ms;
    let db = ctx.db();
    // Unusual order: HGETDEL checks the key's type before it parses its arguments, so
    // `HGETDEL string-key FOO 0` says WRONGTYPE. A missing key still gets the argument
    // errors.
    db.check_hash(key)?;
    let fields = fields_block(argv, 2, NumFields::Positive)?;
    let mut replies = Vec::with_capacity(fields.len());
    for field in fields {
        // An expired field is reclaimed and reads as null, like a missing one.
        db.reclaim_field(key, field, now)?;
        let value = match db.hash_mut(key)? {
            Some(h) => {
                let value = h.get(field).map(|f| f.value.to_vec());
                // Deleted on first sight, so a repeated field is null the second time.
                h.remove(field);
                value
            }
            None => None,
        };
        db.remove_if_empty(key);
        replies.push(Reply::bulk_or_null(value));
    }
    Ok(Reply::Array(replies))
}

#[cfg(test)]
mod tests {
    use crate::reply::{Protocol, Reply};
    use crate::test_support::*;

    #[test]
    fn returns_and_deletes() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2 c 3");
        assert_eq!(
            t.run("HGETDEL h FIELDS 3 a a b"),
            arr(vec![bulk("1"), Reply::Null, bulk("2")])
        );
        assert_eq!(t.run("HKEYS h"), arr(vec![bulk("c")]));
        assert_eq!(
            t.run("hgetdel h fields 2 c zz"),
            arr(vec![bulk("3"), Reply::Null])
        );
        assert!(!t.engine.keyspace(0).contains(b"h"));
    }

    #[test]
    fn fields_after_the_hash_empties_are_null() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2");
        assert_eq!(
            t.run("HGETDEL h FIELDS 3 a b a"),
            arr(vec![bulk("1"), bulk("2"), Reply::Null])
        );
        assert!(!t.engine.keyspace(0).contains(b"h"));
    }

    #[test]
    fn missing_key_gives_nulls() {
        let mut t = TestEngine::new();
        assert_eq!(
            t.run("HGETDEL nokey FIELDS 2 a b")
                .to_bytes(Protocol::Resp3),
            b"*2\r\n_\r\n_\r\n"
        );
        assert_eq!(
            t.resp2("HGETDEL nokey FIELDS 1 a")
                .to_bytes(Protocol::Resp2),
            b"*1\r\n$-1\r\n"
        );
        assert!(!t.engine.keyspace(0).contains(b"nokey"));
    }

    #[test]
    fn expired_fields_read_as_null_and_are_reclaimed() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2 c 3");
        t.expire_fields("h", &["a", "b"], NOW + 1);
        t.advance(2);
        assert_eq!(
            t.run("HGETDEL h FIELDS 2 a c"),
            arr(vec![Reply::Null, bulk("3")])
        );
        // Only the expired `b`, never touched, is left.
        assert_eq!(t.run("HLEN h"), int(1));
        assert_eq!(t.run("HGETALL h"), Reply::Map(vec![]));
        assert_eq!(t.run("HGETDEL h FIELDS 1 b"), arr(vec![Reply::Null]));
        assert!(!t.engine.keyspace(0).contains(b"h"));
    }
}
