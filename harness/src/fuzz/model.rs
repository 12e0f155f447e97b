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
use reference_engine::hash::{is_expired, FixedState};
use reference_engine::keyspace::Value;
use reference_engine::Reply;

use crate::targets::TargetError;

mod engine;
#[cfg(test)]
mod tests;
mod two_keys;

pub use engine::ReferenceEngine;

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

/// What the model needs from the rules its replies are judged by (the driver's policies):
/// it answers a command under several timings and keeps the first the target's reply fits.
pub(crate) trait Judge {
    /// The command to ask the reference first so that `argv`'s reply can be judged (the
    /// live contents for HRANDFIELD, the encoding for HGETALL, ...), if any.
    fn probe(&self, argv: &[Vec<u8>]) -> Option<Vec<Vec<u8>>>;
    /// Whether the target's `actual` reply is one the reference's `expected` allows.
    fn agrees(&self, expected: &Expected, argv: &[Vec<u8>], actual: &Reply, margin: i64) -> bool;
    /// Whether the target may reclaim expired fields in the background.
    fn background_expiry(&self) -> bool;
}

/// The reference's side of one command: what it replied, and what its probe said.
pub(crate) struct Expected {
    pub(crate) probe: Option<Reply>,
    pub(crate) reply: Reply,
}

/// States a key may be in besides the engine's, per key: set when a command's reply fit
/// both "not reclaimed" and "reclaimed by a background cycle" but left different states.
pub(crate) type Alternatives = std::collections::HashMap<Vec<u8>, KeyState, FixedState>;

/// A key as the model takes it out of the engine and puts it back: its value and its own
/// deadline (EXPIRE). The deadline must travel with the value: a state tried in between may
/// remove the key (a reclaimed hash whose fields had all expired), and a value put back
/// without it would lose a TTL the target keeps (TTL -1 for a key that has one).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KeyState {
    value: Option<Value>,
    deadline: Option<i64>,
}

impl KeyState {
    fn of(model: &impl ReferenceEngine, key: &[u8]) -> Self {
        Self {
            value: model.peek(key).cloned(),
            deadline: model.key_deadline(key),
        }
    }
}

/// [`model_reply`], also following a second possible state of the key. A reply that fits
/// both the lazy state and a reclaimed one (HSETEX KEEPTTL over an expired field replies 1
/// either way) cannot tell which the target is in; both are kept until a reply tells them
/// apart, and the one that explains it wins.
pub(crate) fn tracked_reply(
    model: &mut impl ReferenceEngine,
    argv: &[Vec<u8>],
    actual: &Reply,
    judge: &impl Judge,
    clock: &mut BatchClock,
    alternatives: &mut Alternatives,
) -> Result<Expected, TargetError> {
    if two_keys::takes_two(argv) {
        return two_keys::reply(model, argv, actual, judge, clock, alternatives);
    }
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
        (judge.background_expiry() && alternative.is_none() && is_expired(earliest, clock.floor))
            .then(|| KeyState::of(model, key))
            .filter(|state| state.value.is_some());
    let expected = model_reply(model, argv, actual, judge, clock, earliest)?;
    if alternative.is_none() && unreclaimed.is_none() {
        // Nothing else to follow: the common case, with no copy of the key.
        return Ok(expected);
    }
    let explained = judge.agrees(&expected, argv, actual, clock.margin);
    let primary = KeyState::of(model, key);
    let other = match (alternative, unreclaimed) {
        (Some(state), _) => {
            // The other state is the eager one: its cycles reclaim every field as soon as
            // it expires. WHY: it was forked when one deadline had passed, and a later
            // one then forks the target again; with only two states followed, the lazy
            // one and the eager one are the two ends, and `model_reply` tries the cycles
            // in between on the lazy one. (Redis reclaimed a second field before HSETEX
            // KEEPTTL set it again, and the other state, which still held it expired,
            // expected HEXISTS 0.)
            restore(model, key, state);
            set_clock(model, clock.floor);
            model.reclaim_expired(key);
            Some(KeyState::of(model, key))
        }
        (None, Some(before)) if explained => {
            restore(model, key, before);
            model.reclaim_expired(key);
            Some(KeyState::of(model, key))
        }
        _ => None,
    };
    let Some(other) = other else {
        return Ok(expected);
    };
    restore(model, key, other);
    set_clock(model, clock.floor);
    let reply = answer(model, judge, argv)?;
    let fits = judge.agrees(&reply, argv, actual, clock.margin);
    let after = KeyState::of(model, key);
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
fn earliest_deadline(model: &mut impl ReferenceEngine, key: &[u8]) -> Option<i64> {
    match model.peek(key) {
        Some(Value::Hash(h)) => h.earliest_expiry(),
        _ => None,
    }
}

/// The model's reply to one command (see the module docs), given the key's
/// [`earliest_deadline`].
pub(crate) fn model_reply(
    model: &mut impl ReferenceEngine,
    argv: &[Vec<u8>],
    actual: &Reply,
    judge: &impl Judge,
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
    let before = match model.peek(key) {
        Some(value @ Value::Hash(_)) if snapshot => Some(value.clone()),
        _ => None,
    };
    // The key's own deadline goes back with every state tried (see KeyState).
    let deadline = model.key_deadline(key);
    let before_state = |value: Value| KeyState {
        value: Some(value),
        deadline,
    };
    let plain = answer(model, judge, argv)?;
    let Some(before) = before else {
        return Ok(plain);
    };
    if judge.agrees(&plain, argv, actual, clock.margin) {
        return Ok(plain);
    }
    let after_plain = KeyState::of(model, key);
    // What each variant said, for explaining a multi-field reply field by field.
    let mut tried: Vec<(Reply, Option<Value>, i64)> = Vec::new();
    for variant in variants(&before, clock, judge.background_expiry()) {
        let at = match variant {
            Variant::At(at) => {
                restore(model, key, before_state(before.clone()));
                at
            }
            Variant::Shifted(by) => {
                restore(model, key, before_state(shifted(&before, by)));
                clock.floor
            }
            Variant::Reclaimed { cycle_at, at } => {
                restore(model, key, before_state(before.clone()));
                set_clock(model, cycle_at);
                model.reclaim_expired(key);
                at
            }
        };
        set_clock(model, at);
        let reply = answer(model, judge, argv)?;
        if let Variant::Shifted(by) = variant {
            // The shift only stood in for this command's view: deadlines it did not set go
            // back, so that repeated ties cannot walk a field's deadline away.
            unshift(model, key, &before, by);
        }
        if judge.agrees(&reply, argv, actual, clock.margin) {
            clock.floor = clock.floor.max(at);
            set_clock(model, clock.floor);
            return Ok(reply);
        }
        let state = model.peek(key).cloned();
        tried.push((reply.reply, state, at));
    }
    if let Some((reply, state)) = field_by_field(
        argv,
        actual,
        &plain.reply,
        after_plain.value.as_ref(),
        &tried,
        &Tie {
            before: &before,
            now: clock.floor,
            window: 4 * clock.margin,
        },
    ) {
        // Field deadlines from the variants; the key's own as the plain reply left it.
        let state = KeyState {
            value: state,
            deadline: after_plain.deadline,
        };
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
fn unshift(model: &mut impl ReferenceEngine, key: &[u8], before: &Value, by: i64) {
    let Value::Hash(original) = before else {
        return;
    };
    let Some(hash) = model.hash_mut(key) else {
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
fn answer(
    model: &mut impl ReferenceEngine,
    judge: &impl Judge,
    argv: &[Vec<u8>],
) -> Result<Expected, TargetError> {
    let probe = judge.probe(argv).map(|p| model.run(&p)).transpose()?;
    let reply = model.run(argv)?;
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

fn set_clock(model: &mut impl ReferenceEngine, at: i64) {
    if model.now_ms() != at {
        model.set_now_ms(at);
    }
}

/// Puts `state` back under `key` (or removes the key), its own deadline included.
fn restore(model: &mut impl ReferenceEngine, key: &[u8], state: KeyState) {
    model.put_with_deadline(key, state.value, state.deadline);
}
