//! HMGET: the values of several fields.
//!
//! ```text
//! HMGET key field [field ...]
//! ```
//!
//! Replies with one bulk string or null per requested field, in request order, duplicates
//! included. A missing key gives an array of nulls.
//! <https://redis.io/docs/latest/commands/hmget/>

use super::ctx::{CommandResult, Ctx};
use super::grammar::{Grammar, Shape};
use crate::reply::Reply;

/// What HMGET accepts, for the command table (syntax above).
pub const HMGET: Grammar = Grammar {
    shape: Shape::Fields,
    keywords: &[],
    errors: &["WrongArity", "WrongType"],
};

pub fn hmget(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let key = &argv[1];
    let now = ctx.now_ms;
    let db = ctx.db();
    // The type is checked once, before any reply element, even when no field is expired.
    db.check_hash(key)?;
    let mut replies = Vec::with_capacity(argv.len() - 2);
    for field in &argv[2..] {
        // Each expired field is deleted as it is met; if that empties the hash the key goes
        // and every later field is null, as Redis stops looking once the key is gone.
        let reply =
            db.read_live_field(key, field, now, |f| Reply::bulk_or_null(f.map(|f| f.value)))?;
        replies.push(reply);
    }
    Ok(Reply::Array(replies))
}

#[cfg(test)]
mod tests {
    use crate::reply::{Protocol, Reply};
    use crate::test_support::*;

    #[test]
    fn values_in_request_order_with_duplicates() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2");
        assert_eq!(
            t.run("HMGET h b zz a b"),
            arr(vec![bulk("2"), Reply::Null, bulk("1"), bulk("2")])
        );
        assert_eq!(
            t.run("HMGET nokey a b"),
            arr(vec![Reply::Null, Reply::Null])
        );
        assert_eq!(
            t.resp2("HMGET h zz a").to_bytes(Protocol::Resp2),
            b"*2\r\n$-1\r\n$1\r\n1\r\n"
        );
        assert_eq!(
            t.run("HMGET h zz").to_bytes(Protocol::Resp3),
            b"*1\r\n_\r\n"
        );
    }

    #[test]
    fn expired_fields_are_null_and_reclaimed() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2 c 3");
        t.expire_fields("h", &["a", "b"], NOW + 10);
        t.advance(11);
        assert_eq!(
            t.run("HMGET h a c a"),
            arr(vec![Reply::Null, bulk("3"), Reply::Null])
        );
        // `a` was reclaimed, the untouched `b` is still counted.
        assert_eq!(t.run("HLEN h"), int(2));
    }

    #[test]
    fn key_deleted_when_its_last_field_is_reclaimed() {
        assert_reclaiming_the_last_field_deletes_the_key(
            "HMGET h a a",
            arr(vec![Reply::Null, Reply::Null]),
        );
    }
}
