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

use reference_engine::keyspace::Value;
use reference_engine::{Clock, Reply};

use super::{agrees, probe_for, DiffConfig, Expected};
use crate::target::{EmbeddedTarget, Target, TargetError};

/// The times a batch could have run at, from the engine's point of view.
#[derive(Debug, Clone, Copy)]
pub(super) struct BatchClock {
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

/// The model's reply to one command; see the module docs.
pub(super) fn model_reply(
    model: &mut EmbeddedTarget,
    argv: &[Vec<u8>],
    actual: &Reply,
    config: &DiffConfig,
    clock: &mut BatchClock,
) -> Result<Expected, TargetError> {
    let key = argv.get(1).cloned().unwrap_or_default();
    set_clock(model, clock.floor);
    // Time matters only to a key whose fields have deadlines; others need no snapshot.
    let before = match model.engine_mut().keyspace(0).get(&key) {
        Some(value @ Value::Hash(h)) if h.has_ttls() => Some(value.clone()),
        _ => None,
    };
    let plain = answer(model, argv)?;
    let Some(before) = before else {
        return Ok(plain);
    };
    if agrees(&plain, argv, actual, config, clock.margin) {
        return Ok(plain);
    }
    let after_plain = model.engine_mut().keyspace(0).get(&key).cloned();
    let mut times = vec![clock.hi, clock.lo];
    times.dedup();
    for &at in &times {
        restore(model, &key, Some(before.clone()));
        set_clock(model, at);
        let reply = answer(model, argv)?;
        if agrees(&reply, argv, actual, config, clock.margin) {
            if at > clock.floor {
                clock.floor = at;
            }
            set_clock(model, clock.floor);
            return Ok(reply);
        }
    }
    if config.background_expiry {
        for cycle_at in reclaim_points(&before, clock.hi) {
            for &at in &[clock.floor, clock.hi, clock.lo] {
                if cycle_at > at + 1 {
                    continue;
                }
                restore(model, &key, Some(before.clone()));
                set_clock(model, cycle_at);
                model.engine_mut().reclaim_expired(0, &key);
                set_clock(model, at);
                let reply = answer(model, argv)?;
                if agrees(&reply, argv, actual, config, clock.margin) {
                    clock.floor = clock.floor.max(at);
                    set_clock(model, clock.floor);
                    return Ok(reply);
                }
            }
        }
    }
    restore(model, &key, after_plain);
    set_clock(model, clock.floor);
    Ok(plain)
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
pub(super) fn restore(model: &mut EmbeddedTarget, key: &[u8], value: Option<Value>) {
    let keyspace = model.engine_mut().keyspace_mut(0);
    match value {
        Some(v) => keyspace.insert(key, v),
        None => {
            keyspace.remove(key);
        }
    }
}
