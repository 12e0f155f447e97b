//! HPERSIST: remove fields' time to live.
//!
//! ```text
//! HPERSIST key FIELDS numfields field [field ...]
//! ```
//!
//! <https://redis.io/docs/latest/commands/hpersist/>
//!
//! One integer per requested field: `-2` no such field (or no key, or expired), `-1` the
//! field has no TTL, `1` the TTL was removed. A field that loses its TTL moves to the tail of
//! a listpackex, behind the fields that never had one.

use super::ctx::{CommandResult, Ctx};
use super::fields::{fields_block, NumFields};
use super::grammar::{Grammar, FIELDS_ONLY};
use crate::reply::Reply;

/// What HPERSIST accepts, for the command table (syntax above).
pub const HPERSIST: Grammar = FIELDS_ONLY;

const NO_FIELD: i64 = -2;
const NO_TTL: i64 = -1;
const REMOVED: i64 = 1;

pub fn hpersist(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let now = ctx.now_ms;
    // WHY the type first: Redis looks the key up before parsing FIELDS.
    let hash = ctx.db().hash_mut(&argv[1])?;
    let fields = fields_block(argv, 2, NumFields::Positive)?;
    let Some(hash) = hash else {
        return Ok(Reply::Array(vec![Reply::Integer(NO_FIELD); fields.len()]));
    };
    // No touch_field_expiration here: on 8.2.3 HPERSIST leaves a listpack a listpack.
    let codes = fields
        .iter()
        .map(|field| {
            // An expired field is reported missing but not reclaimed (HLEN still counts it).
            let code = match hash.get_live(field, now).map(|f| f.expire_at_ms) {
                None => NO_FIELD,
                Some(None) => NO_TTL,
                Some(Some(_)) => {
                    hash.set_expire(field, None);
                    REMOVED
                }
            };
            Reply::Integer(code)
        })
        .collect();
    Ok(Reply::Array(codes))
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn codes_duplicates_and_order() {
        let mut t = TestEngine::new();
        hash(&mut t, "h", "a 1 b 2 c 3");
        t.run("HPEXPIRE h 1500 FIELDS 1 a");
        t.run("HPEXPIREAT h 1800000000001 FIELDS 1 b");
        assert_eq!(order(&t, "h"), ["a", "b", "c"]);
        // The duplicate sees the TTL already gone.
        assert_eq!(
            t.run("HPERSIST h FIELDS 4 a a c zz"),
            ints(&[1, -1, -1, -2])
        );
        assert_eq!(deadline(&t, "h", "a"), Some(None));
        // The field that lost its TTL went to the tail.
        assert_eq!(order(&t, "h"), ["b", "c", "a"]);
        assert_eq!(t.resp2("HPERSIST h FIELDS 1 b"), ints(&[1]));
        assert_eq!(order(&t, "h"), ["c", "a", "b"]);
        assert_eq!(encoding(&t, "h"), "listpackex");
    }

    #[test]
    fn missing_key_and_listpack() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("HPERSIST nokey FIELDS 2 a b"), ints(&[-2, -2]));
        assert!(stored_hash(&t, "nokey").is_none());
        hash(&mut t, "h", "a 1");
        assert_eq!(t.run("HPERSIST h FIELDS 1 a"), ints(&[-1]));
        assert_eq!(encoding(&t, "h"), "listpack");
    }

    #[test]
    fn expired_field_is_missing_and_not_reclaimed() {
        let mut t = TestEngine::new();
        hash(&mut t, "h", "a 1 b 2 c 3");
        t.run("HPEXPIRE h 1 FIELDS 2 a c");
        t.advance(2);
        assert_eq!(t.run("HPERSIST h FIELDS 1 a"), ints(&[-2]));
        assert_eq!(deadline(&t, "h", "a"), Some(Some(NOW + 1)));
    }

    #[test]
    fn deadline_equal_to_now_is_still_alive() {
        // Unlike HTTL/HPTTL (which already say -2 then), HPERSIST sees the field: on 8.2.3,
        // within one script snapshot where HPTTL said -2, HGET returned the value and
        // HPERSIST replied 1.
        let mut t = TestEngine::new();
        hash(&mut t, "h", "a 1 b 2");
        t.run("HPEXPIRE h 1 FIELDS 1 a");
        t.advance(1);
        assert_eq!(t.run("HPTTL h FIELDS 1 a"), ints(&[-2]));
        assert_eq!(t.run("HPERSIST h FIELDS 1 a"), ints(&[1]));
        assert_eq!(deadline(&t, "h", "a"), Some(None));
    }
}
