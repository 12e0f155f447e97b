//! The in-process engine as the reference: how its reply to a command is chosen when the
//! target's reply depends on timing that the engine cannot see.
//!
//! The engine answers each command once, on a clock set to the moment the target was sent
//! the batch. That reply is the expectation whenever it matches. When it does not, and the
//! key holds fields with deadlines, two things the engine could not know may explain the
//! target:
//! - **When the target ran the command.** Anywhere between sending the batch and reading its
//!   replies, and a relative deadline it set earlier was stored at its own instant, not the
//!   engine's. So the engine answers again at the latest moment the target may have seen
//!   (`hi`) and at an earlier one (`lo`, for deadlines the target stored later than the
//!   engine). Once a command needed `hi`, the rest of the batch runs no earlier.
//! - **Background expiry.** A target with active expiry may have reclaimed expired fields
//!   before the command. Its cycle runs at some instant, so the engine tries reclaiming the
//!   fields that had expired by each deadline in turn (a cycle between two deadlines takes
//!   the first field and leaves the second).
//!
//! The first state that explains the target's reply is kept. If none does, the plain reply
//! is the expectation and the state is the plain one, so the divergence is reported.

use reference_engine::command::grammar::{Shape, TimeArg};
use reference_engine::command::lookup;
use reference_engine::hash::is_expired;
use reference_engine::keyspace::Value;
use reference_engine::{Clock, Reply};

use crate::fuzz::driver::{agrees, probe_for, DiffConfig, Expected};
use crate::targets::{EmbeddedTarget, Target, TargetError};

/// The times a batch could have run at, from the engine's point of view.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BatchClock {
    /// How far `hi` and `lo` reach beyond the batch, and how far stored deadlines may
    /// differ between the engine and the target.
    pub slack: i64,
    /// The run's current margin, for TTL tolerances.
    pub margin: i64,
    /// Not before this: when the batch was sent, or later if an earlier command of the
    /// batch showed that the target was already past it.
    pub floor: i64,
    /// The latest time the target may have run a command of the batch.
    pub hi: i64,
    /// The earliest time, relative to deadlines stored by relative TTLs, the target may
    /// have seen.
    pub lo: i64,
}

/// States a key may be in besides the engine's, per key: set when a command's reply fit
/// both "not reclaimed" and "reclaimed by a background cycle" but left different states.
pub(crate) type Alternatives = crate::fuzz::driver::KeyMap<Option<Value>>;

/// [`model_reply`], also following a second possible state of the key. A reply that fits
/// both the lazy state and a reclaimed one (HSETEX KEEPTTL over an expired field replies 1
/// either way) cannot tell which the target is in; both are kept until a reply tells them
/// apart, and the one that explains it wins.
pub(crate) fn tracked_reply(
    model: &mut EmbeddedTarget,
    argv: &[Vec<u8>],
    actual: &Reply,
    config: &DiffConfig,
    clock: &mut BatchClock,
    alternatives: &mut Alternatives,
) -> Result<Expected, TargetError> {
    let key: &[u8] = argv.get(1).map_or(&[], Vec::as_slice);
    let alternative = if alternatives.is_empty() {
        None
    } else {
        alternatives.remove(key)
    };
    set_clock(model, clock.floor);
    let earliest = earliest_deadline(model, key);
    // Fields expired but not reclaimed: the earliest deadline has passed.
    let unreclaimed =
        (config.background_expiry && alternative.is_none() && is_expired(earliest, clock.floor))
            .then(|| model.engine_mut().keyspace(0).get(key).cloned())
            .flatten();
    let expected = model_reply(model, argv, actual, config, clock, earliest)?;
    if alternative.is_none() && unreclaimed.is_none() {
        // Nothing else to follow: the common case, with no copy of the key.
        return Ok(expected);
    }
    let explained = agrees(&expected, argv, actual, config, clock.margin);
    let primary = model.engine_mut().keyspace(0).get(key).cloned();
    let other = match (alternative, unreclaimed) {
        (Some(state), _) => Some(state),
        (None, Some(before)) if explained => {
            restore(model, key, Some(before));
            model.engine_mut().reclaim_expired(0, key);
            Some(model.engine_mut().keyspace(0).get(key).cloned())
        }
        _ => None,
    };
    let Some(other) = other else {
        return Ok(expected);
    };
    restore(model, key, other);
    set_clock(model, clock.floor);
    let reply = answer(model, argv)?;
    let fits = agrees(&reply, argv, actual, config, clock.margin);
    let after = model.engine_mut().keyspace(0).get(key).cloned();
    if fits && !explained {
        // The other state explains what the engine's did not: it was the right one.
        return Ok(reply);
    }
    if fits && after != primary {
        alternatives.insert(key.to_vec(), after);
    }
    restore(model, key, primary);
    set_clock(model, clock.floor);
    Ok(expected)
}

/// The earliest deadline of any field of the hash at `key`, expired or not. Each call
/// walks the hash, so a command asks once.
fn earliest_deadline(model: &mut EmbeddedTarget, key: &[u8]) -> Option<i64> {
    match model.engine_mut().keyspace(0).get(key) {
        Some(Value::Hash(h)) => h.earliest_expiry(),
        _ => None,
    }
}

/// The model's reply to one command (see the module docs), given the key's
/// [`earliest_deadline`].
pub(crate) fn model_reply(
    model: &mut EmbeddedTarget,
    argv: &[Vec<u8>],
    actual: &Reply,
    config: &DiffConfig,
    clock: &mut BatchClock,
    earliest: Option<i64>,
) -> Result<Expected, TargetError> {
    let key: &[u8] = argv.get(1).map_or(&[], Vec::as_slice);
    set_clock(model, clock.floor);
    // Time matters only to a key with a deadline that some variant could reach, or to a
    // GT/LT (a near tie between two far deadlines set at different instants, such as two
    // relative TTLs at the 2^46 ms limit); others need no snapshot.
    let reach = clock.hi + 2 * clock.slack + 4 * clock.margin;
    let snapshot = earliest.is_some_and(|at| at <= reach) || compares_deadlines(argv);
    let before = match model.engine_mut().keyspace(0).get(key) {
        Some(value @ Value::Hash(_)) if snapshot => Some(value.clone()),
        _ => None,
    };
    let plain = answer(model, argv)?;
    let Some(before) = before else {
        return Ok(plain);
    };
    if agrees(&plain, argv, actual, config, clock.margin) {
        return Ok(plain);
    }
    let after_plain = model.engine_mut().keyspace(0).get(key).cloned();
    // What each variant said, for explaining a multi-field reply field by field.
    let mut tried: Vec<(Reply, Option<Value>, i64)> = Vec::new();
    for variant in variants(&before, clock, config.background_expiry) {
        let at = match variant {
            Variant::At(at) => {
                restore(model, key, Some(before.clone()));
                at
            }
            Variant::Shifted(by) => {
                restore(model, key, Some(shifted(&before, by)));
                clock.floor
            }
            Variant::Reclaimed { cycle_at, at } => {
                restore(model, key, Some(before.clone()));
                set_clock(model, cycle_at);
                model.engine_mut().reclaim_expired(0, key);
                at
            }
        };
        set_clock(model, at);
        let reply = answer(model, argv)?;
        if let Variant::Shifted(by) = variant {
            // The shift only stood in for this command's view: deadlines it did not set go
            // back, so that repeated ties cannot walk a field's deadline away.
            unshift(model, key, &before, by);
        }
        if agrees(&reply, argv, actual, config, clock.margin) {
            clock.floor = clock.floor.max(at);
            set_clock(model, clock.floor);
            return Ok(reply);
        }
        let state = model.engine_mut().keyspace(0).get(key).cloned();
        tried.push((reply.reply, state, at));
    }
    if let Some((reply, state)) = field_by_field(
        argv,
        actual,
        &plain.reply,
        after_plain.as_ref(),
        &tried,
        &Tie {
            before: &before,
            now: clock.floor,
            window: 4 * clock.margin,
        },
    ) {
        restore(model, key, state);
        set_clock(model, clock.floor);
        return Ok(Expected {
            probe: plain.probe,
            reply,
        });
    }
    restore(model, key, after_plain);
    set_clock(model, clock.floor);
    Ok(plain)
}

/// GT and LT decide each field on its own, and a relative deadline set in the same
/// millisecond as another ties on one server and not on the other: within one HEXPIRE
/// reply, one field may need one timing and the next another. If every element of the
/// target's reply is what some variant gave for that field, or (for GT/LT) the field's
/// pending deadline and the new one are within `tie.window` ms of each other (four margins:
/// a reading may already be a margin off, and the new deadline another), and only
/// whether a deadline was updated (0 or 1) differs, the reply is explained; the state
/// takes each field's deadline from the variant, or the tie, that explained it.
fn field_by_field(
    argv: &[Vec<u8>],
    actual: &Reply,
    plain: &Reply,
    plain_state: Option<&Value>,
    tried: &[(Reply, Option<Value>, i64)],
    tie: &Tie<'_>,
) -> Option<(Reply, Option<Value>)> {
    let fields = expire_fields(argv)?;
    let (Reply::Array(want), Reply::Array(have)) = (actual, plain) else {
        return None;
    };
    if want.len() != fields.len() || have.len() != fields.len() {
        return None;
    }
    let mut state = plain_state?.clone();
    let Value::Hash(hash) = &mut state else {
        return None;
    };
    let flag = |r: &Reply| matches!(r, Reply::Integer(0 | 1));
    // A field named twice is decided by its first mention (the second sees that update),
    // so all its mentions must come from one variant.
    let mut done: Vec<&Vec<u8>> = Vec::new();
    for field in &fields {
        if done.contains(&field) {
            continue;
        }
        done.push(field);
        let at: Vec<usize> = (0..fields.len()).filter(|&i| fields[i] == *field).collect();
        if at.iter().all(|&i| want[i] == have[i]) {
            continue;
        }
        if !at.iter().all(|&i| flag(&want[i]) && flag(&have[i])) {
            return None;
        }
        let explained = tried.iter().find(|(reply, _, _)| match reply {
            Reply::Array(items) => at.iter().all(|&i| items.get(i) == Some(&want[i])),
            _ => false,
        });
        let deadline = match explained {
            Some((_, Some(Value::Hash(from)), _)) => from.get(field)?.expire_at_ms,
            Some(_) => return None,
            // Earlier variants this run adopted may have moved the engine's stored deadline
            // by a few ms: a near tie is decided by the target.
            None => {
                let (old, new) = tie.deadlines(argv, field)?;
                // A later mention compares with what the first left: never greater.
                if !at[1..].iter().all(|&i| want[i] == Reply::Integer(0)) {
                    return None;
                }
                if want[at[0]] == Reply::Integer(1) {
                    Some(new)
                } else {
                    Some(old)
                }
            }
        };
        hash.get(field)?;
        hash.set_expire(field, deadline);
    }
    Some((actual.clone(), Some(state)))
}

/// What a near tie between a field's pending deadline and a GT/LT's new one is judged by.
struct Tie<'a> {
    /// The key before the command.
    before: &'a Value,
    /// The engine's time for the command.
    now: i64,
    window: i64,
}

impl Tie<'_> {
    /// The field's pending deadline and the one the command sets, if the command is GT or
    /// LT with a time still ahead and the two are within the window.
    fn deadlines(&self, argv: &[Vec<u8>], field: &[u8]) -> Option<(i64, i64)> {
        if !compares_deadlines(argv) {
            return None;
        }
        let time: i64 = std::str::from_utf8(argv.get(2)?).ok()?.parse().ok()?;
        let new = expire_time(&argv[0])?.deadline_ms(time, self.now)?;
        let Value::Hash(hash) = self.before else {
            return None;
        };
        let old = hash.get(field)?.expire_at_ms?;
        (new > self.now && (new - old).abs() <= self.window).then_some((old, new))
    }
}

/// Whether a command names GT or LT where the HEXPIRE family takes them.
fn compares_deadlines(argv: &[Vec<u8>]) -> bool {
    argv.iter()
        .skip(3)
        .take(2)
        .any(|a| a.eq_ignore_ascii_case(b"GT") || a.eq_ignore_ascii_case(b"LT"))
}

/// How the time argument of an HEXPIRE-family command counts, by its grammar; None for
/// other commands.
fn expire_time(name: &[u8]) -> Option<TimeArg> {
    match lookup(name)?.grammar?.shape {
        Shape::Expire(time) => Some(time),
        _ => None,
    }
}

/// The fields of an HEXPIRE-family command, if it is one.
fn expire_fields(argv: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    expire_time(argv.first()?)?;
    let at = (3..argv.len().min(5)).find(|&i| argv[i].eq_ignore_ascii_case(b"FIELDS"))?;
    let fields = argv.get(at + 2..)?.to_vec();
    let mut seen = std::collections::HashSet::new();
    fields
        .iter()
        .all(|f| seen.insert(f.clone()))
        .then_some(fields)
}

/// One way the target's view may have differed from the engine's plain one.
enum Variant {
    /// It ran the command at this time.
    At(i64),
    /// It had stored the key's deadlines this many ms later (a relative TTL counts from
    /// when each server ran the command that set it; an absolute time sent later compares
    /// with that).
    Shifted(i64),
    /// Its background cycle ran at `cycle_at`, and it ran the command at `at`.
    Reclaimed { cycle_at: i64, at: i64 },
}

/// The variants to try, in order: cheapest explanations first.
fn variants(before: &Value, clock: &BatchClock, background_expiry: bool) -> Vec<Variant> {
    let mut out = vec![
        Variant::At(clock.hi),
        Variant::At(clock.lo),
        Variant::Shifted(clock.slack),
        Variant::Shifted(-clock.slack),
    ];
    if background_expiry {
        for cycle_at in reclaim_points(before, clock.hi) {
            for at in [clock.floor, clock.hi, clock.lo] {
                if cycle_at <= at + 1 {
                    out.push(Variant::Reclaimed { cycle_at, at });
                }
            }
        }
    }
    out
}

/// `value` with every field deadline moved by `by` ms (in an order that keeps ties in
/// place in a listpackex, which keeps fields ordered by deadline).
fn shifted(value: &Value, by: i64) -> Value {
    let mut value = value.clone();
    if let Value::Hash(hash) = &mut value {
        let mut deadlines: Vec<(Vec<u8>, i64)> = hash
            .iter()
            .filter_map(|f| Some((f.field.to_vec(), f.expire_at_ms?)))
            .collect();
        if by > 0 {
            deadlines.reverse();
        }
        for (field, at) in deadlines {
            hash.set_expire(&field, Some(at + by));
        }
    }
    value
}

/// Puts back the deadline of every field of `key` that still has its shifted one.
fn unshift(model: &mut EmbeddedTarget, key: &[u8], before: &Value, by: i64) {
    let Value::Hash(original) = before else {
        return;
    };
    let keyspace = model.engine_mut().keyspace_mut(0);
    let Ok(Some(hash)) = keyspace.hash_mut(key) else {
        return;
    };
    let moved: Vec<(Vec<u8>, i64)> = original
        .iter()
        .filter_map(|f| {
            let at = f.expire_at_ms?;
            let now = hash.get(f.field)?.expire_at_ms?;
            (now == at + by).then(|| (f.field.to_vec(), at))
        })
        .collect();
    for (field, at) in moved {
        hash.set_expire(&field, Some(at));
    }
}

/// The command's reply, with its probe asked first.
fn answer(model: &mut EmbeddedTarget, argv: &[Vec<u8>]) -> Result<Expected, TargetError> {
    let probe = probe_for(argv);
    let probe = probe.command(argv).map(|p| model.call(&p)).transpose()?;
    let reply = model.call(argv)?;
    Ok(Expected { probe, reply })
}

/// Instants at which a background cycle would have taken a different set of fields: just
/// after each distinct deadline that has passed by `until`.
fn reclaim_points(value: &Value, until: i64) -> Vec<i64> {
    let Value::Hash(hash) = value else {
        return Vec::new();
    };
    let mut points: Vec<i64> = hash
        .iter()
        .filter_map(|f| f.expire_at_ms)
        .filter(|&at| at < until)
        .map(|at| at + 1)
        .collect();
    points.sort_unstable();
    points.dedup();
    points
}

fn set_clock(model: &mut EmbeddedTarget, at: i64) {
    if model.manual_clock().now_ms() != at {
        model.manual_clock().set(at);
    }
}

/// Puts `value` back under `key` (or removes the key).
pub(crate) fn restore(model: &mut EmbeddedTarget, key: &[u8], value: Option<Value>) {
    let keyspace = model.engine_mut().keyspace_mut(0);
    match value {
        Some(v) => keyspace.insert(key, v),
        None => {
            keyspace.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use reference_engine::{ManualClock, Protocol};

    use super::*;

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
        let batch = BatchClock {
            slack: 20,
            margin: 40,
            floor: t + 5,
            hi: t + 25,
            lo: t - 15,
        };
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
        let mut batch = BatchClock {
            slack: 20,
            margin: 40,
            floor: 300,
            hi: 320,
            lo: 280,
        };
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
            let mut batch = BatchClock {
                slack: 20,
                margin: 40,
                floor: 500,
                hi: 520,
                lo: 480,
            };
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
}
