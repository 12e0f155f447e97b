//! HSETEX: set fields, optionally only if all of them exist or none do, and set or keep
//! their time to live.
//!
//! ```text
//! HSETEX key [FNX | FXX] [EX seconds | PX milliseconds | EXAT unix-time-seconds |
//!   PXAT unix-time-milliseconds | KEEPTTL] FIELDS numfields field value [field value ...]
//! ```
//!
//! <https://redis.io/docs/latest/commands/hsetex/>
//!
//! Replies `1` when the fields were set (even if a past time then deleted them all, and the
//! key with them) and `0` when FNX/FXX failed, in which case nothing changes except lazy
//! expiry of the fields the check looked at.
//!
//! Unlike the other field-expiration commands, HSETEX parses all its options before it
//! looks at the key, so an argument error beats WRONGTYPE.

use super::args::is_c_word;
use super::ctx::{CommandResult, Ctx};
use super::fields::{field_value_pairs, parse_expire_time, TimeUnit};
use super::grammar::{Grammar, Shape};
use super::spec::{CommandSpec, KeySpec};
use crate::error::{error_text_at_end, CommandError};
use crate::hash::TtlOnWrite;
use crate::reply::Reply;

/// What HSETEX accepts, for the command table (syntax above).
pub const HSETEX: Grammar = Grammar {
    shape: Shape::SetEx,
    keywords: &[
        "FNX", "FXX", "EX", "PX", "EXAT", "PXAT", "KEEPTTL", "FIELDS",
    ],
    errors: &[
        "WrongArity",
        "WrongType",
        "NotInteger",
        "NegativeExpireTime",
        "InvalidExpireTime",
        "InvalidNumberOfFields",
        "OnlyOneExpiryOption",
        "OnlyOneFieldCondition",
        "UnknownArgument",
    ],
};

/// FNX / FXX: a condition on all the named fields at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldCondition {
    /// Every field must be absent (expired ones count as absent).
    Fnx,
    /// Every field must exist.
    Fxx,
}

/// What happens to the TTL of each field set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ttl {
    /// No option: an existing TTL is cleared, as HSET does.
    Clear,
    /// KEEPTTL: an existing TTL stays (even one already past), a new field gets none.
    Keep,
    /// EX/PX/EXAT/PXAT as an absolute deadline in ms.
    At(i64),
}

#[derive(Debug)]
struct Options<'a> {
    condition: Option<FieldCondition>,
    ttl: Ttl,
    /// `field value field value ...`.
    pairs: &'a [Vec<u8>],
}

pub fn hsetex(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let now = ctx.now_ms;
    let key = &argv[1];
    let opts = parse(argv, now)?;
    let db = ctx.db();
    // WHY the type only now: Redis runs the whole option loop before the lookup.
    db.check_hash(key)?;

    if let Some(condition) = opts.condition {
        let Some(hash) = db.hash_mut(key)? else {
            // A missing key has no fields: FNX holds, FXX fails without creating anything.
            if condition == FieldCondition::Fxx {
                return Ok(Reply::Integer(0));
            }
            return apply(ctx, key, &opts, now);
        };
        // Field by field, stopping at the first failure: the fields looked at are
        // lazily expired (so an expired field counts as absent), the rest are not touched.
        let mut holds = true;
        let mut expired = 0;
        for field in opts.pairs.iter().step_by(2) {
            expired += usize::from(hash.reclaim_if_expired(field, now));
            let exists = hash.get(field).is_some();
            if exists == (condition == FieldCondition::Fnx) {
                holds = false;
                break;
            }
        }
        db.count_expired(expired);
        if !holds {
            db.remove_if_empty(key);
            return Ok(Reply::Integer(0));
        }
    }
    apply(ctx, key, &opts, now)
}

/// Sets every pair, then applies the TTL option. Always replies 1.
fn apply(ctx: &mut Ctx<'_>, key: &[u8], opts: &Options<'_>, now: i64) -> CommandResult {
    let limits = ctx.hash_limits();
    let db = ctx.db();
    let hash = db.hash_or_create(key)?;
    let longest = opts.pairs.iter().map(Vec::len).max().unwrap_or(0);
    // WHY here and not earlier: a failed FNX/FXX leaves a listpack a listpack even when a
    // value is too long for it; Redis converts only once it is going to write.
    hash.prepare_write(opts.pairs.len() / 2, longest, limits);
    if matches!(opts.ttl, Ttl::At(_)) {
        hash.touch_field_expiration();
    }
    let on_write = match opts.ttl {
        Ttl::Clear => TtlOnWrite::Clear,
        // WHY Keep for a deadline too: the deadline replaces it just below, and clearing
        // first would only move the field twice.
        Ttl::Keep | Ttl::At(_) => TtlOnWrite::Keep,
    };
    for pair in opts.pairs.chunks(2) {
        let (field, value) = (&pair[0], &pair[1]);
        hash.set_within(field, value, on_write, limits);
        match opts.ttl {
            Ttl::At(at) if at <= now => {
                hash.remove(field);
            }
            Ttl::At(at) => {
                hash.set_expire(field, Some(at));
            }
            Ttl::Clear | Ttl::Keep => {}
        }
    }
    db.remove_if_empty(key);
    Ok(Reply::Integer(1))
}

/// Redis's left-to-right option loop over `argv[2..]`, ending at the `FIELDS` block. The
/// first error met wins.
fn parse(argv: &[Vec<u8>], now: i64) -> Result<Options<'_>, CommandError> {
    let mut condition = None;
    let mut ttl = None;
    let timed = [
        ("EX", TimeUnit::Seconds, now),
        ("PX", TimeUnit::Millis, now),
        ("EXAT", TimeUnit::Seconds, 0),
        ("PXAT", TimeUnit::Millis, 0),
    ];
    let mut i = 2;
    while i < argv.len() {
        let word = &argv[i];
        // Keywords compare as C strings (strcasecmp): `KEEPTTL\0` is KEEPTTL (8.2.3).
        if is_c_word(word, "FIELDS") {
            // Parsing stops here: a later option word would be a field name or value.
            let pairs = field_value_pairs(argv, i + 1, &argv[0])?;
            return Ok(Options {
                condition,
                ttl: ttl.unwrap_or(Ttl::Clear),
                pairs,
            });
        }
        if let Some((_, unit, base)) = timed.iter().find(|(w, _, _)| is_c_word(word, w)) {
            if ttl.is_some() {
                return Err(CommandError::OnlyOneExpiryOption);
            }
            // Unreachable through the arity table, kept for Redis's order of checks.
            if i + 1 >= argv.len() {
                return Err(CommandError::MissingExpireTime);
            }
            i += 1;
            ttl = Some(Ttl::At(parse_expire_time(argv, i, *unit, *base)?));
        } else if is_c_word(word, "KEEPTTL") {
            if ttl.is_some() {
                return Err(CommandError::OnlyOneExpiryOption);
            }
            ttl = Some(Ttl::Keep);
        } else if is_c_word(word, "FNX") || is_c_word(word, "FXX") {
            if condition.is_some() {
                return Err(CommandError::OnlyOneFieldCondition);
            }
            condition = Some(if is_c_word(word, "FNX") {
                FieldCondition::Fnx
            } else {
                FieldCondition::Fxx
            });
        } else {
            // `%s` of the C string: cut at a NUL, bytes kept raw (8.2.3: `a\0b` → `a`),
            // trailing CR/LF trimmed with the message's end.
            return Err(CommandError::UnknownArgument(error_text_at_end(
                word,
                usize::MAX,
            )));
        }
        i += 1;
    }
    // No FIELDS at all: Redis's final "numfields * 2 == rest" check fails with arity.
    Err(CommandError::WrongArity("hsetex".into()))
}

/// HSETEX's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const HSETEX_SPEC: CommandSpec = CommandSpec::hash("hsetex", -6, "8.0.0", hsetex, &HSETEX)
    .info(
        "write denyoom fast",
        "@write @hash @fast",
        "",
        Some(KeySpec::range("RW update", 1, 0)),
    );

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn sets_fields_and_creates_the_key() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("HSETEX h FIELDS 2 a 1 b 2"), int(1));
        assert_eq!(order(&t, "h"), ["a", "b"]);
        assert_eq!(encoding(&t, "h"), "listpack");
        // Duplicates: the last value wins.
        assert_eq!(t.resp2("hsetex h fields 2 a 3 a 4"), int(1));
        assert_eq!(value(&t, "h", "a").as_deref(), Some("4"));
        // A later FIELDS word is only a field name.
        assert_eq!(t.run("HSETEX h FIELDS 1 FIELDS x"), int(1));
        assert_eq!(value(&t, "h", "FIELDS").as_deref(), Some("x"));
    }

    #[test]
    fn each_time_option() {
        let mut t = TestEngine::new();
        t.run("HSETEX h EX 100 FIELDS 1 a 1");
        assert_eq!(deadline(&t, "h", "a"), Some(Some(NOW + 100 * S)));
        assert_eq!(encoding(&t, "h"), "listpackex");
        t.run("HSETEX h px 1500 FIELDS 1 b 2");
        assert_eq!(deadline(&t, "h", "b"), Some(Some(NOW + 1500)));
        t.run("HSETEX h EXAT 1800000000 FIELDS 1 c 3");
        assert_eq!(deadline(&t, "h", "c"), Some(Some(1_800_000_000_000)));
        t.run("HSETEX h PXAT 1800000000001 FIELDS 1 d 4");
        assert_eq!(deadline(&t, "h", "d"), Some(Some(1_800_000_000_001)));
        assert_eq!(order(&t, "h"), ["b", "a", "c", "d"]);
        // Equal deadlines set in one call end up reversed (each goes before its equals).
        t.run("HSETEX n EX 100 FIELDS 3 x 1 y 2 z 3");
        assert_eq!(order(&t, "n"), ["z", "y", "x"]);
    }

    #[test]
    fn no_option_clears_ttls_and_keepttl_keeps_them() {
        let mut t = TestEngine::new();
        hash(&mut t, "h", "a 1 b 2 c 3");
        t.run("HSETEX h FXX PX 100000 FIELDS 2 b 8 c 9");
        assert_eq!(order(&t, "h"), ["c", "b", "a"]);
        // Losing the TTL moves b to the tail.
        assert_eq!(t.run("HSETEX h FIELDS 1 b 7"), int(1));
        assert_eq!(deadline(&t, "h", "b"), Some(None));
        assert_eq!(order(&t, "h"), ["c", "a", "b"]);
        assert_eq!(t.run("HSETEX h KEEPTTL FIELDS 2 c 6 n 5"), int(1));
        assert_eq!(deadline(&t, "h", "c"), Some(Some(NOW + 100 * S)));
        assert_eq!(deadline(&t, "h", "n"), Some(None));
        assert_eq!(value(&t, "h", "c").as_deref(), Some("6"));
        assert_eq!(order(&t, "h"), ["c", "a", "b", "n"]);
        // KEEPTTL and no option leave a listpack a listpack.
        hash(&mut t, "p", "a 1");
        t.run("HSETEX p KEEPTTL FIELDS 1 a 2");
        t.run("HSETEX p FIELDS 1 a 3");
        assert_eq!(encoding(&t, "p"), "listpack");
    }

    #[test]
    fn past_time_sets_then_deletes_and_still_replies_1() {
        let mut t = TestEngine::new();
        hash(&mut t, "h", "a 1 b 2 c 3");
        assert_eq!(t.run("HSETEX h FXX EX 0 FIELDS 1 a 9"), int(1));
        assert_eq!(order(&t, "h"), ["b", "c"]);
        assert_eq!(encoding(&t, "h"), "listpackex");
        let line = format!("HSETEX h PXAT {NOW} FIELDS 2 b 1 c 1");
        assert_eq!(t.run(&line), int(1));
        assert!(stored_hash(&t, "h").is_none());
        assert_eq!(t.run("HSETEX s2 EX 0 FIELDS 2 a 1 a 2"), int(1));
        assert!(stored_hash(&t, "s2").is_none());
    }

    #[test]
    fn fnx_and_fxx_are_all_or_nothing() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("HSETEX nokey FXX FIELDS 1 a 1"), int(0));
        assert!(stored_hash(&t, "nokey").is_none());
        assert_eq!(t.run("HSETEX nokey FNX FIELDS 2 a 1 a 2"), int(1));
        assert_eq!(value(&t, "nokey", "a").as_deref(), Some("2"));
        hash(&mut t, "h", "a 1 b 2 c 3");
        assert_eq!(t.run("HSETEX h FNX FIELDS 2 zz 1 a 2"), int(0));
        assert_eq!(t.run("HSETEX h fxx FIELDS 2 zz 1 a 2"), int(0));
        assert_eq!(order(&t, "h"), ["a", "b", "c"]);
        assert_eq!(value(&t, "h", "a").as_deref(), Some("1"));
        assert_eq!(t.run("HSETEX h FXX FIELDS 2 a 5 a 6"), int(1));
        assert_eq!(t.run("HSETEX h FNX FIELDS 1 d 4"), int(1));
        assert_eq!(order(&t, "h"), ["a", "b", "c", "d"]);
        // A failed condition converts nothing, not even for a long value or a TTL.
        let long = "v".repeat(65);
        assert_eq!(t.run(&format!("HSETEX h FXX FIELDS 1 zz {long}")), int(0));
        assert_eq!(t.run("HSETEX h FNX EX 10 FIELDS 1 a 1"), int(0));
        assert_eq!(encoding(&t, "h"), "listpack");
        assert_eq!(
            t.run(&format!("HSETEX h FNX EX 10 FIELDS 1 zz {long}")),
            int(1)
        );
        assert_eq!(encoding(&t, "h"), "hashtable");
        assert_eq!(deadline(&t, "h", "zz"), Some(Some(NOW + 10 * S)));
    }

    #[test]
    fn conditions_reclaim_expired_fields_up_to_the_first_failure() {
        // Server: a and c expire, b lives; each case starts afresh.
        let cases = [
            ("HSETEX h FNX FIELDS 2 b 5 a 6", 0, 3),
            ("HSETEX h FXX FIELDS 2 zz 5 a 6", 0, 3),
            ("HSETEX h FXX FIELDS 3 a 5 zz 6 c 7", 0, 2),
            ("HSETEX h FNX FIELDS 3 a 5 b 6 c 7", 0, 2),
            ("HSETEX h FNX FIELDS 1 a 5", 1, 3),
            ("HSETEX h FXX EX 100 FIELDS 2 b 5 b 6", 1, 3),
        ];
        for (cmd, reply, len) in cases {
            let mut t = TestEngine::new();
            hash(&mut t, "h", "a 1 b 2 c 3");
            t.run("HPEXPIRE h 1 FIELDS 2 a c");
            t.advance(2);
            assert_eq!(t.run(cmd), int(reply), "{cmd}");
            assert_eq!(stored_hash(&t, "h").unwrap().len(), len, "{cmd}");
        }
        // Reclaiming the last field deletes the key even though the condition failed.
        let mut t = TestEngine::new();
        hash(&mut t, "h", "a 1");
        t.run("HPEXPIRE h 1 FIELDS 1 a");
        t.advance(2);
        assert_eq!(t.run("HSETEX h FXX FIELDS 1 a 5"), int(0));
        assert!(stored_hash(&t, "h").is_none());
    }

    #[test]
    fn a_deadline_equal_to_now_still_exists_for_fnx_and_fxx() {
        // Observed on 8.2.3 inside one script snapshot where HPTTL already said -2.
        for (cmd, reply) in [
            ("HSETEX h FNX FIELDS 1 a 9", 0),
            ("HSETEX h FXX FIELDS 1 a 9", 1),
        ] {
            let mut t = TestEngine::new();
            hash(&mut t, "h", "a 1 b 2");
            t.run("HPEXPIRE h 1 FIELDS 1 a");
            t.advance(1);
            assert_eq!(t.run(cmd), int(reply), "{cmd}");
            assert_eq!(stored_hash(&t, "h").unwrap().len(), 2, "{cmd}");
        }
    }

    #[test]
    fn writes_over_an_expired_unreclaimed_field() {
        let setup = || {
            let mut t = TestEngine::new();
            hash(&mut t, "h", "a 1 b 2");
            t.run("HPEXPIRE h 1 FIELDS 1 a");
            t.advance(2);
            t
        };
        // No option: revived without a TTL, at the tail (like HSET).
        let mut t = setup();
        assert_eq!(t.run("HSETEX h FIELDS 1 a 5"), int(1));
        assert_eq!(deadline(&t, "h", "a"), Some(None));
        assert_eq!(order(&t, "h"), ["b", "a"]);
        // KEEPTTL keeps the past deadline: the new value is stored but still expired.
        let mut t = setup();
        assert_eq!(t.run("HSETEX h KEEPTTL FIELDS 1 a 5"), int(1));
        assert_eq!(value(&t, "h", "a").as_deref(), Some("5"));
        assert_eq!(deadline(&t, "h", "a"), Some(Some(NOW + 1)));
        assert_eq!(t.run("HTTL h FIELDS 1 a"), ints(&[-2]));
        // FNX reclaiming the only field does not recreate the key: it stays listpackex.
        let mut t = TestEngine::new();
        hash(&mut t, "h", "a 1");
        t.run("HPEXPIRE h 1 FIELDS 1 a");
        t.advance(2);
        assert_eq!(t.run("HSETEX h FNX FIELDS 1 a 5"), int(1));
        assert_eq!(deadline(&t, "h", "a"), Some(None));
        assert_eq!(encoding(&t, "h"), "listpackex");
    }

    #[test]
    fn large_writes_convert_up_front() {
        let mut t = TestEngine::new();
        let mut line = String::from("HSETEX h EX 100 FIELDS 513");
        for i in 0..513 {
            line.push_str(&format!(" f{i} v"));
        }
        assert_eq!(t.run(&line), int(1));
        assert_eq!(encoding(&t, "h"), "hashtable");
        assert_eq!(deadline(&t, "h", "f512"), Some(Some(NOW + 100 * S)));
    }

    #[test]
    fn option_errors() {
        let mut t = TestEngine::new();
        hash(&mut t, "h", "a 1");
        let only_one_ttl =
            "ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified";
        let only_one_cond = "ERR Only one of FXX or FNX arguments can be specified";
        let arity = "ERR wrong number of arguments for 'hsetex' command";
        let cases = [
            ("HSETEX h EX 10 PX 10 FIELDS 1 a b", only_one_ttl),
            ("HSETEX h EX 10 KEEPTTL FIELDS 1 a b", only_one_ttl),
            ("HSETEX h keepttl KEEPTTL FIELDS 1 a b", only_one_ttl),
            ("HSETEX h KEEPTTL EX 10 FIELDS 1 a b", only_one_ttl),
            ("HSETEX h EX 1 FNX PX", only_one_ttl),
            ("HSETEX h FNX FXX FIELDS 1 a b", only_one_cond),
            ("HSETEX h fnx FNX FIELDS 1 a b", only_one_cond),
            ("HSETEX h fxx ex 10 fnx FIELDS 1 a b", only_one_cond),
            ("HSETEX h FNX KEEPTTL FXX EX", only_one_cond),
            (
                "HSETEX h EX x FIELDS 1 a b",
                "ERR value is not an integer or out of range",
            ),
            (
                "HSETEX h EX -1 FOO FIELDS 1 a b",
                "ERR invalid expire time, must be >= 0",
            ),
            (
                "HSETEX h FOO EX -1 FIELDS 1 a b",
                "ERR unknown argument: FOO",
            ),
            ("HSETEX h EX 10 a 1 b 2", "ERR unknown argument: a"),
            (
                "HSETEX h PERSIST FIELDS 1 a b",
                "ERR unknown argument: PERSIST",
            ),
            (
                "HSETEX h EX 70368744177 FIELDS 1 a b",
                "ERR invalid expire time in 'hsetex' command",
            ),
            (
                "HSETEX h EXAT 70368744178 FIELDS 1 a b",
                "ERR invalid expire time in 'hsetex' command",
            ),
            (
                "HSETEX h PXAT 70368744177664 FIELDS 1 a b",
                "ERR invalid expire time in 'hsetex' command",
            ),
            ("HSETEX h FIELDS 0 a b", "ERR invalid number of fields"),
            (
                "HSETEX h FIELDS x a b EX 10",
                "ERR invalid number of fields",
            ),
            (
                "HSETEX h EX 10 FIELDS -1 a b",
                "ERR invalid number of fields",
            ),
            (
                "HSETEX h FIELDS FIELDS 1 a b",
                "ERR invalid number of fields",
            ),
            (
                "HSETEX h FIELDS 2147483648 a b",
                "ERR invalid number of fields",
            ),
            ("HSETEX h FIELDS 2147483647 a b", arity),
            ("HSETEX h FIELDS 2 a b", arity),
            ("HSETEX h EX 10 FIELDS 1 a", arity),
            ("HSETEX h EX 10 FIELDS 1 a b c", arity),
            ("HSETEX h FIELDS 1 a b EX 10", arity),
            ("HSETEX h KEEPTTL FNX FIELDS x", arity),
            ("HSETEX h KEEPTTL FNX FIELDS 1 a", arity),
        ];
        for (cmd, e) in cases {
            assert_eq!(t.run(cmd), err(e), "{cmd}");
        }
        assert_eq!(value(&t, "h", "a").as_deref(), Some("1"));
        assert_eq!(encoding(&t, "h"), "listpack");
    }

    #[test]
    fn options_are_parsed_before_the_type_check() {
        let mut t = TestEngine::new();
        string(&mut t, "s");
        let wrongtype = err("WRONGTYPE Operation against a key holding the wrong kind of value");
        assert_eq!(
            t.run("HSETEX s FOO FIELDS 1 a b"),
            err("ERR unknown argument: FOO")
        );
        assert_eq!(
            t.run("HSETEX s EX -1 FIELDS 1 a b"),
            err("ERR invalid expire time, must be >= 0")
        );
        assert_eq!(
            t.run("HSETEX s FIELDS 0 a b"),
            err("ERR invalid number of fields")
        );
        assert_eq!(
            t.run("HSETEX s FIELDS 2 a b"),
            err("ERR wrong number of arguments for 'hsetex' command")
        );
        assert_eq!(t.run("HSETEX s FIELDS 1 a b"), wrongtype);
        assert_eq!(t.run("HSETEX s FXX FIELDS 1 a b"), wrongtype);
    }

    #[test]
    fn keywords_compare_as_c_strings() {
        // Checked on Redis 8.2.3: KEEPTTL\0, FXX\0, EX\0q and FIELDS\0a are the keywords.
        let mut t = TestEngine::new();
        t.run("HSET h g w");
        assert_eq!(
            t.run_args(&[b"HSETEX", b"h", b"KEEPTTL\0", b"FIELDS", b"1", b"g", b"v2"]),
            int(1)
        );
        assert_eq!(
            t.run_args(&[b"HSETEX", b"h", b"FNX\0", b"FIELDS", b"1", b"g", b"v2"]),
            int(0)
        );
        assert_eq!(
            t.run_args(&[
                b"HSETEX",
                b"h",
                b"FXX\0",
                b"EX\0q",
                b"50",
                b"FIELDS\0a",
                b"1",
                b"g",
                b"v2"
            ]),
            int(1)
        );
        assert_eq!(t.run("HTTL h FIELDS 1 g"), arr(vec![int(50)]));
    }

    #[test]
    fn unknown_argument_is_echoed_as_a_c_string_with_raw_bytes() {
        use crate::reply::Protocol;
        let mut t = TestEngine::new();
        assert_eq!(
            t.run_args(&[b"HSETEX", b"h", b"a\0b", b"FIELDS", b"1", b"f", b"v"]),
            err("ERR unknown argument: a")
        );
        // Redis sends the client's bytes back as they came, even when they are not UTF-8;
        // it trims CR/LF at the message's end and turns inner ones into spaces, so the
        // reply stays one line (checked on 8.2.3).
        let reply = t.run_args(&[b"HSETEX", b"h", b"\xff\r\n", b"FIELDS", b"1", b"f", b"v"]);
        assert_eq!(
            reply.to_bytes(Protocol::Resp3),
            b"-ERR unknown argument: \xff\r\n".to_vec()
        );
        let reply = t.run_args(&[b"HSETEX", b"h", b"\r\na\nb\n", b"FIELDS", b"1", b"f", b"v"]);
        assert_eq!(
            reply.to_bytes(Protocol::Resp3),
            b"-ERR unknown argument:   a b\r\n".to_vec()
        );
    }
}
