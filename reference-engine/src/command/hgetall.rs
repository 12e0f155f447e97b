//! HGETALL, HKEYS, HVALS: every field and/or value of a hash.
//!
//! ```text
//! HGETALL key
//! HKEYS key
//! HVALS key
//! ```
//!
//! HGETALL replies with a map (RESP3 `%N`), which a RESP2 client receives as a flat array
//! `field value field value ...`. HKEYS and HVALS reply with a flat array. A missing key gives
//! an empty map or array.
//! <https://redis.io/docs/latest/commands/hgetall/>
//! <https://redis.io/docs/latest/commands/hkeys/>
//! <https://redis.io/docs/latest/commands/hvals/>
//!
//! Order is the hash's own order (see [`crate::hash`]): deterministic for the listpack
//! encodings, implementation-defined for a hash table.

use super::ctx::{CommandResult, Ctx};
use super::grammar::{Grammar, Shape};
use crate::hash::FieldView;
use crate::reply::Reply;

/// What HGETALL accepts, for the command table (syntax above).
pub const HGETALL: Grammar = Grammar {
    shape: Shape::Listing,
    keywords: &[],
    errors: &["WrongArity", "WrongType"],
};
/// What HKEYS accepts, for the command table (syntax above).
pub const HKEYS: Grammar = Grammar {
    shape: Shape::Listing,
    keywords: &[],
    errors: &["WrongArity", "WrongType"],
};
/// What HVALS accepts, for the command table (syntax above).
pub const HVALS: Grammar = Grammar {
    shape: Shape::Listing,
    keywords: &[],
    errors: &["WrongArity", "WrongType"],
};

pub fn hgetall(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let pairs = live_fields(ctx, &argv[1], |f| {
        (Reply::bulk(f.field), Reply::bulk(f.value))
    })?;
    Ok(Reply::Map(pairs))
}

pub fn hkeys(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    live_fields(ctx, &argv[1], |f| Reply::bulk(f.field)).map(Reply::Array)
}

pub fn hvals(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    live_fields(ctx, &argv[1], |f| Reply::bulk(f.value)).map(Reply::Array)
}

/// The live fields of the hash at `key`, mapped by `each`, in reply order.
///
/// WHY expired fields are skipped but not deleted: these commands are read-only in Redis
/// and only filter while iterating. So a hash whose fields have all expired replies empty
/// while the key still exists (EXISTS 1, HLEN > 0) until something reclaims it.
fn live_fields<T>(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    each: impl Fn(FieldView<'_>) -> T,
) -> Result<Vec<T>, crate::error::CommandError> {
    let now = ctx.now_ms;
    Ok(match ctx.db().hash(key)? {
        Some(h) => h.iter_live(now).map(each).collect(),
        None => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use crate::reply::{Protocol, Reply};
    use crate::test_support::*;

    #[test]
    fn hgetall_is_a_map_in_resp3_and_flat_in_resp2() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2 a 3");
        assert_eq!(
            t.run("HGETALL h"),
            Reply::Map(vec![(bulk("a"), bulk("3")), (bulk("b"), bulk("2"))])
        );
        assert_eq!(
            t.run("HGETALL h").to_bytes(Protocol::Resp3),
            b"%2\r\n$1\r\na\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n2\r\n"
        );
        assert_eq!(
            t.resp2("HGETALL h").to_bytes(Protocol::Resp2),
            b"*4\r\n$1\r\na\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n2\r\n"
        );
        assert_eq!(t.run("HGETALL nokey").to_bytes(Protocol::Resp3), b"%0\r\n");
        assert_eq!(
            t.resp2("HGETALL nokey").to_bytes(Protocol::Resp2),
            b"*0\r\n"
        );
    }

    #[test]
    fn keys_and_values_in_listpack_order() {
        let mut t = TestEngine::new();
        t.run("HSET h z 1 y 2 x 3");
        t.run("HDEL h z");
        t.run("HSET h z 4 y 5");
        assert_eq!(t.run("HKEYS h"), arr(vec![bulk("y"), bulk("x"), bulk("z")]));
        assert_eq!(t.run("HVALS h"), arr(vec![bulk("5"), bulk("3"), bulk("4")]));
        assert_eq!(t.run("HKEYS nokey"), arr(vec![]));
        assert_eq!(t.run("HVALS nokey"), arr(vec![]));
    }

    #[test]
    fn expired_fields_are_hidden_but_not_deleted() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2 c 3");
        t.expire_fields("h", &["a", "b"], NOW + 10);
        t.advance(11);
        assert_eq!(t.run("HGETALL h"), Reply::Map(vec![(bulk("c"), bulk("3"))]));
        assert_eq!(t.run("HKEYS h"), arr(vec![bulk("c")]));
        assert_eq!(t.run("HVALS h"), arr(vec![bulk("3")]));
        assert_eq!(t.run("HLEN h"), int(3));
    }

    #[test]
    fn all_expired_replies_empty_but_key_stays() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1");
        t.expire_fields("h", &["a"], NOW + 10);
        t.advance(11);
        assert_eq!(t.run("HGETALL h").to_bytes(Protocol::Resp3), b"%0\r\n");
        assert_eq!(t.run("HKEYS h"), arr(vec![]));
        assert_eq!(t.run("HVALS h"), arr(vec![]));
        assert!(t.engine.keyspace(0).contains(b"h"));
        assert_eq!(t.run("HLEN h"), int(1));
    }

    #[test]
    fn ttl_fields_come_first_in_listpackex() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2 c 3 d 4");
        t.expire_fields("h", &["c"], NOW + 100);
        t.expire_fields("h", &["d"], NOW + 50);
        assert_eq!(
            t.run("HKEYS h"),
            arr(vec![bulk("d"), bulk("c"), bulk("a"), bulk("b")])
        );
    }
}
