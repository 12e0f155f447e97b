//! HDEL: delete fields.
//!
//! ```text
//! HDEL key field [field ...]
//! ```
//!
//! Replies with the number of fields removed; 0 for a missing key. The key is deleted when
//! its last field goes.
//! <https://redis.io/docs/latest/commands/hdel/>

use super::ctx::{CommandResult, Ctx};
use super::grammar::{Grammar, Shape};
use crate::reply::Reply;

/// What HDEL accepts, for the command table (syntax above).
pub const HDEL: Grammar = Grammar {
    shape: Shape::Fields,
    keywords: &[],
    errors: &["WrongArity", "WrongType"],
};

pub fn hdel(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let key = &argv[1];
    let db = ctx.db();
    let Some(h) = db.hash_mut(key)? else {
        return Ok(Reply::Integer(0));
    };
    let mut deleted = 0;
    for field in &argv[2..] {
        // WHY no expiry check: HDEL deletes what is stored, so an expired field that nothing
        // has reclaimed yet still counts as deleted. A repeated field is gone the second
        // time, so duplicates count once.
        if h.remove(field) {
            deleted += 1;
            // Redis deletes the key the moment the hash empties and ignores the rest.
            if h.is_empty() {
                break;
            }
        }
    }
    db.remove_if_empty(key);
    Ok(Reply::Integer(deleted))
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn counts_removed_fields_once() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2 c 3");
        assert_eq!(t.run("HDEL h a a zz"), int(1));
        assert_eq!(t.run("HDEL h a"), int(0));
        assert_eq!(t.run("HDEL nokey a"), int(0));
        assert_eq!(t.run("HKEYS h"), arr(vec![bulk("b"), bulk("c")]));
    }

    #[test]
    fn deletes_the_key_when_the_hash_empties() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2");
        assert_eq!(t.run("HDEL h a zz b a"), int(2));
        assert!(!t.engine.keyspace(0).contains(b"h"));
    }

    #[test]
    fn an_expired_unreclaimed_field_counts_as_deleted() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2");
        t.expire_fields("h", &["a"], NOW + 1);
        t.advance(2);
        assert_eq!(t.run("HDEL h a"), int(1));
        assert_eq!(t.run("HLEN h"), int(1));
        t.expire_fields("h", &["b"], NOW + 1);
        assert_eq!(t.run("HDEL h b"), int(1));
        assert!(!t.engine.keyspace(0).contains(b"h"));
    }
}
