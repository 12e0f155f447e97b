//! HLEN: the number of fields in a hash.
//!
//! ```text
//! HLEN key
//! ```
//!
//! Replies with an integer; 0 for a missing key.
//! <https://redis.io/docs/latest/commands/hlen/>

use super::ctx::{CommandResult, Ctx};
use super::grammar::{Grammar, Shape};
use crate::reply::Reply;

/// What HLEN accepts, for the command table (syntax above).
pub const HLEN: Grammar = Grammar {
    shape: Shape::KeyOnly,
    keywords: &[],
    errors: &["WrongArity", "WrongType"],
};

pub fn hlen(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    // WHY `len` and not `live_len`: Redis 8.2 reports the stored length, so fields that have
    // expired but that nothing has reclaimed yet are still counted. HLEN reclaims nothing.
    let len = ctx.db().hash(&argv[1])?.map_or(0, |h| h.len());
    Ok(Reply::Integer(len as i64))
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn counts_fields() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("HLEN h"), int(0));
        t.run("HSET h a 1 b 2 a 3");
        assert_eq!(t.run("HLEN h"), int(2));
    }

    #[test]
    fn counts_expired_fields_until_reclaimed() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2 c 3");
        t.expire_fields("h", &["a", "b"], NOW + 10);
        t.advance(11);
        assert_eq!(t.run("HLEN h"), int(3));
        assert_eq!(t.run("HLEN h"), int(3));
        t.run("HEXISTS h a");
        assert_eq!(t.run("HLEN h"), int(2));
    }
}
