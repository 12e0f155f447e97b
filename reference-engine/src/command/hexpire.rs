//! HEXPIRE, HPEXPIRE, HEXPIREAT, HPEXPIREAT: give fields a time to live.
//!
//! ```text
//! HEXPIRE    key seconds               [NX | XX | GT | LT] FIELDS numfields field [field ...]
//! HPEXPIRE   key milliseconds          [NX | XX | GT | LT] FIELDS numfields field [field ...]
//! HEXPIREAT  key unix-time-seconds     [NX | XX | GT | LT] FIELDS numfields field [field ...]
//! HPEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT] FIELDS numfields field [field ...]
//! ```
//!
//! <https://redis.io/docs/latest/commands/hexpire/>
//!
//! Replies with one integer per requested field, in request order: `-2` no such field (or
//! no key), `0` the NX/XX/GT/LT condition failed, `1` the TTL was set, `2` the field was
//! deleted because the time is now or in the past.
//!
//! The four commands differ only in the unit and in whether the time is relative to now, so
//! they share `run`.

use super::args::is_c_word;
use super::ctx::{CommandResult, Ctx};
use super::fields::{fields_block, parse_expire_time, NumFields, TimeUnit};
use super::grammar::{Grammar, Shape, TimeArg};
use crate::reply::Reply;

/// The four expire commands differ only in the unit and base of their time argument.
const fn expire_grammar(millis: bool, absolute: bool) -> Grammar {
    Grammar {
        shape: Shape::Expire(TimeArg { millis, absolute }),
        keywords: &["NX", "XX", "GT", "LT", "FIELDS"],
        errors: &[
            "WrongArity",
            "WrongType",
            "NotInteger",
            "NegativeExpireTime",
            "InvalidExpireTime",
            "FieldsMissing",
            "NumFieldsNotPositive",
            "NumFieldsMismatch",
        ],
    }
}

/// What HEXPIRE accepts, for the command table (syntax above).
pub const HEXPIRE: Grammar = expire_grammar(false, false);
/// What HPEXPIRE accepts, for the command table (syntax above).
pub const HPEXPIRE: Grammar = expire_grammar(true, false);
/// What HEXPIREAT accepts, for the command table (syntax above).
pub const HEXPIREAT: Grammar = expire_grammar(false, true);
/// What HPEXPIREAT accepts, for the command table (syntax above).
pub const HPEXPIREAT: Grammar = expire_grammar(true, true);

pub fn hexpire(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    run(ctx, argv, TimeUnit::Seconds, true)
}

pub fn hpexpire(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    run(ctx, argv, TimeUnit::Millis, true)
}

pub fn hexpireat(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    run(ctx, argv, TimeUnit::Seconds, false)
}

pub fn hpexpireat(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    run(ctx, argv, TimeUnit::Millis, false)
}

/// The optional condition word, which may only sit right after the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Condition {
    /// Only fields without a TTL.
    Nx,
    /// Only fields with a TTL.
    Xx,
    /// Only if the new deadline is later (no TTL counts as infinite, so never).
    Gt,
    /// Only if the new deadline is earlier (no TTL counts as infinite, so always).
    Lt,
}

impl Condition {
    fn parse(word: &[u8]) -> Option<Self> {
        [
            ("NX", Condition::Nx),
            ("XX", Condition::Xx),
            ("GT", Condition::Gt),
            ("LT", Condition::Lt),
        ]
        .into_iter()
        // strcasecmp on the C string, as Redis: `NX\0junk` is NX (8.2.3).
        .find(|(w, _)| is_c_word(word, w))
        .map(|(_, c)| c)
    }

    /// Whether a field whose deadline is `old` (None = no TTL) may get `new`. Equal
    /// deadlines fail both GT and LT.
    fn allows(self, old: Option<i64>, new: i64) -> bool {
        match (self, old) {
            (Condition::Nx, old) => old.is_none(),
            (Condition::Xx, old) => old.is_some(),
            (Condition::Gt, None) => false,
            (Condition::Gt, Some(old)) => new > old,
            (Condition::Lt, None) => true,
            (Condition::Lt, Some(old)) => new < old,
        }
    }
}

/// Per-field outcomes; the discriminants are the reply codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    NoField = -2,
    NotMet = 0,
    Set = 1,
    Deleted = 2,
}

fn run(ctx: &mut Ctx<'_>, argv: &[Vec<u8>], unit: TimeUnit, relative: bool) -> CommandResult {
    let now = ctx.now_ms;
    let key = &argv[1];
    // WHY the type first: Redis looks the key up before reading any argument here, so
    // `HEXPIRE str x FIELDS 1 a` is WRONGTYPE, not "not an integer".
    ctx.db().check_hash(key)?;
    let base = if relative { now } else { 0 };
    let deadline = parse_expire_time(argv, 2, unit, base)?;
    // Exactly one slot for the condition; a second word there is caught as "FIELDS missing".
    let condition = Condition::parse(&argv[3]);
    let fields_at = if condition.is_some() { 4 } else { 3 };
    let fields = fields_block(argv, fields_at, NumFields::Hexpire)?;

    let db = ctx.db();
    let Some(hash) = db.hash_mut(key)? else {
        return Ok(codes(fields.iter().map(|_| Outcome::NoField)));
    };
    // WHY before looking at the fields: Redis converts listpack to listpackex as soon as
    // the command gets this far, even if no field exists or no condition passes.
    hash.touch_field_expiration();
    let mut outcomes = Vec::with_capacity(fields.len());
    for field in fields {
        // An expired field not yet reclaimed still exists here: Redis revives it (NX sees
        // its old TTL and refuses).
        let Some(old) = hash.get(field).map(|f| f.expire_at_ms) else {
            outcomes.push(Outcome::NoField);
            continue;
        };
        // WHY the condition before the past-time check: `HEXPIRE k 0 XX` on a field with no
        // TTL must reply 0 and keep the field.
        if condition.is_some_and(|c| !c.allows(old, deadline)) {
            outcomes.push(Outcome::NotMet);
        } else if deadline <= now {
            hash.remove(field);
            outcomes.push(Outcome::Deleted);
        } else {
            hash.set_expire(field, Some(deadline));
            outcomes.push(Outcome::Set);
        }
    }
    db.remove_if_empty(key);
    Ok(codes(outcomes.into_iter()))
}

fn codes(outcomes: impl Iterator<Item = Outcome>) -> Reply {
    Reply::Array(outcomes.map(|o| Reply::Integer(o as i64)).collect())
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn sets_ttls_in_each_unit() {
        let mut t = TestEngine::new();
        hash(&mut t, "h", "a 1 b 2 c 3 d 4");
        assert_eq!(t.run("HEXPIRE h 100 FIELDS 1 a"), ints(&[1]));
        assert_eq!(deadline(&t, "h", "a"), Some(Some(NOW + 100 * S)));
        assert_eq!(t.run("hpexpire h 1500 fields 1 b"), ints(&[1]));
        assert_eq!(deadline(&t, "h", "b"), Some(Some(NOW + 1500)));
        assert_eq!(t.run("HEXPIREAT h 1800000000 FIELDS 1 c"), ints(&[1]));
        assert_eq!(deadline(&t, "h", "c"), Some(Some(1_800_000_000_000)));
        assert_eq!(t.run("HPEXPIREAT h 1800000000123 FIELDS 1 d"), ints(&[1]));
        assert_eq!(deadline(&t, "h", "d"), Some(Some(1_800_000_000_123)));
        assert_eq!(encoding(&t, "h"), "listpackex");
        assert_eq!(order(&t, "h"), ["b", "a", "c", "d"]);
    }

    #[test]
    fn replies_are_the_same_in_resp2() {
        let mut t = TestEngine::new();
        hash(&mut t, "h", "a 1");
        assert_eq!(t.resp2("HEXPIRE h 100 FIELDS 2 a zz"), ints(&[1, -2]));
    }

    #[test]
    fn missing_fields_duplicates_and_past_times() {
        let mut t = TestEngine::new();
        hash(&mut t, "h", "a 1 b 2");
        assert_eq!(t.run("HEXPIRE h 100 FIELDS 3 a zz a"), ints(&[1, -2, 1]));
        // Deleted on first sight, so the duplicate no longer exists.
        assert_eq!(t.run("HEXPIRE h 0 FIELDS 2 a a"), ints(&[2, -2]));
        assert_eq!(deadline(&t, "h", "a"), None);
        // A deadline equal to now is "past"; the key goes with its last field.
        let at = format!("HPEXPIREAT h {NOW} FIELDS 1 b");
        assert_eq!(t.run(&at), ints(&[2]));
        assert!(stored_hash(&t, "h").is_none());
        // Missing key: all -2 and nothing is created.
        assert_eq!(t.run("HEXPIRE h 100 FIELDS 2 a b"), ints(&[-2, -2]));
        assert!(stored_hash(&t, "h").is_none());
        assert_eq!(t.run("HPEXPIREAT h 1 FIELDS 1 a"), ints(&[-2]));
    }

    #[test]
    fn nx_and_xx() {
        let mut t = TestEngine::new();
        hash(&mut t, "h", "a 1 b 2");
        assert_eq!(t.run("HEXPIRE h 100 XX FIELDS 1 a"), ints(&[0]));
        assert_eq!(t.run("HEXPIRE h 100 nx FIELDS 2 a a"), ints(&[1, 0]));
        assert_eq!(t.run("HEXPIRE h 200 XX FIELDS 2 a b"), ints(&[1, 0]));
        assert_eq!(deadline(&t, "h", "a"), Some(Some(NOW + 200 * S)));
        // The condition is checked before the past-time delete.
        assert_eq!(t.run("HEXPIRE h 0 XX FIELDS 1 b"), ints(&[0]));
        assert_eq!(t.run("HEXPIRE h 0 NX FIELDS 1 a"), ints(&[0]));
        assert_eq!(t.run("HEXPIRE h 0 XX FIELDS 1 a"), ints(&[2]));
        assert_eq!(t.run("HEXPIRE h 0 NX FIELDS 1 b"), ints(&[2]));
        assert!(stored_hash(&t, "h").is_none());
    }

    #[test]
    fn gt_and_lt_treat_no_ttl_as_infinite_and_equal_as_failing() {
        let mut t = TestEngine::new();
        hash(&mut t, "h", "a 1 b 2");
        assert_eq!(
            t.run("HPEXPIREAT h 9000000000000 GT FIELDS 1 a"),
            ints(&[0])
        );
        assert_eq!(
            t.run("HPEXPIREAT h 9000000000000 LT FIELDS 1 a"),
            ints(&[1])
        );
        assert_eq!(
            t.run("HPEXPIREAT h 9000000000000 gt FIELDS 1 a"),
            ints(&[0])
        );
        assert_eq!(
            t.run("HPEXPIREAT h 9000000000000 Lt FIELDS 1 a"),
            ints(&[0])
        );
        assert_eq!(
            t.run("HPEXPIREAT h 9000000000001 GT FIELDS 1 a"),
            ints(&[1])
        );
        assert_eq!(
            t.run("HPEXPIREAT h 9000000000001 GT FIELDS 1 a"),
            ints(&[0])
        );
        assert_eq!(
            t.run("HPEXPIREAT h 8000000000000 LT FIELDS 1 a"),
            ints(&[1])
        );
        assert_eq!(deadline(&t, "h", "a"), Some(Some(8_000_000_000_000)));
        assert_eq!(t.run("HEXPIRE h 0 GT FIELDS 1 b"), ints(&[0]));
        assert_eq!(t.run("HEXPIRE h 0 LT FIELDS 2 b b"), ints(&[2, -2]));
        assert_eq!(t.run("HEXPIRE h 0 GT FIELDS 1 a"), ints(&[0]));
        assert_eq!(t.run("HEXPIRE h 0 LT FIELDS 1 a"), ints(&[2]));
        assert!(stored_hash(&t, "h").is_none());
    }

    #[test]
    fn an_expired_unreclaimed_field_is_revived() {
        // Server: HPEXPIRE 1, wait, then HEXPIRE 100 → 1 and HGET returns the old value.
        let cases = [
            (
                "HEXPIRE h 100 FIELDS 1 a",
                1,
                Some(Some(NOW + 10 + 100 * S)),
            ),
            (
                "HEXPIRE h 100 XX FIELDS 1 a",
                1,
                Some(Some(NOW + 10 + 100 * S)),
            ),
            (
                "HEXPIRE h 100 GT FIELDS 1 a",
                1,
                Some(Some(NOW + 10 + 100 * S)),
            ),
            ("HEXPIRE h 100 NX FIELDS 1 a", 0, Some(Some(NOW + 1))),
            ("HEXPIRE h 100 LT FIELDS 1 a", 0, Some(Some(NOW + 1))),
            // Now (NOW+10) is later than the old deadline, so LT fails and GT passes.
            ("HEXPIRE h 0 LT FIELDS 1 a", 0, Some(Some(NOW + 1))),
            ("HEXPIRE h 0 GT FIELDS 1 a", 2, None),
            ("HEXPIRE h 0 FIELDS 1 a", 2, None),
        ];
        for (cmd, code, after) in cases {
            let mut t = TestEngine::new();
            hash(&mut t, "h", "a 1 b 2");
            assert_eq!(t.run("HPEXPIRE h 1 FIELDS 1 a"), ints(&[1]));
            t.advance(10);
            assert_eq!(t.run(cmd), ints(&[code]), "{cmd}");
            assert_eq!(deadline(&t, "h", "a"), after, "{cmd}");
            if after.is_some() {
                assert_eq!(value(&t, "h", "a").as_deref(), Some("1"), "{cmd}");
            }
        }
    }

    #[test]
    fn listpack_becomes_listpackex_even_without_a_change() {
        let mut t = TestEngine::new();
        hash(&mut t, "h", "a 1");
        assert_eq!(t.run("HEXPIRE h 100 FIELDS 1 zz"), ints(&[-2]));
        assert_eq!(encoding(&t, "h"), "listpackex");
        hash(&mut t, "h", "a 1");
        assert_eq!(t.run("HEXPIRE h 100 XX FIELDS 1 a"), ints(&[0]));
        assert_eq!(encoding(&t, "h"), "listpackex");
        // An error leaves it alone.
        hash(&mut t, "h", "a 1");
        assert_eq!(
            t.run("HEXPIRE h 100 FIELDS 2 a"),
            err("ERR The `numfields` parameter must match the number of arguments")
        );
        assert_eq!(encoding(&t, "h"), "listpack");
    }

    #[test]
    fn fields_with_ttls_are_ordered_by_deadline() {
        let mut t = TestEngine::new();
        hash(&mut t, "h", "a 1 b 2 c 3 d 4");
        t.run("HEXPIRE h 100 FIELDS 1 c");
        assert_eq!(order(&t, "h"), ["c", "a", "b", "d"]);
        t.run("HEXPIRE h 50 FIELDS 1 d");
        assert_eq!(order(&t, "h"), ["d", "c", "a", "b"]);
        // Equal deadlines in one call: each goes before its equals, so they end reversed.
        t.run("HEXPIRE h 100 FIELDS 3 a b d");
        assert_eq!(order(&t, "h"), ["d", "b", "a", "c"]);
    }

    #[test]
    fn validation_errors() {
        let mut t = TestEngine::new();
        hash(&mut t, "h", "a 1");
        let cases = [
            (
                "HEXPIRE h x FIELDS 1 a",
                "ERR value is not an integer or out of range",
            ),
            (
                "HEXPIRE h 1.5 FIELDS 1 a",
                "ERR value is not an integer or out of range",
            ),
            (
                "HEXPIRE h -1 FIELDS 1 a",
                "ERR invalid expire time, must be >= 0",
            ),
            (
                "HEXPIRE h 70368744177 FIELDS 1 a",
                "ERR invalid expire time in 'hexpire' command",
            ),
            (
                "hPexpire h 70368744177663 FIELDS 1 a",
                "ERR invalid expire time in 'hpexpire' command",
            ),
            (
                "HEXPIREAT h 70368744178 FIELDS 1 a",
                "ERR invalid expire time in 'hexpireat' command",
            ),
            (
                "HPEXPIREAT h 70368744177664 FIELDS 1 a",
                "ERR invalid expire time in 'hpexpireat' command",
            ),
            (
                "HEXPIRE h 10 NX XX FIELDS 1 a",
                "ERR Mandatory argument FIELDS is missing or not at the right position",
            ),
            (
                "HEXPIRE h 10 FOO FIELDS 1 a",
                "ERR Mandatory argument FIELDS is missing or not at the right position",
            ),
            (
                "HEXPIRE h 10 FIELDS 0 a",
                "ERR Parameter `numFields` should be greater than 0",
            ),
            (
                "HEXPIRE h 10 NX FIELDS x a",
                "ERR Parameter `numFields` should be greater than 0",
            ),
            (
                "HEXPIRE h 10 FIELDS FIELDS 1",
                "ERR Parameter `numFields` should be greater than 0",
            ),
            (
                "HEXPIRE h 10 NX FIELDS 1",
                "ERR The `numfields` parameter must match the number of arguments",
            ),
            (
                "HEXPIRE h 10 FIELDS 1 a GT",
                "ERR The `numfields` parameter must match the number of arguments",
            ),
        ];
        for (cmd, e) in cases {
            assert_eq!(t.run(cmd), err(e), "{cmd}");
        }
        // A condition after the block is just a field name when numfields counts it.
        assert_eq!(t.run("HEXPIRE h 10 FIELDS 2 a GT"), ints(&[1, -2]));
        // Accepted limits.
        assert_eq!(t.run("HPEXPIREAT h 70368744177663 FIELDS 1 a"), ints(&[1]));
        assert_eq!(t.run("HEXPIREAT h 70368744177 FIELDS 1 a"), ints(&[1]));
        assert_eq!(deadline(&t, "h", "a"), Some(Some(70_368_744_177_000)));
    }

    #[test]
    fn validation_order() {
        let mut t = TestEngine::new();
        string(&mut t, "s");
        hash(&mut t, "h", "a 1");
        let wrongtype = err("WRONGTYPE Operation against a key holding the wrong kind of value");
        // The type wins over every argument error.
        assert_eq!(t.run("HEXPIRE s x FIELDS 1 a"), wrongtype);
        assert_eq!(t.run("HEXPIRE s 10 FOO 1 a"), wrongtype);
        assert_eq!(t.run("HEXPIRE s 10 FIELDS 5 a"), wrongtype);
        // Then time, then the condition slot, then numfields, then the count.
        assert_eq!(
            t.run("HEXPIRE h x NX XX FIELDS 0"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            t.run("HEXPIRE h -1 NX XX FIELDS 0"),
            err("ERR invalid expire time, must be >= 0")
        );
        assert_eq!(
            t.run("HEXPIRE h 10 NX XX FIELDS 0"),
            err("ERR Mandatory argument FIELDS is missing or not at the right position")
        );
        assert_eq!(
            t.run("HEXPIRE h 10 NX fields 0 a b"),
            err("ERR Parameter `numFields` should be greater than 0")
        );
        // A missing key still gets the argument errors.
        assert_eq!(
            t.run("HEXPIRE nokey -5 FIELDS 1 a"),
            err("ERR invalid expire time, must be >= 0")
        );
    }

    #[test]
    fn keywords_compare_as_c_strings() {
        // Redis 8.2.3 reads NX and FIELDS with strcasecmp: bytes after a NUL are not seen.
        let mut t = TestEngine::new();
        t.run("HSET h f v g w");
        assert_eq!(
            t.run_args(&[b"HEXPIRE", b"h", b"100", b"NX\0z", b"FIELDS", b"1", b"f"]),
            arr(vec![int(1)])
        );
        assert_eq!(
            t.run_args(&[b"HEXPIRE", b"h", b"100", b"FIELDS\0z", b"1", b"g"]),
            arr(vec![int(1)])
        );
        // GT\0 is GT: 100 s is not later than the 100 s already set.
        assert_eq!(
            t.run_args(&[
                b"HPEXPIRE",
                b"h",
                b"100000",
                b"GT\0",
                b"FIELDS\0",
                b"1",
                b"g"
            ]),
            arr(vec![int(0)])
        );
        assert_eq!(
            t.run_args(&[b"HEXPIRE", b"h", b"100", b"N\0X", b"FIELDS", b"1", b"f"]),
            err("ERR Mandatory argument FIELDS is missing or not at the right position")
        );
    }
}
