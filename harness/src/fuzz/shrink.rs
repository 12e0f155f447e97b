//! Shrinking a divergence to the fewest commands that still show it.
//!
//! [`ddmin`] is delta debugging over a command list: remove chunks (halves, then quarters,
//! ...), then single commands, keeping any smaller list that still fails. A list "fails"
//! when replaying it diverges somewhere; it is then cut right after the first divergence,
//! which can only make it shorter.
//!
//! [`Shrinker`] supplies the replay: each attempt runs the candidate on a fresh key of its
//! own (`<run prefix>r<attempt>`, deleted afterwards) against the same target, with a fresh
//! engine as the reference, on the schedule [`rerun::schedule`] derives from the run's
//! timing. A divergence always involves one key (every generated command names one), so
//! its window of that key's commands is where shrinking starts.

use std::time::{Duration, Instant};

use reference_engine::{Clock, ManualClock, SystemClock};

use crate::fuzz::driver::rerun::{self, schedule};
use crate::fuzz::driver::{DiffConfig, Divergence, Reference, Sent};
use crate::fuzz::gen::{Arg, Op};
use crate::targets::{EmbeddedTarget, Target, TargetError};

/// Shrinks `current` in place. `test` replays a candidate and says where it first diverged
/// (`Some(index)`) or that it did not (`None`); `current` must fail to begin with. On an
/// error from `test`, `current` holds the smallest failing list found so far.
pub fn ddmin<T: Clone, E>(
    current: &mut Vec<T>,
    mut test: impl FnMut(&[T]) -> Result<Option<usize>, E>,
) -> Result<(), E> {
    let mut parts = 2usize;
    while current.len() >= 2 {
        let len = current.len();
        let chunk = len.div_ceil(parts.min(len));
        let mut reduced = false;
        let mut start = 0;
        while start < len {
            let end = (start + chunk).min(len);
            let candidate: Vec<T> = current[..start]
                .iter()
                .chain(&current[end..])
                .cloned()
                .collect();
            if !candidate.is_empty() {
                if let Some(at) = test(&candidate)? {
                    let keep = (at + 1).min(candidate.len());
                    *current = candidate[..keep].to_vec();
                    parts = (parts - 1).max(2);
                    reduced = true;
                    break;
                }
            }
            start = end;
        }
        if !reduced {
            if chunk == 1 {
                break;
            }
            parts = (parts * 2).min(current.len());
        }
    }
    Ok(())
}

/// Limits of one shrink.
#[derive(Debug, Clone)]
pub struct Budget {
    pub replays: usize,
    pub time: Duration,
}

impl Default for Budget {
    fn default() -> Self {
        Self {
            replays: 3_000,
            time: Duration::from_secs(120),
        }
    }
}

/// The outcome of shrinking one divergence.
#[derive(Debug, Clone)]
pub struct Shrunk {
    /// The commands that still diverge, as the run sent them (original key and times).
    pub commands: Vec<Sent>,
    /// When to send each, in ms from the first.
    pub offsets: Vec<i64>,
    /// The divergence the last successful replay showed (keys of that replay).
    pub divergence: Option<Divergence>,
    /// Whether the run's window diverged again when replayed at all.
    pub reproduced: bool,
    /// Replays done, and whether the budget ran out before the list was minimal.
    pub replays: usize,
    pub exhausted: bool,
}

/// Replays candidate command lists against a target.
pub struct Shrinker<'t> {
    target: &'t mut dyn Target,
    config: DiffConfig,
    seed: u64,
    /// Replay keys are this prefix plus `r<attempt>`: under the run's own prefix.
    key_prefix: Vec<u8>,
    attempts: usize,
    /// Called between replays; true stops shrinking (Ctrl-C).
    pub interrupted: Box<dyn Fn() -> bool + 't>,
}

enum Stop {
    Budget,
    Target(TargetError),
}

impl<'t> Shrinker<'t> {
    /// `config` is the run's; replays stop at the first divergence and do not reconcile.
    pub fn new(
        target: &'t mut dyn Target,
        config: &DiffConfig,
        seed: u64,
        key_prefix: &[u8],
    ) -> Self {
        let config = DiffConfig {
            max_divergences: 1,
            reconcile_every: None,
            ..config.clone()
        };
        Self {
            target,
            config,
            seed,
            key_prefix: key_prefix.to_vec(),
            attempts: 0,
            interrupted: Box::new(|| false),
        }
    }

    /// The target replays run on (to switch its protocol between shrinks).
    pub fn target(&mut self) -> &mut dyn Target {
        &mut *self.target
    }

    /// Replays so far, over all shrinks.
    pub fn attempts(&self) -> usize {
        self.attempts
    }

    /// Shrinks `divergence` (its window) within `budget`.
    pub fn shrink(
        &mut self,
        divergence: &Divergence,
        budget: &Budget,
    ) -> Result<Shrunk, TargetError> {
        let started = Instant::now();
        let first_attempt = self.attempts;
        let mut current = divergence.window.clone();
        let mut last = None;
        // Timing can hide a divergence once; three tries before giving up on it.
        let mut reproduced = false;
        let kind = divergence.signature.as_str();
        for _ in 0..3 {
            if let Some((at, d)) = self.replay(&current, kind)? {
                current.truncate(at + 1);
                last = Some(d);
                reproduced = true;
                break;
            }
        }
        let mut exhausted = false;
        if reproduced {
            let result = ddmin(&mut current, |candidate: &[Sent]| {
                let over = self.attempts - first_attempt >= budget.replays
                    || started.elapsed() > budget.time
                    || (self.interrupted)();
                if over {
                    return Err(Stop::Budget);
                }
                match self.replay(candidate, kind) {
                    Ok(Some((at, d))) => {
                        last = Some(d);
                        Ok(Some(at))
                    }
                    Ok(None) => Ok(None),
                    Err(e) => Err(Stop::Target(e)),
                }
            });
            match result {
                Ok(()) => {}
                Err(Stop::Budget) => exhausted = true,
                Err(Stop::Target(e)) => return Err(e),
            }
        }
        let offsets = schedule(&current, self.config.margin_ms);
        Ok(Shrunk {
            commands: current,
            offsets,
            divergence: last,
            reproduced,
            replays: self.attempts - first_attempt,
            exhausted,
        })
    }

    /// Replays `commands` on a fresh key; where the first divergence was, and what it was,
    /// if it is of the `kind` being shrunk (another kind would make another case).
    fn replay(
        &mut self,
        commands: &[Sent],
        kind: &str,
    ) -> Result<Option<(usize, Divergence)>, TargetError> {
        self.attempts += 1;
        let mut key = self.key_prefix.clone();
        key.extend_from_slice(format!("r{}", self.attempts).as_bytes());
        let ops: Vec<Op> = commands.iter().map(|s| with_key(&s.op, &key)).collect();
        // The replay's keys, deleted whatever happened, unless the connection is gone.
        let mut del = vec![b"DEL".to_vec()];
        for op in &ops {
            for k in [op.key(), op.second_key()].into_iter().flatten() {
                if !del.iter().any(|d| d == k) {
                    del.push(k.to_vec());
                }
            }
        }
        let offsets = schedule(commands, self.config.margin_ms);
        let clock = ManualClock::new(SystemClock.now_ms());
        let protocol = self.target.protocol();
        let mut model = EmbeddedTarget::with_clock(protocol, clock, Some(self.seed));
        let report = rerun::replay(
            Reference::Model(&mut model),
            &mut *self.target,
            ops,
            &offsets,
            &self.config,
        );
        let cleanup = self.target.call(&del);
        let report = report?;
        cleanup?;
        Ok(report
            .divergences
            .into_iter()
            .next()
            .filter(|d| d.signature == kind)
            .map(|d| (d.index, d)))
    }
}

/// `op` with every argument that names its key (argument 1, and the repeats DEL and EXISTS
/// may carry) renamed to `key`. Another key (RENAME's or COPY's second) is renamed beside
/// it, to `key` and the other's last `:` part, the same in every command: a replay must
/// not touch the run's own keys, and leaves none behind.
pub fn with_key(op: &Op, key: &[u8]) -> Op {
    let Some(old) = op.key().map(<[u8]>::to_vec) else {
        return op.clone();
    };
    let keys_only = matches!(op.name().as_str(), "DEL" | "EXISTS");
    let second = op.second_key_at();
    let args = op
        .args
        .iter()
        .enumerate()
        .map(|(i, a)| match a {
            Arg::Bytes(b) if i == 1 || (keys_only && i > 1 && *b == old) => {
                Arg::Bytes(key.to_vec())
            }
            Arg::Bytes(b) if Some(i) == second && *b == old => Arg::Bytes(key.to_vec()),
            Arg::Bytes(b) if Some(i) == second => {
                let part = b.rsplit(|&c| c == b':').next().unwrap_or(b);
                let mut other = key.to_vec();
                other.push(b'.');
                other.extend_from_slice(part);
                Arg::Bytes(other)
            }
            other => other.clone(),
        })
        .collect();
    Op {
        args,
        deadline_in_ms: op.deadline_in_ms,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use reference_engine::{Protocol, Reply};

    use super::*;
    use crate::fuzz::driver::run_ops;
    use crate::targets::{ClockKind, ServerIdentity};

    /// The engine, except that HSTRLEN on a key that has seen an HSETNX replies -99: a
    /// server with a bug that takes two particular commands, in that order, to show.
    struct Picky {
        inner: EmbeddedTarget,
        armed: HashSet<Vec<u8>>,
    }

    impl Target for Picky {
        fn name(&self) -> &str {
            "picky"
        }
        fn protocol(&self) -> Protocol {
            self.inner.protocol()
        }
        fn identity(&self) -> &ServerIdentity {
            self.inner.identity()
        }
        fn clock(&self) -> ClockKind {
            ClockKind::Real
        }
        fn call(&mut self, argv: &[Vec<u8>]) -> Result<Reply, TargetError> {
            self.inner.manual_clock().set(SystemClock.now_ms());
            let reply = self.inner.call(argv)?;
            let key = argv.get(1).cloned().unwrap_or_default();
            if argv[0].eq_ignore_ascii_case(b"HSETNX") {
                self.armed.insert(key.clone());
            }
            if argv[0].eq_ignore_ascii_case(b"HSTRLEN") && self.armed.contains(&key) {
                return Ok(Reply::Integer(-99));
            }
            Ok(reply)
        }
        fn advance_clock(&mut self, _ms: u64) -> Result<(), TargetError> {
            Ok(())
        }
    }

    #[test]
    fn a_divergence_needing_two_commands_shrinks_to_exactly_those_two() {
        let words = |line: &str| -> Op {
            let parts: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
            Op::words(&parts)
        };
        let mut ops = Vec::new();
        for i in 0..40 {
            ops.push(match i {
                11 => words("HSETNX hc:t:k a 1"),
                33 => words("HSTRLEN hc:t:k f1"),
                _ if i % 3 == 0 => words(&format!("HSET hc:t:k f{} v{i}", i % 5)),
                _ if i % 3 == 1 => words("HLEN hc:t:k"),
                _ => words(&format!("HGET hc:t:k f{}", i % 4)),
            });
        }
        let mut picky = Picky {
            inner: EmbeddedTarget::new(Protocol::Resp3),
            armed: HashSet::new(),
        };
        let config = DiffConfig {
            reconcile_every: None,
            ..DiffConfig::default()
        };
        let mut model = EmbeddedTarget::with_clock(
            Protocol::Resp3,
            ManualClock::new(SystemClock.now_ms()),
            Some(1),
        );
        let report = run_ops(Reference::Model(&mut model), &mut picky, ops, &config).unwrap();
        assert_eq!(report.divergences.len(), 1);
        let divergence = &report.divergences[0];
        assert_eq!(
            divergence.window.len(),
            34,
            "the key's commands up to HSTRLEN"
        );

        let mut shrinker = Shrinker::new(&mut picky, &config, 1, b"hc:t:");
        let shrunk = shrinker.shrink(divergence, &Budget::default()).unwrap();
        assert!(shrunk.reproduced && !shrunk.exhausted);
        let names: Vec<String> = shrunk.commands.iter().map(|s| s.op.name()).collect();
        assert_eq!(names, ["HSETNX", "HSTRLEN"]);
        assert_eq!(shrunk.offsets, [0, 0]);
        let last = shrunk.divergence.unwrap();
        assert_eq!(last.actual, Reply::Integer(-99));
        assert_eq!(last.expected, Reply::Integer(0));
        // Every replay used a key of its own and deleted it.
        assert!(shrunk.replays > 2);
        drop(shrinker);
        assert!(picky
            .inner
            .engine_mut()
            .keyspace(0)
            .iter()
            .all(|(k, _)| k == b"hc:t:k"));
    }

    /// Fails when `a` comes before `b`, at `b`'s position.
    fn a_then_b(items: &[u32], a: u32, b: u32) -> Option<usize> {
        let first_a = items.iter().position(|&x| x == a)?;
        items
            .iter()
            .enumerate()
            .skip(first_a + 1)
            .find(|(_, &x)| x == b)
            .map(|(i, _)| i)
    }

    #[test]
    fn ddmin_finds_the_two_commands_in_order() {
        let mut items: Vec<u32> = (0..200).collect();
        let mut tests = 0;
        ddmin(&mut items, |c: &[u32]| -> Result<_, ()> {
            tests += 1;
            Ok(a_then_b(c, 37, 151))
        })
        .unwrap();
        assert_eq!(items, vec![37, 151]);
        assert!(tests < 200, "{tests} tests");
    }

    #[test]
    fn ddmin_cuts_after_the_first_failure() {
        // Fails as soon as 5 is present, at its position: one element is enough.
        let mut items: Vec<u32> = (0..10).collect();
        ddmin(&mut items, |c: &[u32]| -> Result<_, ()> {
            Ok(c.iter().position(|&x| x == 5))
        })
        .unwrap();
        assert_eq!(items, vec![5]);
    }

    #[test]
    fn ddmin_keeps_the_best_so_far_on_error() {
        let mut items: Vec<u32> = (0..64).collect();
        let mut budget = 3;
        let result = ddmin(&mut items, |c: &[u32]| {
            if budget == 0 {
                return Err("budget");
            }
            budget -= 1;
            Ok(a_then_b(c, 40, 60))
        });
        assert_eq!(result, Err("budget"));
        assert!(
            items.len() < 64 && a_then_b(&items, 40, 60).is_some(),
            "{items:?}"
        );
    }

    #[test]
    fn a_second_key_is_renamed_beside_the_first() {
        let op = Op::words(&[b"RENAME", b"hc:{j0}:k1", b"hc:{j0}:k4"]);
        assert_eq!(
            with_key(&op, b"hc:{j0}:r3"),
            Op::words(&[b"RENAME", b"hc:{j0}:r3", b"hc:{j0}:r3.k4"])
        );
        let op = Op::words(&[b"COPY", b"hc:k1", b"hc:k1", b"REPLACE"]);
        assert_eq!(
            with_key(&op, b"r"),
            Op::words(&[b"COPY", b"r", b"r", b"REPLACE"])
        );
    }

    #[test]
    fn keys_are_renamed_everywhere_they_are_keys() {
        let op = Op::words(&[b"DEL", b"hc:k1", b"hc:k1"]);
        assert_eq!(with_key(&op, b"new"), Op::words(&[b"DEL", b"new", b"new"]));
        // A field that happens to equal the key stays a field.
        let op = Op::words(&[b"HSET", b"hc:k1", b"hc:k1", b"v"]);
        assert_eq!(
            with_key(&op, b"new"),
            Op::words(&[b"HSET", b"new", b"hc:k1", b"v"])
        );
        // Another key gets a companion of the new key; the same key is the new key.
        let op = Op::words(&[b"RENAME", b"hc:k1", b"hc:k5"]);
        assert_eq!(
            with_key(&op, b"new"),
            Op::words(&[b"RENAME", b"new", b"new.k5"])
        );
        let op = Op::words(&[b"COPY", b"hc:k1", b"hc:k1", b"REPLACE"]);
        assert_eq!(
            with_key(&op, b"new"),
            Op::words(&[b"COPY", b"new", b"new", b"REPLACE"])
        );
    }
}
