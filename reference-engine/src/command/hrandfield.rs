//! HRANDFIELD: random fields of a hash.
//!
//! ```text
//! HRANDFIELD key [count [WITHVALUES]]
//! ```
//!
//! <https://redis.io/docs/latest/commands/hrandfield/>
//!
//! Checked on Redis 8.2.3:
//! - The arguments are validated before the key is looked up, in this order: the count
//!   (an integer in -LONG_MAX..=LONG_MAX, so i64::MIN has its own "must between" error),
//!   then the syntax (at most one more argument, WITHVALUES), then, with WITHVALUES, the
//!   range ±LONG_MAX/2.
//! - Every expired field is deleted first (unlike most readers, which only hide them); if
//!   that empties the hash the key goes and the reply is the empty answer.
//! - Without a count: one field name, or null. With a count: an array.
//!   - 0 → empty; negative (and exactly 1) → |count| picks *with* repetition;
//!   - positive and at least the size → the whole hash in encoding order;
//!   - positive and smaller → distinct fields. For a listpack Redis samples in one ordered
//!     pass, so the picks come out in listpack order; a hash table gives a random order.
//! - WITHVALUES is a flat `field, value, ...` array in RESP2 but an array of `[field, value]`
//!   pairs in RESP3 (not a map), also for a single pick.
//!
//! Which fields are picked depends on `ctx.rng`, so an engine run is reproducible from its
//! seed; comparisons with a real server can only check properties of the picks.

use super::args::{is_c_word, parse_i64};
use super::ctx::{CommandResult, Ctx};
use super::grammar::{Grammar, Shape};
use super::spec::{CommandSpec, KeySpec, ReplyPolicy};
use crate::deferred::DeferredReply;
use crate::error::CommandError;
use crate::hash::{Encoding, FieldView, HashValue, Indexed};
use crate::reply::{Protocol, Reply};
use crate::rng::Rng;

/// What HRANDFIELD accepts, for the command table (syntax above).
pub const HRANDFIELD: Grammar = Grammar {
    shape: Shape::RandomCount,
    keywords: &["WITHVALUES"],
    errors: &[
        "WrongArity",
        "WrongType",
        "NotInteger",
        "OutOfRange",
        "CountOutOfRange",
        "Syntax",
    ],
};

/// The most picks the engine will build for a negative count.
///
/// Redis streams a negative count's picks straight into the client's output buffer and
/// really tries to serve `-4611686018427387903 WITHVALUES`: it runs until the output buffer
/// limit closes the client, or (with the default unlimited limit) until the machine runs out
/// of memory. The engine builds a whole `Reply` tree first, about 100 bytes per pick, so it
/// stops at a million picks (~100 MB) with a `NotSupported` error instead of imitating the
/// server all the way to an OOM kill. Counts that fit are answered exactly; beyond this the
/// engine knowingly diverges.
pub const MAX_REPEATED_PICKS: u64 = 1_000_000;

/// From how many repeated picks a caller that can stream gets the reply deferred: below
/// this, building it at once costs less than copying the hash's entries.
pub const DEFER_MIN_PICKS: u64 = 4096;

/// `HRANDFIELD key [count [WITHVALUES]]`
pub fn hrandfield(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    if argv.len() < 3 {
        return single(ctx, &argv[1]);
    }
    let count = parse_i64(&argv[2]).ok_or(CommandError::NotInteger)?;
    if count == i64::MIN {
        return Err(CommandError::CountOutOfRange);
    }
    let with_values = match &argv[3..] {
        [] => false,
        [word] if is_c_word(word, "withvalues") => true,
        _ => return Err(CommandError::Syntax),
    };
    // Redis doubles the count for the flat RESP2 reply, so it keeps it within half the range.
    if with_values && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(CommandError::OutOfRange);
    }
    with_count(ctx, &argv[1], count, with_values)
}

/// The hash at `key` after Redis's up-front purge of expired fields, or `None` if the key is
/// missing or the purge emptied (and so deleted) it.
fn purged<'a>(ctx: &'a mut Ctx<'_>, key: &[u8]) -> Result<Option<&'a HashValue>, CommandError> {
    let now_ms = ctx.now_ms;
    let db = &mut ctx.dbs[ctx.session.db];
    let Some(hash) = db.hash_mut(key)? else {
        return Ok(None);
    };
    let expired = hash.purge_expired(now_ms);
    db.count_expired(expired);
    if expired > 0 && db.remove_if_empty(key) {
        return Ok(None);
    }
    db.hash(key)
}

/// HRANDFIELD without a count: one field name, or null.
fn single(ctx: &mut Ctx<'_>, key: &[u8]) -> CommandResult {
    if purged(ctx, key)?.is_none() {
        return Ok(Reply::Null);
    }
    // Borrow again now that the rng is needed alongside the hash.
    let hash = ctx.dbs[ctx.session.db]
        .hash(key)?
        .expect("present after purge");
    let index = ctx.rng.below(hash.len());
    Ok(Reply::bulk(field_at(&hash.indexed(), index).field))
}

fn with_count(ctx: &mut Ctx<'_>, key: &[u8], count: i64, with_values: bool) -> CommandResult {
    if purged(ctx, key)?.is_none() || count == 0 {
        return Ok(Reply::Array(Vec::new()));
    }
    let hash = ctx.dbs[ctx.session.db]
        .hash(key)?
        .expect("present after purge");
    let mut out = Picks::new(ctx.session.protocol, with_values);
    let size = hash.len() as u64;
    let indexed = hash.indexed();
    let wanted = count.unsigned_abs();

    if count < 0 || count == 1 {
        if wanted > MAX_REPEATED_PICKS {
            return Err(CommandError::NotSupported(format!(
                "HRANDFIELD count {count} asks for more than {MAX_REPEATED_PICKS} repeated \
                 picks; Redis would stream them until the client or the server runs out of \
                 memory"
            )));
        }
        if ctx.may_defer && wanted >= DEFER_MIN_PICKS && size <= wanted {
            // Each entry is encoded once here, while the hash is at hand; the picks are
            // drawn later from a copy of the random source, which moves on as if they had
            // been drawn now (see `crate::deferred`).
            let protocol = ctx.session.protocol;
            let entries = (0..hash.len()).map(|index| {
                let mut one = Picks::new(protocol, with_values);
                one.push(field_at(&indexed, index));
                let mut bytes = Vec::new();
                one.items
                    .iter()
                    .for_each(|r| r.encode(protocol, &mut bytes));
                bytes
            });
            let per_pick = if with_values && !out.pairs { 2 } else { 1 };
            let deferred =
                DeferredReply::repeated_picks(wanted * per_pick, entries, wanted, ctx.rng.clone());
            ctx.rng.skip(wanted);
            ctx.deferred = Some(deferred);
            // A placeholder: `Engine::execute_deferrable` returns the deferred reply instead.
            return Ok(Reply::Null);
        }
        for _ in 0..wanted {
            out.push(field_at(&indexed, ctx.rng.below(hash.len())));
        }
    } else if wanted >= size {
        hash.iter().for_each(|f| out.push(f));
    } else {
        for index in distinct(ctx.rng, hash, wanted as usize) {
            out.push(field_at(&indexed, index));
        }
    }
    Ok(out.into_reply())
}

/// `wanted` distinct indexes, fewer than the hash has. A listpack is sampled in one ordered
/// pass (selection sampling: keep each entry with probability still-needed / still-left),
/// which is why Redis returns them in listpack order. A hash table gets a random order from
/// a partial shuffle.
fn distinct(rng: &mut Rng, hash: &HashValue, wanted: usize) -> Vec<usize> {
    let size = hash.len();
    match hash.encoding() {
        Encoding::Listpack | Encoding::ListpackEx => {
            let mut picked = Vec::with_capacity(wanted);
            for index in 0..size {
                if rng.below(size - index) < wanted - picked.len() {
                    picked.push(index);
                }
            }
            picked
        }
        Encoding::Hashtable => {
            let mut indexes: Vec<usize> = (0..size).collect();
            for i in 0..wanted {
                let j = i + rng.below(size - i);
                indexes.swap(i, j);
            }
            indexes.truncate(wanted);
            indexes
        }
    }
}

fn field_at<'a>(fields: &Indexed<'a>, index: usize) -> FieldView<'a> {
    fields.get(index).expect("index below len")
}

/// The reply under construction, in the shape the protocol and WITHVALUES call for.
struct Picks {
    items: Vec<Reply>,
    pairs: bool,
    with_values: bool,
}

impl Picks {
    fn new(protocol: Protocol, with_values: bool) -> Self {
        Self {
            items: Vec::new(),
            pairs: with_values && protocol == Protocol::Resp3,
            with_values,
        }
    }

    fn push(&mut self, f: FieldView<'_>) {
        let field = Reply::bulk(f.field);
        if self.pairs {
            self.items
                .push(Reply::Array(vec![field, Reply::bulk(f.value)]));
        } else {
            self.items.push(field);
            if self.with_values {
                self.items.push(Reply::bulk(f.value));
            }
        }
    }

    fn into_reply(self) -> Reply {
        Reply::Array(self.items)
    }
}

/// HRANDFIELD's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const HRANDFIELD_SPEC: CommandSpec =
    CommandSpec::hash("hrandfield", -2, "6.2.0", hrandfield, &HRANDFIELD)
        .info(
            "readonly",
            "@read @hash @slow",
            "nondeterministic_output",
            Some(KeySpec::range("RO access", 1, 0)),
        )
        .reply(ReplyPolicy::RandomPick);

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use crate::reply::{Protocol, Reply};
    use crate::test_support::*;

    fn items(r: Reply) -> Vec<Reply> {
        match r {
            Reply::Array(items) => items,
            other => panic!("not an array: {other:?}"),
        }
    }

    fn names(r: Reply) -> Vec<String> {
        items(r)
            .iter()
            .map(|f| f.to_string().replace('"', ""))
            .collect()
    }

    fn five() -> TestEngine {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2 c 3 d 4 e 5");
        t
    }

    #[test]
    fn argument_errors_come_before_the_key() {
        let mut t = five();
        t.run("SET s x");
        let not_int = err("ERR value is not an integer or out of range");
        let must_between = err(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        );
        let syntax = err("ERR syntax error");
        let range = err("ERR value is out of range");
        assert_eq!(t.run("HRANDFIELD h -9223372036854775808"), must_between);
        assert_eq!(
            t.run("HRANDFIELD h -9223372036854775808 withvalue"),
            must_between
        );
        assert_eq!(t.run("HRANDFIELD h x"), not_int);
        assert_eq!(t.run("HRANDFIELD h x withvalue"), not_int);
        assert_eq!(t.run("HRANDFIELD h 1.5"), not_int);
        assert_eq!(t.run_args(&[b"HRANDFIELD", b"h", b""]), not_int);
        assert_eq!(t.run("HRANDFIELD h 3 withvalue"), syntax);
        assert_eq!(t.run("HRANDFIELD h 3 withvalues x"), syntax);
        assert_eq!(t.run("HRANDFIELD h 4611686018427387904 foo"), syntax);
        assert_eq!(t.run("HRANDFIELD h 4611686018427387904 withvalues"), range);
        assert_eq!(t.run("HRANDFIELD h -4611686018427387904 withvalues"), range);
        // All of them win over WRONGTYPE and over a missing key.
        assert_eq!(t.run("HRANDFIELD s 1 foo"), syntax);
        assert_eq!(t.run("HRANDFIELD s 9223372036854775807 withvalues"), range);
        assert_eq!(t.run("HRANDFIELD missing x"), not_int);
        let wrongtype = err("WRONGTYPE Operation against a key holding the wrong kind of value");
        assert_eq!(t.run("HRANDFIELD s"), wrongtype);
        assert_eq!(t.run("HRANDFIELD s 1"), wrongtype);
    }

    #[test]
    fn missing_key_and_zero() {
        let mut t = five();
        assert_eq!(t.run("HRANDFIELD missing"), Reply::Null);
        assert_eq!(
            t.resp2("HRANDFIELD missing").to_bytes(Protocol::Resp2),
            b"$-1\r\n"
        );
        assert_eq!(t.run("HRANDFIELD missing 5"), arr(vec![]));
        assert_eq!(t.run("HRANDFIELD missing -5 withvalues"), arr(vec![]));
        assert_eq!(t.run("HRANDFIELD h 0"), arr(vec![]));
        assert_eq!(t.run("HRANDFIELD h 0 withvalues"), arr(vec![]));
        assert!(!t.engine.keyspace(0).contains(b"missing"));
    }

    #[test]
    fn no_count_gives_one_existing_field() {
        let mut t = five();
        let mut seen = HashSet::new();
        for _ in 0..200 {
            let Reply::Bulk(f) = t.run("HRANDFIELD h") else {
                panic!("not a bulk string")
            };
            assert!(b"abcde".contains(&f[0]) && f.len() == 1);
            seen.insert(f);
        }
        assert_eq!(seen.len(), 5, "every field gets picked sometime");
    }

    #[test]
    fn negative_count_repeats() {
        let mut t = five();
        let picks = names(t.run("HRANDFIELD h -100"));
        assert_eq!(picks.len(), 100);
        assert!(picks
            .iter()
            .all(|p| ["a", "b", "c", "d", "e"].contains(&p.as_str())));
        let distinct: HashSet<_> = picks.iter().collect();
        assert!(distinct.len() <= 5);
        // A single-field hash still yields |count| picks.
        t.run("HSET one x 1");
        assert_eq!(names(t.run("HRANDFIELD one -3")), ["x", "x", "x"]);
        assert_eq!(
            t.resp2("HRANDFIELD one -2 withvalues"),
            arr(vec![bulk("x"), bulk("1"), bulk("x"), bulk("1")])
        );
    }

    #[test]
    fn count_at_least_size_is_the_whole_hash_in_order() {
        let mut t = five();
        let all = ["a", "b", "c", "d", "e"];
        assert_eq!(names(t.run("HRANDFIELD h 5")), all);
        assert_eq!(names(t.run("HRANDFIELD h 9223372036854775807")), all);
        assert_eq!(
            t.resp2("HRANDFIELD h 4611686018427387903 withvalues"),
            t.resp2("HGETALL h").to_resp2()
        );
        // listpackex order: TTL fields first by deadline.
        t.run("HEXPIRE h 100 FIELDS 1 d");
        assert_eq!(names(t.run("HRANDFIELD h 10")), ["d", "a", "b", "c", "e"]);
    }

    #[test]
    fn smaller_positive_count_is_distinct_and_in_listpack_order() {
        let mut t = five();
        let mut subsets = HashSet::new();
        for _ in 0..300 {
            let picks = names(t.run("HRANDFIELD h 3"));
            assert_eq!(picks.len(), 3);
            let mut sorted = picks.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted, picks, "distinct and in listpack order (a..e here)");
            subsets.insert(picks);
        }
        assert_eq!(subsets.len(), 10, "all C(5,3) subsets occur");
    }

    #[test]
    fn count_one_is_a_random_pick() {
        let mut t = five();
        let mut seen = HashSet::new();
        for _ in 0..200 {
            let picks = names(t.run("HRANDFIELD h 1"));
            assert_eq!(picks.len(), 1);
            seen.insert(picks[0].clone());
        }
        assert_eq!(seen.len(), 5);
    }

    #[test]
    fn withvalues_shapes_per_protocol() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1");
        let pair = arr(vec![bulk("a"), bulk("1")]);
        assert_eq!(t.run("HRANDFIELD h 1 withvalues"), arr(vec![pair.clone()]));
        assert_eq!(t.resp2("HRANDFIELD h 1 WithValues"), pair);
        assert_eq!(
            t.run("HRANDFIELD h -2 withvalues"),
            arr(vec![pair.clone(), pair.clone()])
        );
        assert_eq!(
            t.run_args(&[b"HRANDFIELD", b"h", b"5", b"withvalues\0"]),
            arr(vec![pair]),
            "the keyword is compared as a C string"
        );
        assert_eq!(t.run("HRANDFIELD h 5"), arr(vec![bulk("a")]));
    }

    #[test]
    fn expired_fields_are_purged_first() {
        let mut t = five();
        t.run("HPEXPIRE h 10 FIELDS 2 b d");
        t.advance(11);
        assert_eq!(t.run("HLEN h"), int(5), "still counted before the purge");
        assert_eq!(t.run("HRANDFIELD h 0"), arr(vec![]));
        assert_eq!(t.run("HLEN h"), int(3), "count 0 purges too");
        assert_eq!(names(t.run("HRANDFIELD h 10")), ["a", "c", "e"]);

        for (key, line) in [
            ("g", "HRANDFIELD g"),
            ("z", "HRANDFIELD z -5"),
            ("w", "HRANDFIELD w 0 withvalues"),
        ] {
            t.run(&format!("HSET {key} a 1"));
            t.run(&format!("HPEXPIRE {key} 1 FIELDS 1 a"));
            t.advance(2);
            let want = if line.split(' ').count() == 2 {
                Reply::Null
            } else {
                arr(vec![])
            };
            assert_eq!(t.run(line), want, "{line}");
            assert_eq!(t.run(&format!("EXISTS {key}")), int(0), "{line}");
        }
    }

    #[test]
    fn huge_negative_counts_are_refused_only_when_they_would_be_served() {
        let mut t = five();
        let refused = t.run("HRANDFIELD h -4611686018427387903 withvalues");
        assert!(
            matches!(&refused, Reply::Error(e) if e.starts_with("ERR hashcheck engine: HRANDFIELD count -4611686018427387903")),
            "{refused:?}"
        );
        assert!(t.run("HRANDFIELD h -9223372036854775807").is_error());
        assert!(t.run("HRANDFIELD h -1000001").is_error());
        assert_eq!(items(t.run("HRANDFIELD h -1000000")).len(), 1_000_000);
        // Redis answers these cheaply, and so does the engine.
        assert_eq!(
            t.run("HRANDFIELD missing -9223372036854775807"),
            arr(vec![])
        );
        t.run("HSET gone a 1");
        t.run("HPEXPIRE gone 1 FIELDS 1 a");
        t.advance(2);
        assert_eq!(t.run("HRANDFIELD gone -9223372036854775807"), arr(vec![]));
        assert_eq!(t.run("EXISTS gone"), int(0));
    }

    #[test]
    fn hashtable_subsets_are_distinct() {
        let mut t = TestEngine::new();
        let mut argv: Vec<Vec<u8>> = vec![b"HSET".to_vec(), b"big".to_vec()];
        for i in 0..600 {
            argv.push(format!("f{i}").into_bytes());
            argv.push(format!("v{i}").into_bytes());
        }
        let args: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
        t.run_args(&args);
        assert_eq!(t.run("OBJECT ENCODING big"), bulk("hashtable"));
        for count in [1, 50, 250, 599] {
            let picks = names(t.run(&format!("HRANDFIELD big {count}")));
            let distinct: HashSet<_> = picks.iter().collect();
            assert_eq!(picks.len(), count);
            assert_eq!(distinct.len(), count);
        }
        assert_eq!(names(t.run("HRANDFIELD big 600")).len(), 600);
        let pairs = items(t.run("HRANDFIELD big 3 withvalues"));
        for p in pairs {
            let pair = items(p);
            let (f, v) = (pair[0].to_string(), pair[1].to_string());
            assert_eq!(f.replace('f', "v"), v, "value belongs to its field");
        }
    }

    #[test]
    fn picks_follow_the_seed() {
        let run = || {
            let mut t = five();
            (0..20)
                .map(|_| t.run("HRANDFIELD h -3").to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }
}
