//! HTTL, HPTTL, HEXPIRETIME, HPEXPIRETIME: read fields' time to live.
//!
//! ```text
//! HTTL         key FIELDS numfields field [field ...]
//! HPTTL        key FIELDS numfields field [field ...]
//! HEXPIRETIME  key FIELDS numfields field [field ...]
//! HPEXPIRETIME key FIELDS numfields field [field ...]
//! ```
//!
//! <https://redis.io/docs/latest/commands/httl/>
//!
//! One integer per requested field: `-2` no such field (or no key, or the field has
//! expired), `-1` no TTL, otherwise the remaining time (HTTL, HPTTL) or the absolute deadline
//! (HEXPIRETIME, HPEXPIRETIME). Seconds are rounded **up**: 1001 ms left is 2 s.
//!
//! Read-only: an expired field is reported as -2 but not reclaimed, and a listpack stays a
//! listpack. Unlike every other command, these four count a field as gone already when its
//! deadline equals now.

use super::ctx::{CommandResult, Ctx};
use super::fields::{fields_block, NumFields, TimeUnit};
use super::grammar::{Grammar, FIELDS_ONLY};
use crate::reply::Reply;

/// What HTTL accepts, for the command table (syntax above).
pub const HTTL: Grammar = FIELDS_ONLY;
/// What HPTTL accepts, for the command table (syntax above).
pub const HPTTL: Grammar = FIELDS_ONLY;
/// What HEXPIRETIME accepts, for the command table (syntax above).
pub const HEXPIRETIME: Grammar = FIELDS_ONLY;
/// What HPEXPIRETIME accepts, for the command table (syntax above).
pub const HPEXPIRETIME: Grammar = FIELDS_ONLY;

pub fn httl(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    run(ctx, argv, TimeUnit::Seconds, true)
}

pub fn hpttl(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    run(ctx, argv, TimeUnit::Millis, true)
}

pub fn hexpiretime(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    run(ctx, argv, TimeUnit::Seconds, false)
}

pub fn hpexpiretime(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    run(ctx, argv, TimeUnit::Millis, false)
}

const NO_FIELD: i64 = -2;
const NO_TTL: i64 = -1;

/// `relative`: report time left (HTTL, HPTTL) rather than the deadline.
fn run(ctx: &mut Ctx<'_>, argv: &[Vec<u8>], unit: TimeUnit, relative: bool) -> CommandResult {
    let now = ctx.now_ms;
    // WHY the type first: Redis looks the key up before parsing FIELDS.
    let hash = ctx.db().hash(&argv[1])?;
    let fields = fields_block(argv, 2, NumFields::Positive)?;
    let base = if relative { now } else { 0 };
    let reply = fields
        .iter()
        .map(|field| {
            let code = match hash.and_then(|h| h.get(field)).map(|f| f.expire_at_ms) {
                None => NO_FIELD,
                Some(None) => NO_TTL,
                // WHY `<=` and not the usual "expired iff deadline < now": on 8.2.3 these
                // four report -2 already in the millisecond of the deadline, while HGET still
                // returns the value (observed within one script snapshot). So HPTTL never
                // replies 0 and HTTL never replies 0.
                Some(Some(at)) if at <= now => NO_FIELD,
                Some(Some(at)) => scale(at - base, unit),
            };
            Reply::Integer(code)
        })
        .collect();
    Ok(Reply::Array(reply))
}

/// Converts a non-negative ms amount to the reply unit. Seconds round up, as Redis adds 999
/// before dividing.
fn scale(ms: i64, unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Millis => ms,
        TimeUnit::Seconds => (ms + 999) / 1000,
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn no_key_no_field_no_ttl() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("HTTL nokey FIELDS 2 a b"), ints(&[-2, -2]));
        assert!(stored_hash(&t, "nokey").is_none());
        hash(&mut t, "h", "a 1 b 2");
        for cmd in ["HTTL", "HPTTL", "HEXPIRETIME", "hpexpiretime"] {
            let line = format!("{cmd} h FIELDS 3 a zz a");
            assert_eq!(t.run(&line), ints(&[-1, -2, -1]), "{cmd}");
        }
        // Reading does not convert the encoding.
        assert_eq!(encoding(&t, "h"), "listpack");
    }

    #[test]
    fn remaining_time_rounds_seconds_up() {
        let mut t = TestEngine::new();
        hash(&mut t, "h", "a 1 b 2");
        t.run("HPEXPIRE h 1500 FIELDS 1 a");
        assert_eq!(t.run("HTTL h FIELDS 2 a b"), ints(&[2, -1]));
        assert_eq!(t.run("HPTTL h FIELDS 1 a"), ints(&[1500]));
        t.advance(499);
        assert_eq!(t.run("HTTL h FIELDS 1 a"), ints(&[2]));
        t.advance(2);
        assert_eq!(t.run("HTTL h FIELDS 1 a"), ints(&[1]));
        assert_eq!(t.run("HPTTL h FIELDS 1 a"), ints(&[999]));
        t.advance(998);
        assert_eq!(t.run("HTTL h FIELDS 1 a"), ints(&[1]));
        assert_eq!(t.run("HPTTL h FIELDS 1 a"), ints(&[1]));
        t.advance(1);
        // Deadline == now: the field is still alive for HGET, but these say -2 (never 0).
        for cmd in ["HTTL", "HPTTL", "HEXPIRETIME", "HPEXPIRETIME"] {
            let line = format!("{cmd} h FIELDS 2 a b");
            assert_eq!(t.run(&line), ints(&[-2, -1]), "{cmd}");
        }
        assert_eq!(t.resp2("HGETEX h FIELDS 1 a"), arr(vec![bulk("1")]));
        t.advance(1);
        assert_eq!(t.resp2("HPTTL h FIELDS 1 a"), ints(&[-2]));
    }

    #[test]
    fn deadlines_round_seconds_up() {
        let mut t = TestEngine::new();
        hash(&mut t, "h", "a 1 b 2 c 3");
        t.run("HPEXPIREAT h 1800000000001 FIELDS 1 a");
        t.run("HPEXPIREAT h 70368744177663 FIELDS 1 b");
        t.run("HEXPIREAT h 1800000000 FIELDS 1 c");
        assert_eq!(
            t.run("HEXPIRETIME h FIELDS 3 a b c"),
            ints(&[1_800_000_001, 70_368_744_178, 1_800_000_000])
        );
        assert_eq!(
            t.run("HPEXPIRETIME h FIELDS 3 a b c"),
            ints(&[1_800_000_000_001, 70_368_744_177_663, 1_800_000_000_000])
        );
    }

    #[test]
    fn expired_fields_read_as_missing_and_stay() {
        let mut t = TestEngine::new();
        hash(&mut t, "h", "a 1");
        t.run("HPEXPIRE h 1 FIELDS 1 a");
        t.advance(2);
        for cmd in ["HTTL", "HPTTL", "HEXPIRETIME", "HPEXPIRETIME"] {
            let line = format!("{cmd} h FIELDS 1 a");
            assert_eq!(t.run(&line), ints(&[-2]), "{cmd}");
        }
        assert_eq!(deadline(&t, "h", "a"), Some(Some(NOW + 1)));
    }
}
