//! HEXISTS: whether a field exists.
//!
//! ```text
//! HEXISTS key field
//! ```
//!
//! Replies `:1` or `:0`. It stays an integer in RESP3: Redis never moved it to the boolean
//! type.
//! <https://redis.io/docs/latest/commands/hexists/>

use super::ctx::{CommandResult, Ctx};
use super::grammar::{Grammar, Shape};
use crate::reply::Reply;

/// What HEXISTS accepts, for the command table (syntax above).
pub const HEXISTS: Grammar = Grammar {
    shape: Shape::Fields,
    keywords: &[],
    errors: &["WrongArity", "WrongType"],
};

pub fn hexists(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let (key, field) = (&argv[1], &argv[2]);
    let now = ctx.now_ms;
    // An expired field is deleted on this access and then reported as absent.
    ctx.db()
        .read_live_field(key, field, now, |f| Reply::Integer(i64::from(f.is_some())))
}

#[cfg(test)]
mod tests {
    use crate::reply::Protocol;
    use crate::test_support::*;

    #[test]
    fn integer_in_both_protocols() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1");
        assert_eq!(t.run("HEXISTS h a"), int(1));
        assert_eq!(t.run("HEXISTS h a").to_bytes(Protocol::Resp3), b":1\r\n");
        assert_eq!(t.run("HEXISTS h b"), int(0));
        assert_eq!(t.run("HEXISTS nokey a"), int(0));
        assert_eq!(t.resp2("HEXISTS h a"), int(1));
    }

    #[test]
    fn expired_field_is_absent_and_reclaimed() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2");
        t.expire_fields("h", &["a"], NOW + 10);
        t.advance(10);
        // Expired means strictly before now: at the deadline itself the field lives.
        assert_eq!(t.run("HEXISTS h a"), int(1));
        t.advance(1);
        assert_eq!(t.run("HLEN h"), int(2));
        assert_eq!(t.run("HEXISTS h a"), int(0));
        assert_eq!(t.run("HLEN h"), int(1));
    }

    #[test]
    fn key_deleted_when_its_last_field_is_reclaimed() {
        assert_reclaiming_the_last_field_deletes_the_key("HEXISTS h a", int(0));
    }
}
