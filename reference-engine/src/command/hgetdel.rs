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
    fn wrongtype_comes_before_argument_errors() {
        let mut t = TestEngine::new();
        t.engine.keyspace_mut(0).set_string(b"s", b"x");
        let wrongtype = err("WRONGTYPE Operation against a key holding the wrong kind of value");
        assert_eq!(t.run("HGETDEL s FOO 1 a"), wrongtype);
        assert_eq!(t.run("HGETDEL s FIELDS 0 a"), wrongtype);
        assert_eq!(t.run("HGETDEL s FIELDS 1 a"), wrongtype);
    }

    #[test]
    fn argument_errors_in_order() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1");
        let missing = err("ERR Mandatory argument FIELDS is missing or not at the right position");
        let positive = err("ERR Number of fields must be a positive integer");
        let mismatch = err("ERR The `numfields` parameter must match the number of arguments");
        for key in ["h", "nokey"] {
            assert_eq!(t.run(&format!("HGETDEL {key} FOO 1 a")), missing);
            assert_eq!(t.run(&format!("HGETDEL {key} 1 FIELDS a")), missing);
            assert_eq!(t.run(&format!("HGETDEL {key} FIELDS 0 a")), positive);
            assert_eq!(t.run(&format!("HGETDEL {key} FIELDS -1 a")), positive);
            assert_eq!(t.run(&format!("HGETDEL {key} FIELDS x a")), positive);
            assert_eq!(t.run(&format!("HGETDEL {key} FIELDS 01 a")), positive);
            assert_eq!(t.run(&format!("HGETDEL {key} FIELDS 2 a")), mismatch);
            assert_eq!(t.run(&format!("HGETDEL {key} FIELDS 1 a b")), mismatch);
            assert_eq!(
                t.run(&format!("HGETDEL {key} FIELDS 9223372036854775807 a")),
                mismatch
            );
        }
        // Nothing was deleted by the failed calls.
        assert_eq!(t.run("HGET h a"), bulk("1"));
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

    #[test]
    fn fields_keyword_compares_as_a_c_string() {
        // Redis 8.2.3 accepts FIELDS\0z (strcasecmp stops at the NUL).
        let mut t = TestEngine::new();
        t.run("HSET h g w x y");
        assert_eq!(
            t.run_args(&[b"HGETDEL", b"h", b"FIELDS\0z", b"1", b"g"]),
            arr(vec![bulk("w")])
        );
        assert_eq!(
            t.run_args(&[b"HGETDEL", b"h", b"FIELD\0S", b"1", b"x"]),
            err("ERR Mandatory argument FIELDS is missing or not at the right position")
        );
    }
}
