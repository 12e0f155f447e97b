//! HSTRLEN: the length in bytes of a field's value.
//!
//! ```text
//! HSTRLEN key field
//! ```
//!
//! Replies with an integer; 0 for a missing key or field.
//! <https://redis.io/docs/latest/commands/hstrlen/>

use super::ctx::{CommandResult, Ctx};
use super::grammar::{Grammar, Shape};
use crate::reply::Reply;

/// What HSTRLEN accepts, for the command table (syntax above).
pub const HSTRLEN: Grammar = Grammar {
    shape: Shape::Fields,
    keywords: &[],
    errors: &["WrongArity", "WrongType"],
};

pub fn hstrlen(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let (key, field) = (&argv[1], &argv[2]);
    let now = ctx.now_ms;
    // An expired field is deleted on this access and then counts as missing (length 0).
    // Redis stores integer-looking values as integers in a listpack, but measures the
    // decimal text; we store the text, so its length is the same number.
    ctx.db().read_live_field(key, field, now, |f| {
        Reply::Integer(f.map_or(0, |f| f.value.len()) as i64)
    })
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn lengths() {
        let mut t = TestEngine::new();
        t.run("HSET h neg -123 max 9223372036854775807 min -9223372036854775808 s hello");
        t.run_args(&[b"HSET", b"h", b"empty", b""]);
        assert_eq!(t.run("HSTRLEN h neg"), int(4));
        assert_eq!(t.run("HSTRLEN h max"), int(19));
        assert_eq!(t.run("HSTRLEN h min"), int(20));
        assert_eq!(t.run("HSTRLEN h s"), int(5));
        assert_eq!(t.run("HSTRLEN h empty"), int(0));
        assert_eq!(t.run("HSTRLEN h zz"), int(0));
        assert_eq!(t.run("HSTRLEN nokey a"), int(0));
    }

    #[test]
    fn expired_field_counts_as_missing_and_is_reclaimed() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2");
        t.expire_fields("h", &["a"], NOW + 10);
        t.advance(11);
        assert_eq!(t.run("HSTRLEN h a"), int(0));
        assert_eq!(t.run("HLEN h"), int(1));
        t.run("HDEL h b");
        assert!(!t.engine.keyspace(0).contains(b"h"));
    }

    #[test]
    fn key_deleted_when_its_last_field_is_reclaimed() {
        assert_reclaiming_the_last_field_deletes_the_key("HSTRLEN h a", int(0));
    }
}
