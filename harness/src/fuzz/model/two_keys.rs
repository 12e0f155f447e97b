//! The model's answer to a command that moves or copies a hash to another key (RENAME,
//! RENAMENX, COPY). The driver sends one only when neither key has a deadline that may
//! still be pending (see `hold.rs`), so the time it ran at does not matter. What may: a
//! target with background expiry may have reclaimed either key's expired fields first,
//! and a key whose fields had all expired is then gone (RENAME says `no such key`, COPY
//! and RENAMENX find the destination free). So the plain reply comes first, then the
//! states where the source, the destination, or both were reclaimed; the first that
//! explains the target's reply is kept, with both keys as it left them.

use reference_engine::keyspace::Value;
use reference_engine::Reply;

use super::{
    answer, set_clock, Alternatives, BatchClock, Expected, Judge, KeyState, ReferenceEngine,
};
use crate::targets::TargetError;

/// Whether `argv` names a second key (the table's second key spec).
pub(super) fn takes_two(argv: &[Vec<u8>]) -> bool {
    argv.len() > 2
        && argv
            .first()
            .and_then(|name| reference_engine::command::lookup(name))
            .is_some_and(|spec| spec.info.second_key.is_some())
}

/// Both keys' values and TTLs.
type Snapshot = [(Option<Value>, Option<i64>); 2];

fn snapshot(model: &impl ReferenceEngine, keys: [&[u8]; 2]) -> Snapshot {
    keys.map(|k| (model.peek(k).cloned(), model.key_deadline(k)))
}

fn put_back(model: &mut impl ReferenceEngine, keys: [&[u8]; 2], state: &Snapshot) {
    for (key, (value, deadline)) in keys.into_iter().zip(state) {
        model.put_with_deadline(key, value.clone(), *deadline);
    }
}

pub(super) fn reply(
    model: &mut impl ReferenceEngine,
    argv: &[Vec<u8>],
    actual: &Reply,
    judge: &impl Judge,
    clock: &mut BatchClock,
    alternatives: &mut Alternatives,
) -> Result<Expected, TargetError> {
    let keys = [argv[1].as_slice(), argv[2].as_slice()];
    // A state left open by an earlier reply (see `tracked_reply`) is followed too: dropping
    // it lost the true state whenever the engine's could not be reclaimed into it (a key
    // whose expired fields a cycle had removed, with its TTL, before a write recreated it:
    // a later EXPIRE GT/LT then diverged).
    let pending = [
        alternatives.remove(keys[0]),
        if keys[0] == keys[1] {
            None
        } else {
            alternatives.remove(keys[1])
        },
    ];
    set_clock(model, clock.floor);
    let before = snapshot(model, keys);
    let (expected, explained) = engine_reply(model, argv, actual, judge, clock, keys, &before)?;
    if pending.iter().all(Option::is_none) {
        return Ok(expected);
    }
    let chosen = snapshot(model, keys);
    put_back(model, keys, &before);
    for (key, state) in keys.into_iter().zip(&pending) {
        if let Some(state) = state {
            model.put_with_deadline(key, state.value.clone(), state.deadline);
        }
    }
    set_clock(model, clock.floor);
    let reply = answer(model, judge, argv)?;
    let fits = judge.agrees(&reply, argv, actual, clock.margin);
    if fits && !explained {
        // The other state explains what the engine's did not: it was the right one.
        return Ok(reply);
    }
    if fits {
        // Both explain the reply: each key keeps its other state, for a later reply to
        // decide (per key, so a mix of the two is accepted too).
        let other = snapshot(model, keys);
        for (i, key) in keys.into_iter().enumerate() {
            if other[i] != chosen[i] {
                let (value, deadline) = other[i].clone();
                alternatives.insert(key.to_vec(), KeyState { value, deadline });
            }
        }
    }
    put_back(model, keys, &chosen);
    set_clock(model, clock.floor);
    Ok(expected)
}

/// The engine's own state's reply: the plain one, then the states where the source, the
/// destination or both were reclaimed; the first that explains the target's is kept, with
/// both keys as it left them (the plain state if none does). Says whether one did.
fn engine_reply(
    model: &mut impl ReferenceEngine,
    argv: &[Vec<u8>],
    actual: &Reply,
    judge: &impl Judge,
    clock: &mut BatchClock,
    keys: [&[u8]; 2],
    before: &Snapshot,
) -> Result<(Expected, bool), TargetError> {
    let plain = answer(model, judge, argv)?;
    if judge.agrees(&plain, argv, actual, clock.margin) {
        return Ok((plain, true));
    }
    if !judge.background_expiry() {
        return Ok((plain, false));
    }
    let after = snapshot(model, keys);
    for (source, destination) in [(true, false), (false, true), (true, true)] {
        put_back(model, keys, before);
        if source {
            model.reclaim_expired(keys[0]);
        }
        if destination {
            model.reclaim_expired(keys[1]);
        }
        let reply = answer(model, judge, argv)?;
        if judge.agrees(&reply, argv, actual, clock.margin) {
            return Ok((reply, true));
        }
    }
    put_back(model, keys, &after);
    Ok((plain, false))
}
