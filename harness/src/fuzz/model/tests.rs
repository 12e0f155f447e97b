//! The model's choices of timing and state, on small hashes with near deadlines.

use reference_engine::{ManualClock, Protocol};

use super::*;
use crate::fuzz::driver::DiffConfig;
use crate::targets::{EmbeddedTarget, Target};

/// [`model_reply`] as a command of the driver calls it.
fn reply_of(
    model: &mut EmbeddedTarget,
    argv: &[Vec<u8>],
    actual: &Reply,
    config: &DiffConfig,
    clock: &mut BatchClock,
) -> Result<Expected, TargetError> {
    let earliest = earliest_deadline(model, &argv[1]);
    model_reply(model, argv, actual, config, clock, earliest)
}

/// A batch sent at `floor`, that may have run 20 ms either side of it.
fn batch_at(floor: i64) -> BatchClock {
    BatchClock {
        slack: 20,
        margin: 40,
        floor,
        hi: floor + 20,
        lo: floor - 20,
    }
}

/// [`tracked_reply`] as the driver calls it, under the default policies; and whether the
/// target's `actual` reply fits what it expected.
fn follow(
    model: &mut EmbeddedTarget,
    command: &[Vec<u8>],
    actual: &Reply,
    batch: &mut BatchClock,
    alternatives: &mut Alternatives,
) -> (Expected, bool) {
    let config = DiffConfig::default();
    let got = tracked_reply(model, command, actual, &config, batch, alternatives).unwrap();
    let fits = config.agrees(&got, command, actual, batch.margin);
    (got, fits)
}

/// [`follow`] for each command and the target's reply to it, asserting that each fits.
fn follow_all<const N: usize>(
    model: &mut EmbeddedTarget,
    replies: [(&str, Reply); N],
    batch: &mut BatchClock,
    alternatives: &mut Alternatives,
) {
    for (command, target) in replies {
        let (got, fits) = follow(model, &argv(command), &target, batch, alternatives);
        assert!(
            fits,
            "{command}: expected {:?}, the target {target:?}",
            got.reply
        );
    }
}

fn argv(line: &str) -> Vec<Vec<u8>> {
    line.split(' ').map(|w| w.as_bytes().to_vec()).collect()
}

fn deadline(model: &mut EmbeddedTarget, field: &[u8]) -> Option<i64> {
    match model.engine_mut().keyspace(0).get(b"k") {
        Some(Value::Hash(h)) => h.get(field)?.expire_at_ms,
        _ => None,
    }
}

/// `a` got its deadline 5 ms before `b`, both 100 s ahead: a GT 100 s sent now ties
/// with `b` on the engine, and a target may have seen either side of each tie.
fn two_ties() -> (EmbeddedTarget, BatchClock) {
    let t = 1_000_000;
    let clock = ManualClock::new(t);
    let mut model = EmbeddedTarget::with_clock(Protocol::Resp3, clock.clone(), Some(1));
    model.call(&argv("HSET k a 1 b 2")).unwrap();
    model.call(&argv("HPEXPIRE k 100000 FIELDS 1 a")).unwrap();
    clock.set(t + 5);
    model.call(&argv("HPEXPIRE k 100000 FIELDS 1 b")).unwrap();
    let batch = batch_at(t + 5);
    (model, batch)
}

#[test]
fn each_field_of_a_gt_reply_may_need_its_own_timing() {
    let (mut model, mut batch) = two_ties();
    let gt = argv("HPEXPIRE k 100000 GT FIELDS 2 a b");
    let actual = Reply::Array(vec![Reply::Integer(0), Reply::Integer(1)]);
    let config = DiffConfig::default();
    let got = reply_of(&mut model, &gt, &actual, &config, &mut batch).unwrap();
    assert_eq!(got.reply, actual);
    // `a` kept its deadline (the target did not update it), `b` got the later one.
    assert_eq!(deadline(&mut model, b"a"), Some(1_100_000));
    assert_eq!(deadline(&mut model, b"b"), Some(1_100_025));
}

#[test]
fn a_field_named_twice_takes_both_replies_from_one_timing() {
    // `b` tied on the engine; the target updated it, so its second mention tied with
    // that update: [1, 0] for b, and a (a GT 5 ms later) updated on both.
    let (mut model, mut batch) = two_ties();
    let gt = argv("HPEXPIRE k 100000 GT FIELDS 3 b a b");
    let actual = Reply::Array(vec![
        Reply::Integer(1),
        Reply::Integer(1),
        Reply::Integer(0),
    ]);
    let config = DiffConfig::default();
    let got = reply_of(&mut model, &gt, &actual, &config, &mut batch).unwrap();
    assert_eq!(got.reply, actual);
    assert_eq!(deadline(&mut model, b"b"), Some(1_100_025));
    // Mentions of one field that no single timing explains are a divergence.
    let (mut model, mut batch) = two_ties();
    let odd = Reply::Array(vec![
        Reply::Integer(1),
        Reply::Integer(1),
        Reply::Integer(1),
    ]);
    let got = reply_of(&mut model, &gt, &odd, &config, &mut batch).unwrap();
    assert_ne!(got.reply, odd);
}

#[test]
fn a_reply_no_timing_explains_is_still_a_divergence() {
    let (mut model, mut batch) = two_ties();
    let gt = argv("HPEXPIRE k 100000 GT FIELDS 2 a b");
    let actual = Reply::Array(vec![Reply::Integer(2), Reply::Integer(1)]);
    let config = DiffConfig::default();
    let got = reply_of(&mut model, &gt, &actual, &config, &mut batch).unwrap();
    // The plain reply and state: `a` updated (5 ms later), `b` tied.
    assert_eq!(
        got.reply,
        Reply::Array(vec![Reply::Integer(1), Reply::Integer(0)])
    );
    assert_eq!(deadline(&mut model, b"a"), Some(1_100_005));
    assert_eq!(deadline(&mut model, b"b"), Some(1_100_005));
}

#[test]
fn a_background_cycle_may_have_run_between_two_deadlines() {
    let clock = ManualClock::new(0);
    let mut model = EmbeddedTarget::with_clock(Protocol::Resp2, clock.clone(), Some(1));
    model.call(&argv("HSET k a 1 b 2 c 3")).unwrap();
    model.call(&argv("HPEXPIRE k 100 FIELDS 1 a")).unwrap();
    model.call(&argv("HPEXPIRE k 150 FIELDS 1 b")).unwrap();
    let mut batch = batch_at(300);
    // Lazily both expired fields still count; the target's cycle took only `a`.
    let hlen = argv("HLEN k");
    let config = DiffConfig::default();
    let got = reply_of(&mut model, &hlen, &Reply::Integer(2), &config, &mut batch).unwrap();
    assert_eq!(got.reply, Reply::Integer(2));
    assert!(deadline(&mut model, b"a").is_none() && deadline(&mut model, b"b").is_some());
    // Without background expiry there is no such explanation.
    let frozen = DiffConfig {
        background_expiry: false,
        ..DiffConfig::default()
    };
    let got = reply_of(&mut model, &hlen, &Reply::Integer(1), &frozen, &mut batch).unwrap();
    assert_eq!(got.reply, Reply::Integer(2));
}

#[test]
fn a_near_tie_is_the_targets_call_even_after_an_adopted_timing() {
    // The engine stored `b` 20 ms later than the target did (an earlier `hi`): no
    // variant makes a GT now beat it, but it is a tie within the window.
    let (mut model, mut batch) = two_ties();
    let gt = argv("HPEXPIRE k 100000 GT FIELDS 1 b");
    if let Some(Value::Hash(h)) = model
        .engine_mut()
        .keyspace_mut(0)
        .get(b"k")
        .cloned()
        .as_mut()
    {
        h.set_expire(b"b", Some(1_100_045));
        model
            .engine_mut()
            .keyspace_mut(0)
            .insert(b"k", Value::Hash(h.clone()));
    }
    let actual = Reply::Array(vec![Reply::Integer(1)]);
    let config = DiffConfig::default();
    let got = reply_of(&mut model, &gt, &actual, &config, &mut batch).unwrap();
    assert_eq!(got.reply, actual);
    assert_eq!(deadline(&mut model, b"b"), Some(1_100_005));
    // Far apart, it is not a tie: still a divergence.
    let far = argv("HPEXPIRE k 900000 LT FIELDS 1 a");
    let got = reply_of(&mut model, &far, &actual, &config, &mut batch).unwrap();
    assert_ne!(got.reply, actual);
}

#[test]
fn a_shift_that_explained_a_reply_does_not_move_the_other_deadlines() {
    let (mut model, mut batch) = two_ties();
    // An absolute time ties with `b` on the engine; a target that stored `b` later
    // says LT updated it. Only a shift explains that (`lo` and `hi` cannot move an
    // absolute time).
    let lt = argv("HPEXPIREAT k 1100005 LT FIELDS 1 b");
    let actual = Reply::Array(vec![Reply::Integer(1)]);
    let config = DiffConfig::default();
    let got = reply_of(&mut model, &lt, &actual, &config, &mut batch).unwrap();
    assert_eq!(got.reply, actual);
    // `a` keeps its deadline exactly; `b` has the one LT set.
    assert_eq!(deadline(&mut model, b"a"), Some(1_100_000));
    assert_eq!(deadline(&mut model, b"b"), Some(1_100_005));
}

#[test]
fn a_reply_that_cannot_tell_reclaimed_from_not_keeps_both_states() {
    // HSETEX KEEPTTL over an expired field replies 1 whether or not a background cycle
    // reclaimed it; only a later read tells which, and either answer is Redis's.
    for (hvals, live) in [
        (Reply::Array(vec![]), false),
        (Reply::Array(vec![Reply::bulk("x")]), true),
    ] {
        let clock = ManualClock::new(0);
        let mut model = EmbeddedTarget::with_clock(Protocol::Resp2, clock.clone(), Some(1));
        model.call(&argv("HSETEX k PX 100 FIELDS 1 f 1")).unwrap();
        let mut batch = batch_at(500);
        let config = DiffConfig::default();
        let mut alternatives = Alternatives::default();
        let set = argv("HSETEX k KEEPTTL FIELDS 1 f x");
        let got = tracked_reply(
            &mut model,
            &set,
            &Reply::Integer(1),
            &config,
            &mut batch,
            &mut alternatives,
        )
        .unwrap();
        assert_eq!(got.reply, Reply::Integer(1));
        assert_eq!(alternatives.len(), 1);
        let got = tracked_reply(
            &mut model,
            &argv("HVALS k"),
            &hvals,
            &config,
            &mut batch,
            &mut alternatives,
        )
        .unwrap();
        assert_eq!(got.reply, hvals, "live: {live}");
        // Decided: the other state is gone, and the engine holds the one that fit.
        assert!(alternatives.is_empty());
        // Reclaimed and set again, the field has no TTL; lazily, it kept its passed one.
        assert_eq!(deadline(&mut model, b"f").is_none(), live);
    }
}

#[test]
fn a_key_keeps_its_ttl_after_a_reclaimed_state_was_tried() {
    // Every field has expired and none is reclaimed: a lazy target still has the key, a
    // cycle would have removed it. PEXPIRE finds it (1), so the reclaimed state, tried and
    // not fitting, goes; the key must come back with the TTL PEXPIRE gave it.
    let clock = ManualClock::new(0);
    let mut model = EmbeddedTarget::with_clock(Protocol::Resp2, clock.clone(), Some(1));
    model.call(&argv("HSETEX k PX 100 FIELDS 1 f 1")).unwrap();
    let mut batch = batch_at(500);
    let config = DiffConfig::default();
    let mut alternatives = Alternatives::default();
    for (command, target) in [("PEXPIRE k 100000", 1), ("PTTL k", 100_000)] {
        let got = tracked_reply(
            &mut model,
            &argv(command),
            &Reply::Integer(target),
            &config,
            &mut batch,
            &mut alternatives,
        )
        .unwrap();
        assert_eq!(got.reply, Reply::Integer(target), "{command}");
    }
    assert_eq!(model.key_deadline(b"k"), Some(100_500));
}

#[test]
fn a_partial_hscan_page_does_not_choose_between_reclaimed_and_not() {
    // Found by the fuzzer against Redis 8.2.3 (seed 3): a restored field long expired
    // (f5), a long value that makes the hash a table, then a partial HSCAN page. A table's
    // cursors follow Redis's random hash seed, so the engine's cursor (2) is not the
    // target's (1) in any state; the reclaimed state happened to give 1, was taken, and
    // DUMP expected 3 fields where Redis, which had not reclaimed f5, has 4.
    let clock = ManualClock::new(1_700_000_000_000);
    let mut model = EmbeddedTarget::with_clock(Protocol::Resp2, clock.clone(), Some(1));
    let mut lazy = EmbeddedTarget::with_clock(Protocol::Resp2, clock.clone(), Some(1));
    let payload = "190010a5d4e8000000c332406d116d0000000900826635038001f40010a5d4e840100d\
                   8266300383616263040001e0404de0360009428431302e35050001ff0c00949587a10d00245b";
    let mut restore = argv("RESTORE k 0 P REPLACE");
    restore[3] = (0..payload.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&payload[i..i + 2], 16).unwrap())
        .collect();
    let mut batch = batch_at(1_700_000_000_000);
    let mut alternatives = Alternatives::default();
    let page = Reply::Array(vec![Reply::bulk("1"), Reply::Array(vec![])]);
    for command in [
        restore,
        argv("HINCRBYFLOAT k f1 -1e308"),
        argv("HSCAN k 0 COUNT 2 MATCH x"),
        argv("DUMP k"),
    ] {
        let mut actual = lazy.call(&command).unwrap();
        if command[0] == b"HSCAN" {
            assert_ne!(actual, page, "the engine's own cursor");
            actual = page.clone();
        }
        let (got, fits) = follow(&mut model, &command, &actual, &mut batch, &mut alternatives);
        if command[0] == b"DUMP" {
            assert!(fits, "expected {:?}, the target {actual:?}", got.reply);
        }
    }
}

#[test]
fn a_restored_expired_field_stays_in_dump_until_a_read_tells_it_was_reclaimed() {
    // RESTORE keeps a field whose deadline is long past (Redis 8.2.3 does), HSCAN skips it
    // either way, and DUMP still holds it on a target whose cycle has not run yet.
    let clock = ManualClock::new(1_700_000_000_000);
    let mut model = EmbeddedTarget::with_clock(Protocol::Resp2, clock.clone(), Some(1));
    let mut lazy = EmbeddedTarget::with_clock(Protocol::Resp2, clock.clone(), Some(1));
    let mut hash = reference_engine::hash::HashValue::new();
    for f in [&b"f1"[..], b"f2"] {
        hash.set(f, b"v", reference_engine::hash::TtlOnWrite::Clear);
    }
    hash.set_expire(b"f2", Some(1_000_000_000_000));
    let payload = reference_engine::rdb::dump(&Value::Hash(hash));
    let mut restore = argv("RESTORE k 0 P REPLACE IDLETIME 100");
    restore[3] = payload;
    let mut batch = batch_at(1_700_000_000_000);
    let mut alternatives = Alternatives::default();
    for command in [restore, argv("HSCAN k 0 COUNT 1"), argv("DUMP k")] {
        let actual = lazy.call(&command).unwrap();
        let (got, fits) = follow(&mut model, &command, &actual, &mut batch, &mut alternatives);
        assert!(
            fits,
            "{}: expected {:?}, the target {actual:?}",
            String::from_utf8_lossy(&command[0]),
            got.reply
        );
    }
}

#[test]
fn a_state_left_open_survives_a_command_on_two_keys() {
    // Found by 10-minute fuzz runs against Redis 8.2.3 (EXPIRE GT and LT diverged): `k`
    // has a TTL and one field, which expires; HSET adds another, replying 1 whether or not
    // a cycle had removed `k` (and its TTL) first. RENAME k k (or a COPY from k) used to
    // drop the reclaimed state, and EXPIRE GT then expected the engine's TTL.
    let clock = ManualClock::new(0);
    let mut model = EmbeddedTarget::with_clock(Protocol::Resp2, clock.clone(), Some(1));
    model.call(&argv("HSET k f 1")).unwrap();
    model.call(&argv("EXPIRE k 1000000")).unwrap();
    model.call(&argv("HPEXPIRE k 100 FIELDS 1 f")).unwrap();
    let mut batch = batch_at(500);
    let mut alternatives = Alternatives::default();
    // The target's replies, as Redis's cycle left it: `k` recreated, with no TTL.
    let replies = [
        ("HSET k g 2", Reply::Integer(1)),
        ("RENAME k k", Reply::ok()),
        ("COPY k k2", Reply::Integer(1)),
        ("EXPIRE k 2000000 GT", Reply::Integer(0)),
        ("TTL k", Reply::Integer(-1)),
    ];
    follow_all(&mut model, replies, &mut batch, &mut alternatives);
}

#[test]
fn the_other_state_reclaims_a_field_that_expires_after_it_was_forked() {
    // Found by a 10-minute fuzz run against Redis 8.2.3: `f1` expired and HSET replied 1
    // either way (the states forked); then `f4` expired too, Redis's cycle took it, and
    // HSETEX KEEPTTL set it again without a TTL. Both states followed then held `f4`
    // expired, and HEXISTS expected 0 where Redis replied 1. A target whose cycle has not
    // run (HEXISTS 0, HTTL -2) must fit as before.
    for (exists, ttl) in [(1, -1), (0, -2)] {
        let clock = ManualClock::new(0);
        let mut model = EmbeddedTarget::with_clock(Protocol::Resp2, clock.clone(), Some(1));
        model.call(&argv("HSET k f1 1 f4 2")).unwrap();
        model.call(&argv("HPEXPIRE k 100 FIELDS 1 f1")).unwrap();
        let mut alternatives = Alternatives::default();
        let mut batch = batch_at(500);
        let replies = [
            ("HSET k f2 x", Reply::Integer(1)),
            (
                "HPEXPIRE k 500 FIELDS 1 f4",
                Reply::Array(vec![Reply::Integer(1)]),
            ),
        ];
        follow_all(&mut model, replies, &mut batch, &mut alternatives);
        assert_eq!(alternatives.len(), 1, "the HSET forked the states");
        let mut batch = batch_at(1_500);
        let replies = [
            ("HSETEX k KEEPTTL FIELDS 1 f4 y", Reply::Integer(1)),
            ("HEXISTS k f4", Reply::Integer(exists)),
            (
                "HTTL k FIELDS 1 f4",
                Reply::Array(vec![Reply::Integer(ttl)]),
            ),
        ];
        follow_all(&mut model, replies, &mut batch, &mut alternatives);
    }
}
