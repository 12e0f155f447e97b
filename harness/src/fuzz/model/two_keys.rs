//! The model's answer to a command that moves or copies a hash to another key (RENAME,
//! RENAMENX, COPY). The driver sends one only when neither key has a deadline that may
//! still be pending (see `hold.rs`), so the time it ran at does not matter. What may: a
//! target with background expiry may have reclaimed either key's expired fields first,
//! and a key whose fields had all expired is then gone (RENAME says `no such key`, COPY
//! and RENAMENX find the destination free). So the plain reply comes first, then the
//! states where the source, the destination, or both were reclaimed; the first that
//! explains the target's reply is kept, with both keys as it left them.

use reference_engine::Reply;

use super::{
    answer, key_state, set_clock, Alternatives, BatchClock, Expected, Judge, KeyState,
    ReferenceEngine,
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
type Snapshot = [KeyState; 2];

fn snapshot(model: &impl ReferenceEngine, keys: [&[u8]; 2]) -> Snapshot {
    keys.map(|k| key_state(model, k))
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
    // A state left open by an earlier reply is not followed across keys: the reclaimed
    // states tried here (and on each key's next command) stand in for it.
    for key in keys {
        alternatives.remove(key);
    }
    set_clock(model, clock.floor);
    let before = snapshot(model, keys);
    let plain = answer(model, judge, argv)?;
    if !judge.background_expiry() || judge.agrees(&plain, argv, actual, clock.margin) {
        return Ok(plain);
    }
    let after = snapshot(model, keys);
    for (source, destination) in [(true, false), (false, true), (true, true)] {
        put_back(model, keys, &before);
        if source {
            model.reclaim_expired(keys[0]);
        }
        if destination {
            model.reclaim_expired(keys[1]);
        }
        let reply = answer(model, judge, argv)?;
        if judge.agrees(&reply, argv, actual, clock.margin) {
            return Ok(reply);
        }
    }
    put_back(model, keys, &after);
    Ok(plain)
}
