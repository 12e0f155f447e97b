//! HGETEX: get field values and optionally set or remove their time to live.
//!
//! ```text
//! HGETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds |
//!   PXAT unix-time-milliseconds | PERSIST] FIELDS numfields field [field ...]
//! ```
//!
//! <https://redis.io/docs/latest/commands/hgetex/>
//!
//! Replies with one value or null per requested field. For each field that exists, EX/PX/
//! EXAT/PXAT set the TTL with no condition (a time now or past deletes the field, after its
//! value was read) and PERSIST removes it. Expired fields read as null and are reclaimed.
//!
//! The validation order is odd and deliberate (checked on 8.2.3):
//! 1. WRONGTYPE;
//! 2. `argv[2]` is EX/PX/EXAT/PXAT/PERSIST (any case), or else there is no option at all;
//! 3. a time option's `argv[3]` is parsed right away;
//! 4. if no argument is left for numfields → arity error (`HGETEX h EX 10 x`);
//! 5. FIELDS must come next; then numfields; then the count.

use super::args::is_c_word;
use super::ctx::{CommandResult, Ctx};
use super::fields::{fields_block, parse_expire_time, NumFields, TimeUnit};
use super::grammar::{Grammar, Shape};
use super::spec::{CommandSpec, KeySpec};
use crate::error::CommandError;
use crate::reply::Reply;

/// What HGETEX accepts, for the command table (syntax above).
pub const HGETEX: Grammar = Grammar {
    shape: Shape::GetEx,
    keywords: &["EX", "PX", "EXAT", "PXAT", "PERSIST", "FIELDS"],
    errors: &[
        "WrongArity",
        "WrongType",
        "NotInteger",
        "FieldsMissing",
        "NumberOfFieldsNotPositive",
        "NumFieldsMismatch",
        "NegativeExpireTime",
        "InvalidExpireTime",
    ],
};

/// What to do to the TTL of each field found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expiry {
    /// No option: a plain read (plus lazy expiry).
    Keep,
    /// EX/PX/EXAT/PXAT, as an absolute deadline in ms.
    At(i64),
    Persist,
}

pub fn hgetex(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let now = ctx.now_ms;
    let key = &argv[1];
    // WHY the type first: Redis looks the key up before reading any option.
    ctx.db().check_hash(key)?;

    let (expiry, fields_at) = parse_option(argv, now)?;
    // WHY an arity error here: Redis checks that numfields' slot exists before it looks
    // for the FIELDS word, with the generic arity text.
    if argv.len() <= fields_at + 1 {
        return Err(CommandError::WrongArity("hgetex".into()));
    }
    let fields = fields_block(argv, fields_at, NumFields::Positive)?;

    let db = ctx.db();
    let Some(hash) = db.hash_mut(key)? else {
        return Ok(Reply::Array(vec![Reply::Null; fields.len()]));
    };
    if expiry != Expiry::Keep {
        // Any option converts listpack to listpackex, even PERSIST or a missing field.
        hash.touch_field_expiration();
    }
    let mut values = Vec::with_capacity(fields.len());
    let mut expired = 0;
    for field in fields {
        if hash.reclaim_if_expired(field, now) {
            expired += 1;
            values.push(Reply::Null);
            continue;
        }
        let Some(found) = hash.get(field) else {
            values.push(Reply::Null);
            continue;
        };
        let has_ttl = found.expire_at_ms.is_some();
        values.push(Reply::bulk(found.value));
        // WHY one field at a time: a past time deletes the field before the next one is
        // read, so a duplicate gets null (`HGETEX h EX 0 FIELDS 2 a a` → ["1", nil]).
        match expiry {
            Expiry::Keep => {}
            Expiry::At(at) if at <= now => {
                hash.remove(field);
            }
            Expiry::At(at) => {
                hash.set_expire(field, Some(at));
            }
            Expiry::Persist if has_ttl => {
                hash.set_expire(field, None);
            }
            Expiry::Persist => {}
        }
    }
    db.count_expired(expired);
    db.remove_if_empty(key);
    Ok(Reply::Array(values))
}

/// Reads the optional expiry word at `argv[2]` (and its time at `argv[3]`). Returns what to
/// do and the index where the FIELDS word must be.
fn parse_option(argv: &[Vec<u8>], now: i64) -> Result<(Expiry, usize), CommandError> {
    let word = &argv[2];
    let timed = [
        ("EX", TimeUnit::Seconds, now),
        ("PX", TimeUnit::Millis, now),
        ("EXAT", TimeUnit::Seconds, 0),
        ("PXAT", TimeUnit::Millis, 0),
    ];
    // Keywords compare as C strings (strcasecmp), so `PERSIST\0junk` is PERSIST (8.2.3).
    if let Some((_, unit, base)) = timed.iter().find(|(w, _, _)| is_c_word(word, w)) {
        let at = parse_expire_time(argv, 3, *unit, *base)?;
        return Ok((Expiry::At(at), 4));
    }
    if is_c_word(word, "PERSIST") {
        return Ok((Expiry::Persist, 3));
    }
    // Anything else (FIELDS, or a typo) means "no option"; a typo then fails the FIELDS check.
    Ok((Expiry::Keep, 2))
}

/// HGETEX's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const HGETEX_SPEC: CommandSpec = CommandSpec::hash("hgetex", -5, "8.0.0", hgetex, &HGETEX)
    .info(
        "write fast",
        "@write @hash @fast",
        "",
        Some(
            KeySpec::range("RW access update", 1, 0)
                .notes("RW and UPDATE because it changes the TTL"),
        ),
    );

#[cfg(test)]
mod tests {
    use crate::reply::Reply;
    use crate::test_support::*;

    fn vals(v: &[Option<&str>]) -> Reply {
        arr(v.iter().map(|x| x.map_or(Reply::Null, bulk)).collect())
    }

    #[test]
    fn plain_read_with_duplicates_and_missing() {
        let mut t = TestEngine::new();
        hash(&mut t, "h", "a 1 b 2");
        assert_eq!(
            t.run("HGETEX h fields 3 a zz a"),
            vals(&[Some("1"), None, Some("1")])
        );
        // No option: no conversion.
        assert_eq!(encoding(&t, "h"), "listpack");
        assert_eq!(
            t.resp2("HGETEX h FIELDS 2 b zz").to_resp2(),
            vals(&[Some("2"), None]).to_resp2()
        );
        assert_eq!(
            t.run("HGETEX nokey PERSIST FIELDS 2 a b"),
            vals(&[None, None])
        );
        assert!(stored_hash(&t, "nokey").is_none());
    }

    #[test]
    fn each_time_option_sets_the_ttl() {
        let mut t = TestEngine::new();
        hash(&mut t, "h", "a 1 b 2 c 3 d 4");
        assert_eq!(t.run("HGETEX h EX 100 FIELDS 1 a"), vals(&[Some("1")]));
        assert_eq!(deadline(&t, "h", "a"), Some(Some(NOW + 100 * S)));
        assert_eq!(encoding(&t, "h"), "listpackex");
        t.run("HGETEX h px 1500 FIELDS 1 b");
        assert_eq!(deadline(&t, "h", "b"), Some(Some(NOW + 1500)));
        t.run("HGETEX h exat 1800000000 FIELDS 1 c");
        assert_eq!(deadline(&t, "h", "c"), Some(Some(1_800_000_000_000)));
        t.run("HGETEX h PXAT 1800000000001 FIELDS 1 d");
        assert_eq!(deadline(&t, "h", "d"), Some(Some(1_800_000_000_001)));
        // Unconditional: a shorter TTL replaces a longer one.
        t.run("HGETEX h PX 10 FIELDS 1 d");
        assert_eq!(deadline(&t, "h", "d"), Some(Some(NOW + 10)));
        assert_eq!(order(&t, "h"), ["d", "b", "a", "c"]);
    }

    #[test]
    fn past_time_deletes_after_reading() {
        let mut t = TestEngine::new();
        hash(&mut t, "h", "a 1 b 2 c 3");
        assert_eq!(
            t.run("HGETEX h EX 0 FIELDS 3 a a zz"),
            vals(&[Some("1"), None, None])
        );
        assert_eq!(order(&t, "h"), ["b", "c"]);
        assert_eq!(encoding(&t, "h"), "listpackex");
        let line = format!("HGETEX h PXAT {NOW} FIELDS 2 b c");
        assert_eq!(t.run(&line), vals(&[Some("2"), Some("3")]));
        assert!(stored_hash(&t, "h").is_none());
    }

    #[test]
    fn persist_removes_ttls_and_moves_fields_last() {
        let mut t = TestEngine::new();
        hash(&mut t, "h", "a 1 b 2 c 3 d 4");
        t.run("HEXPIRE h 100 FIELDS 1 c");
        assert_eq!(order(&t, "h"), ["c", "a", "b", "d"]);
        assert_eq!(
            t.run("HGETEX h PERSIST FIELDS 2 c c"),
            vals(&[Some("3"), Some("3")])
        );
        assert_eq!(deadline(&t, "h", "c"), Some(None));
        assert_eq!(order(&t, "h"), ["a", "b", "d", "c"]);
        // On a field without a TTL it changes nothing, but still converts a listpack.
        hash(&mut t, "p", "a 1 b 2");
        assert_eq!(t.run("HGETEX p PERSIST FIELDS 1 a"), vals(&[Some("1")]));
        assert_eq!(order(&t, "p"), ["a", "b"]);
        assert_eq!(encoding(&t, "p"), "listpackex");
        hash(&mut t, "p", "a 1");
        assert_eq!(t.run("HGETEX p EX 100 FIELDS 1 zz"), vals(&[None]));
        assert_eq!(encoding(&t, "p"), "listpackex");
    }

    #[test]
    fn expired_fields_are_null_and_reclaimed() {
        let mut t = TestEngine::new();
        hash(&mut t, "h", "a 1 b 2");
        t.run("HPEXPIRE h 1 FIELDS 1 a");
        t.advance(2);
        for opt in ["", "PERSIST", "EX 100"] {
            let mut t2 = TestEngine::new();
            hash(&mut t2, "h", "a 1 b 2");
            t2.run("HPEXPIRE h 1 FIELDS 1 a");
            t2.advance(2);
            let line = format!("HGETEX h {opt} FIELDS 2 b a");
            assert_eq!(t2.run(&line), vals(&[Some("2"), None]), "{opt}");
            assert_eq!(order(&t2, "h"), ["b"], "{opt}");
        }
        // The last field expiring lazily takes the key with it.
        assert_eq!(t.run("HGETEX h EX 0 FIELDS 1 b"), vals(&[Some("2")]));
        assert_eq!(order(&t, "h"), ["a"]);
        assert_eq!(t.run("HGETEX h FIELDS 1 a"), vals(&[None]));
        assert!(stored_hash(&t, "h").is_none());
    }

    #[test]
    fn validation_errors_and_their_order() {
        let mut t = TestEngine::new();
        string(&mut t, "s");
        hash(&mut t, "h", "a 1");
        let missing = "ERR Mandatory argument FIELDS is missing or not at the right position";
        let mismatch = "ERR The `numfields` parameter must match the number of arguments";
        let numfields = "ERR Number of fields must be a positive integer";
        let arity = "ERR wrong number of arguments for 'hgetex' command";
        let cases = [
            (
                "HGETEX s EX x FOO",
                "WRONGTYPE Operation against a key holding the wrong kind of value",
            ),
            (
                "HGETEX h EX FIELDS 1 a",
                "ERR value is not an integer or out of range",
            ),
            (
                "HGETEX h ex -1 FIELDS 1 a",
                "ERR invalid expire time, must be >= 0",
            ),
            (
                "HGETEX h EX 70368744177 FIELDS 1 a",
                "ERR invalid expire time in 'hgetex' command",
            ),
            (
                "HGETEX h EXAT 70368744178 FIELDS 1 a",
                "ERR invalid expire time in 'hgetex' command",
            ),
            (
                "HGETEX h PXAT 70368744177664 FIELDS 1 a",
                "ERR invalid expire time in 'hgetex' command",
            ),
            (
                "HGETEX nokey EX -1 FIELDS 1 a",
                "ERR invalid expire time, must be >= 0",
            ),
            // Time before arity, arity before the FIELDS word.
            (
                "HGETEX h EX -1 FIELDS",
                "ERR invalid expire time, must be >= 0",
            ),
            ("HGETEX h EX 10 FIELDS", arity),
            ("HGETEX h EX 10 x", arity),
            ("HGETEX h EX 10 FOO 1", missing),
            ("HGETEX h EX 10 PX 10 FIELDS 1 a", missing),
            ("HGETEX h PERSIST EX 10 FIELDS 1 a", missing),
            ("HGETEX h KEEPTTL FIELDS 1 a", missing),
            ("HGETEX h FOO FIELDS 1 a", missing),
            ("HGETEX h PERSIST x y", missing),
            ("HGETEX h a b c", missing),
            ("HGETEX h PERSIST FIELDS x a", numfields),
            ("HGETEX h EX 10 FIELDS 0", numfields),
            ("HGETEX h FIELDS -1 a", numfields),
            ("HGETEX h EX 10 FIELDS 1", mismatch),
            ("HGETEX h PERSIST FIELDS 1", mismatch),
            ("HGETEX h FIELDS 2 a", mismatch),
            ("HGETEX h PXAT 1 FIELDS 1 a b", mismatch),
        ];
        for (cmd, e) in cases {
            assert_eq!(t.run(cmd), err(e), "{cmd}");
        }
        // Nothing above touched the hash.
        assert_eq!(encoding(&t, "h"), "listpack");
        assert_eq!(deadline(&t, "h", "a"), Some(None));
    }

    #[test]
    fn keywords_compare_as_c_strings() {
        // Checked on Redis 8.2.3: PERSIST\0z, EX\0z and FIELDS\0 are the keywords.
        let mut t = TestEngine::new();
        hash(&mut t, "h", "g w");
        assert_eq!(
            t.run_args(&[b"HGETEX", b"h", b"EX\0z", b"100", b"FIELDS\0", b"1", b"g"]),
            vals(&[Some("w")])
        );
        assert_eq!(t.run("HTTL h FIELDS 1 g"), arr(vec![int(100)]));
        assert_eq!(
            t.run_args(&[b"HGETEX", b"h", b"PERSIST\0z", b"FIELDS", b"1", b"g"]),
            vals(&[Some("w")])
        );
        assert_eq!(t.run("HTTL h FIELDS 1 g"), arr(vec![int(-1)]));
    }
}
