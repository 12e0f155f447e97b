//! Holding commands back around deadlines: which commands must wait because their key has a
//! deadline within the margin of now (see the module docs of `driver.rs`), when they may go,
//! and the sleeping when too many are held.

use std::collections::VecDeque;
use std::time::Duration;

use reference_engine::Clock;

use super::{compares_deadlines, Differ, KeyMap, KeySet};
use crate::fuzz::gen::Op;
use crate::targets::TargetError;

impl Differ<'_> {
    pub(super) fn rules(&self) -> Rules<'_> {
        Rules {
            gt_lt: self.gt_lt_wait,
            parked: self.config.hold_until_due.then_some(&self.parked),
        }
    }

    pub(super) fn drain(&mut self) -> Result<(), TargetError> {
        while !self.pending.is_empty() || self.held_count > 0 {
            self.flush(true)?;
        }
        Ok(())
    }

    /// Sends what is pending and what held commands may go now; holds commands whose key is
    /// near a deadline. Sleeps if too many are held, or if `wait` and some are.
    pub(super) fn flush(&mut self, wait: bool) -> Result<(), TargetError> {
        loop {
            let now = self.clock.now_ms();
            self.forget_passed(now);
            let margin = self.margin();
            let rules = Rules {
                gt_lt: self.gt_lt_wait,
                parked: self.config.hold_until_due.then_some(&self.parked),
            };
            // Keys given a deadline earlier in this batch: it is not registered yet.
            let mut fresh: KeySet = KeySet::default();
            let mut batch = Vec::new();
            // Held commands first: they are older than anything pending on their key.
            let held_keys: Vec<Vec<u8>> = self.held.keys().cloned().collect();
            for key in held_keys {
                let queue = self.held.get_mut(&key).expect("listed");
                while let Some(front) = queue.front() {
                    if clear_at(&self.deadlines, &fresh, &front.op, now, margin, rules).is_some() {
                        break;
                    }
                    let q = queue.pop_front().expect("front exists");
                    if q.op.deadline_in_ms.is_some() {
                        fresh.insert(key.clone());
                    }
                    batch.push(q);
                }
                if queue.is_empty() {
                    self.held.remove(&key);
                }
            }
            for q in std::mem::take(&mut self.pending) {
                let key = q.op.key().map(<[u8]>::to_vec);
                match key {
                    Some(key)
                        if self.held.contains_key(&key)
                            || clear_at(&self.deadlines, &fresh, &q.op, now, margin, rules)
                                .is_some() =>
                    {
                        self.held.entry(key).or_default().push_back(q);
                    }
                    Some(key) => {
                        if q.op.deadline_in_ms.is_some() {
                            fresh.insert(key);
                        }
                        batch.push(q);
                    }
                    None => batch.push(q),
                }
            }
            self.held_count = self.held.values().map(VecDeque::len).sum();
            self.run_own_batch(batch)?;
            // Each queued deadline is now registered (sent), or its key has held commands.
            self.queued_deadlines.clear();
            if self.stopped() || self.held_count == 0 {
                return Ok(());
            }
            if !wait && self.held_count <= self.config.max_held {
                return Ok(());
            }
            self.sleep_until_a_key_clears();
            if !wait {
                return Ok(());
            }
        }
    }

    /// Sleeps until the first held command's deadlines have cleared.
    pub(super) fn sleep_until_a_key_clears(&mut self) {
        let now = self.clock.now_ms();
        let margin = self.margin();
        let none = KeySet::default();
        let rules = self.rules();
        let wake = self
            .held
            .values()
            .filter_map(|queue| queue.front())
            .filter_map(|q| clear_at(&self.deadlines, &none, &q.op, now, margin, rules))
            .min()
            .unwrap_or(now + 1);
        let ms = (wake - now).clamp(1, 60_000) as u64;
        self.report.waited_ms += ms;
        std::thread::sleep(Duration::from_millis(ms));
    }

    /// Forgets deadlines that have clearly passed.
    pub(super) fn forget_passed(&mut self, now: i64) {
        let margin = self.margin();
        self.deadlines.retain(|_, windows| {
            let before = windows.len();
            windows.retain(|(_, latest)| *latest + margin >= now);
            self.report.deadlines_passed += before - windows.len();
            !windows.is_empty()
        });
        if !self.parked.is_empty() {
            self.parked.retain(|key| self.deadlines.contains_key(key));
        }
    }

    pub(super) fn sleep_until_deadlines_pass(&mut self) {
        let now = self.clock.now_ms();
        let margin = self.margin();
        let last = self
            .deadlines
            .values()
            .flatten()
            .map(|(_, latest)| latest + margin + 1)
            .max();
        if let Some(at) = last.filter(|&at| at > now) {
            let ms = (at - now) as u64;
            self.report.waited_ms += ms;
            std::thread::sleep(Duration::from_millis(ms));
        }
        self.forget_passed(self.clock.now_ms());
    }
}

/// Which holds apply besides the one around a deadline.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Rules<'p> {
    /// GT/LT wait for the key's pending deadlines (see [`Differ::gt_lt_wait`]).
    pub(super) gt_lt: bool,
    /// With [`DiffConfig::hold_until_due`]: on these keys every command waits until the
    /// key's deadlines have passed, and on any key a command waits after a near deadline
    /// set earlier in its batch (which may park the key once registered).
    pub(super) parked: Option<&'p KeySet>,
}

/// If `op` must wait, from when it may go. It must wait while its key has a deadline within
/// the margin of now (or of the batch, which takes time too). With `gt_lt`, a GT/LT that
/// sets a near deadline also waits while that deadline would fall within the margins of a
/// pending one (which of the two is later then depends on when each server ran each
/// command), and after a deadline set earlier in this batch (not yet registered).
pub(super) fn clear_at(
    deadlines: &KeyMap<Vec<(i64, i64)>>,
    fresh: &KeySet,
    op: &Op,
    now: i64,
    margin: i64,
    rules: Rules<'_>,
) -> Option<i64> {
    let key = op.key()?;
    if let Some(second) = op.second_key() {
        return two_keys_clear_at(deadlines, fresh, [key, second], now, margin);
    }
    let compares = rules.gt_lt && compares_deadlines(op);
    if (compares || rules.parked.is_some()) && fresh.contains(key) {
        return Some(now + 1);
    }
    let parked = rules.parked.is_some_and(|p| p.contains(key));
    // The deadline `op` would set if sent now: a relative one moves with the clock.
    let new = if compares {
        op.deadline_window(now, now, now)
    } else {
        None
    };
    deadlines
        .get(key)?
        .iter()
        .filter_map(|&(earliest, latest)| {
            let near = parked || earliest - margin <= now + margin;
            let tie = new.is_some_and(|(new_earliest, new_latest)| {
                new_earliest - 2 * margin <= latest && earliest <= new_latest + 2 * margin
            });
            let passed = latest + margin + 1;
            match (near, tie, new) {
                (true, _, _) => Some(passed),
                // Until the new deadline has moved clear of it, or it has passed.
                (false, true, Some((new_earliest, _))) => {
                    Some(passed.min(latest + 2 * margin + 1 - (new_earliest - now)))
                }
                _ => None,
            }
        })
        .max()
}

/// [`clear_at`] for a command that moves or copies a hash to another key (RENAME, COPY): the
/// deadlines the driver follows are per key, and such a command would carry a pending one
/// to a key where nothing expects it. So it waits until neither key has a deadline that may
/// still be pending, nor one set earlier in its batch (not yet registered).
fn two_keys_clear_at(
    deadlines: &KeyMap<Vec<(i64, i64)>>,
    fresh: &KeySet,
    keys: [&[u8]; 2],
    now: i64,
    margin: i64,
) -> Option<i64> {
    if keys.iter().any(|k| fresh.contains(*k)) {
        return Some(now + 1);
    }
    keys.iter()
        .filter_map(|k| deadlines.get(*k))
        .flatten()
        .map(|&(_, latest)| latest + margin + 1)
        .max()
}
