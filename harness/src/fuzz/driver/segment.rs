//! Sending one segment of a batch to both sides and judging each reply: the model's or the
//! reference server's expectation, the comparison, statistics and coverage, and what a
//! divergence keeps (its key's window) and resets (the key, on both sides).

use crate::compare::policy;
use reference_engine::keyspace::Value;
use reference_engine::{Clock, Protocol, Reply};

use super::judge::server_replies;
use super::rank::{self, Class};
use super::signature::signature;
use super::{context, policy_with, Differ, Divergence, Kind, Queued, Reference, Sent};
use crate::compare::{compare, Mismatch, Policy};
use crate::coverage::KeyBefore;
use crate::fuzz::gen::for_each_option;
use crate::fuzz::model::{self, BatchClock, ReferenceEngine};
use crate::targets::{Target, TargetError};

impl Differ<'_> {
    /// Sends a batch, in [`segments`].
    pub(super) fn run_batch(&mut self, batch: Vec<Queued>) -> Result<(), TargetError> {
        for segment in segments(scans_last(batch)) {
            self.run_segment(segment)?;
        }
        Ok(())
    }

    /// [`run_batch`] for a batch of the driver's own: what would need round trips of its
    /// own after the first waits for the next batch instead, at the front of the pending
    /// commands, if it is only HSCANs (after [`scans_last`] it is: the second HSCAN on a
    /// key, and any after it). WHY: such a round trip carries one or two commands, and a
    /// lane waiting for it while the other lanes wait too leaves the core idle; with HSCAN
    /// in the mix, two pinned lanes compared 546,000 commands a second, without it 720,000.
    /// Each key's commands keep their order (nothing later on its key was in this batch),
    /// and such an HSCAN comes first on its key in the next batch, so it is never put off
    /// twice.
    pub(super) fn run_own_batch(&mut self, batch: Vec<Queued>) -> Result<(), TargetError> {
        let mut segments = segments(scans_last(batch)).into_iter();
        let first = segments.next().unwrap_or_default();
        let later: Vec<Queued> = segments.flatten().collect();
        self.run_segment(first)?;
        if later.iter().all(|q| q.scan) {
            self.pending.splice(0..0, later);
            return Ok(());
        }
        for segment in self::segments(later) {
            self.run_segment(segment)?;
        }
        Ok(())
    }

    pub(super) fn run_segment(&mut self, ops: Vec<Queued>) -> Result<(), TargetError> {
        if ops.is_empty() {
            return Ok(());
        }
        let now = self.clock.now_ms();
        let argvs: Vec<Vec<Vec<u8>>> = ops.iter().map(|q| q.op.resolve(now)).collect();
        let sent_at = self.clock.now_ms();
        let reordered_before = self.target.batches_reordered();
        let actuals = self.target.call_batch(&argvs)?;
        // A cluster ran this batch out of order across keys (see Target::batches_reordered):
        // what a reply shows about the target's time then holds for its own key only.
        let in_order = self.target.batches_reordered() == reordered_before;
        let mut key_floors: std::collections::HashMap<Vec<u8>, i64> =
            std::collections::HashMap::new();
        let expecteds = match &mut self.reference {
            Reference::Server(server) => server_replies(&mut **server, &argvs)?,
            Reference::Model(_) => Vec::new(),
        };
        // A reference server runs the batch after the target: both runs lie between
        // sent_at and done_at, so deadline windows and TTL tolerances must span both (on a
        // loaded machine the two runs of one command were seen 200 ms apart).
        let done_at = self.clock.now_ms();
        self.recent_batch_ms = (done_at - sent_at).max(self.recent_batch_ms * 15 / 16);
        let mut expecteds = expecteds.into_iter();
        let margin = self.margin();
        let slack = margin / 2;
        let mut clock = BatchClock {
            slack,
            margin,
            floor: sent_at,
            hi: done_at + slack,
            lo: sent_at - slack,
        };
        let mut tainted: Vec<Vec<u8>> = Vec::new();
        let resp3 = usize::from(self.target.protocol() == Protocol::Resp3);
        for ((q, argv), actual) in ops.into_iter().zip(argvs).zip(actuals) {
            let key = q.op.key().map(<[u8]>::to_vec);
            if !in_order {
                if let Some(floor) = key.as_ref().and_then(|k| key_floors.get(k)) {
                    clock.floor = *floor;
                } else {
                    clock.floor = sent_at;
                }
            }
            if let (Some(window), Some(key)) = (q.op.deadline_window(now, sent_at, done_at), &key) {
                self.deadlines.entry(key.clone()).or_default().push(window);
                if self.config.hold_until_due {
                    self.near_deadlines += 1;
                    if self.near_deadlines % 2 == 1 {
                        self.parked.insert(key.clone());
                    }
                }
            }
            let from_server = expecteds.next();
            if key.as_ref().is_some_and(|k| tainted.contains(k)) {
                // An earlier command of this batch diverged on the key; it is reset below.
                continue;
            }
            let key_before = match (&mut self.reference, &key, q.kind) {
                (Reference::Model(model), Some(key), Kind::Generated) => {
                    model_key(&**model, key, now)
                }
                _ => KeyBefore::Unknown,
            };
            let expected = match &mut self.reference {
                Reference::Server(_) => from_server.expect("one reply per command"),
                Reference::Model(model) => model::tracked_reply(
                    &mut **model,
                    &argv,
                    &actual,
                    self.config,
                    &mut clock,
                    &mut self.alternatives,
                )?,
            };
            if let (false, Some(key)) = (in_order, &key) {
                key_floors.insert(key.clone(), clock.floor);
            }
            match q.kind {
                Kind::Generated => {
                    self.record_stats(&argv, &expected.reply);
                    let protocol = self.target.protocol();
                    let coverage = &mut self.report.coverage;
                    coverage.record(&argv, &expected.reply, protocol, now, key_before);
                }
                Kind::Reconcile => self.report.reconciled += 1,
            }
            let (reply, actual) = if q.scan {
                self.walk_scans(&argv, expected.reply, actual)?
            } else {
                (expected.reply, actual)
            };
            let policy = match q.kind {
                // Reconciling reads are compared only for what Redis promises.
                Kind::Reconcile => policy::policy(&argv, &context(false, margin), None),
                Kind::Generated => policy_with(&argv, expected.probe.as_ref(), self.config, margin),
            };
            self.report.compared += 1;
            self.report.compared_by_protocol[resp3] += 1;
            let sent = Sent {
                op: q.op,
                resolved_at: now,
                sent_at,
                done_at,
            };
            if let Err(mismatch) = compare(&reply, &actual, &policy, self.config.errors) {
                self.diverged(key.clone(), sent, argv, reply, actual, mismatch, policy);
                tainted.extend(key);
            } else if let Some(key) = key {
                let exists = match &mut self.reference {
                    Reference::Model(model) => model.peek(&key).is_some(),
                    Reference::Server(_) => true,
                };
                let window = self.windows.entry(key).or_default();
                // Only a DEL restarts the window. A key can be gone for the reference
                // and not for the target (a server that leaves an empty hash behind): the
                // commands that made it must stay to replay what follows.
                if exists || !sent.op.is("DEL") {
                    window.push(sent, self.config.window);
                } else {
                    window.restart();
                }
            }
            self.index += 1;
        }
        for key in tainted {
            self.reset_key(&key)?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn diverged(
        &mut self,
        key: Option<Vec<u8>>,
        sent: Sent,
        argv: Vec<Vec<u8>>,
        expected: Reply,
        actual: Reply,
        mismatch: Mismatch,
        policy: Policy,
    ) {
        let signature = signature(&argv, &expected, &actual, &mismatch);
        let class = Class::of(&expected, &actual);
        self.report.divergence_count += 1;
        let seen = self.report.kinds.entry(signature.clone()).or_insert(0);
        *seen += 1;
        if *seen > 1 || self.stopped() {
            return;
        }
        self.report.kind_classes.insert(signature.clone(), class);
        // Not stopped: there is room, or (keep_worst) a worse class may take a place.
        let max = self.config.max_divergences;
        let (mut window, complete) = match key.as_ref().and_then(|k| self.windows.get(k)) {
            Some(w) => (w.entries.iter().cloned().collect::<Vec<_>>(), w.complete),
            None => (Vec::new(), true),
        };
        let history = window.iter().map(Sent::argv).collect();
        window.push(sent);
        let found = Divergence {
            index: self.index,
            argv,
            expected,
            actual,
            mismatch,
            history,
            key,
            window,
            complete,
            policy,
            signature,
            class,
            protocol: self.target.protocol(),
        };
        rank::admit(&mut self.report.divergences, found, max);
    }

    /// Deletes `key` on both sides and forgets its past, so a divergence's consequences do
    /// not count again.
    pub(super) fn reset_key(&mut self, key: &[u8]) -> Result<(), TargetError> {
        let del = vec![b"DEL".to_vec(), key.to_vec()];
        self.target.call(&del)?;
        match &mut self.reference {
            Reference::Server(server) => server.call(&del)?,
            Reference::Model(model) => model.call(&del)?,
        };
        if let Some(window) = self.windows.get_mut(key) {
            window.restart();
        }
        self.deadlines.remove(key);
        self.alternatives.remove(key);
        Ok(())
    }

    pub(super) fn record_stats(&mut self, argv: &[Vec<u8>], reply: &Reply) {
        let resp3 = self.target.protocol() == Protocol::Resp3;
        let failed = reply.is_error();
        if let Some(row) = reference_engine::command::row(&argv[0]) {
            let options = |found: &mut dyn FnMut(&'static str)| for_each_option(argv, found);
            self.tallies.count(row, resp3, failed, options);
            return;
        }
        // Not in the engine's table (a name the generator misspelt on purpose).
        let name = String::from_utf8_lossy(&argv[0]).to_ascii_uppercase();
        let stats = self.report.per_command.entry(name).or_default();
        stats.calls += 1;
        stats.by_protocol[usize::from(resp3)] += 1;
        stats.errors += u64::from(failed);
    }
}

/// Moves each HSCAN after the batch's last other command on its key (as its key or as the
/// other key of RENAME or COPY); everything else keeps its order.
///
/// WHY: a command after an HSCAN on its key must wait for the walk, in a later round trip
/// ([`segments`]), and each round trip is a wait for the server. The order is the driver's
/// to choose: the target, the model and the key's window all see the order that is sent,
/// and an HSCAN later in its batch reads a state the generator could as well have drawn it
/// on. The deadline rules hold for a batch as a whole, so a command's place within its
/// batch does not matter to them. Two HSCANs on one key still end up next to each other,
/// and the second goes a round trip later.
pub(super) fn scans_last(batch: Vec<Queued>) -> Vec<Queued> {
    if !batch.iter().any(|q| q.scan) {
        return batch;
    }
    // Where each scan goes: after the last other command naming its key, if that comes
    // later. Not after a later scan: the scans on a key keep their order, so a scan put off
    // to the next batch (run_own_batch) goes first there.
    let mut last = KeyList::default();
    for (i, q) in batch.iter().enumerate().filter(|(_, q)| !q.scan) {
        for key in q.keys() {
            last.set(key, i);
        }
    }
    let after: Vec<Option<usize>> = batch
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let at = last.get(q.op.key().filter(|_| q.scan)?)?;
            (at > i).then_some(at)
        })
        .collect();
    drop(last);
    let mut out = Vec::with_capacity(batch.len());
    let mut waiting: Vec<(usize, Queued)> = Vec::new();
    for (i, (q, after)) in batch.into_iter().zip(after).enumerate() {
        if let Some(at) = after {
            waiting.push((at, q));
            continue;
        }
        out.push(q);
        // The scans waiting for this command, in their order.
        while let Some(w) = waiting.iter().position(|(at, _)| *at == i) {
            out.push(waiting.remove(w).1);
        }
    }
    debug_assert!(waiting.is_empty(), "every key's last command was seen");
    out
}

/// Splits a batch so that no command follows an HSCAN on a key it names (as its key or as
/// the other key of RENAME or COPY) in the HSCAN's segment. WHY: the target's walk goes on
/// after its whole segment has run, and must see the hash as the HSCAN did (a RENAME onto
/// the key in the same segment turned the walk's next page into WRONGTYPE against Redis
/// 8.2.3).
///
/// Each segment is a round trip, so a command goes in the earliest segment its keys allow:
/// after the segments of the commands before it on the same keys, and after the segment of
/// an HSCAN on one of them. Commands on other keys do not wait for it (cutting the whole
/// batch at each such command sent 256-command batches in four round trips). Each key's
/// commands keep their order, and so does each segment; a command with no key goes no
/// earlier than anything before it.
pub(super) fn segments(batch: Vec<Queued>) -> Vec<Vec<Queued>> {
    // The earliest segment each key's next command may go in.
    let mut earliest = KeyList::default();
    let mut latest = 0;
    let mut at: Vec<usize> = Vec::with_capacity(batch.len());
    for q in &batch {
        let segment = q
            .keys()
            .map(|key| earliest.get(key).unwrap_or(0))
            .max()
            .unwrap_or(latest);
        for key in q.keys() {
            earliest.set(key, segment + usize::from(q.scan));
        }
        latest = latest.max(segment);
        at.push(segment);
    }
    drop(earliest);
    let mut out: Vec<Vec<Queued>> = Vec::new();
    out.resize_with(latest + 1, Vec::new);
    for (q, segment) in batch.into_iter().zip(at) {
        out[segment].push(q);
    }
    out
}

/// A number per key name, for the few keys of one batch (a lane's pool): a list beats a
/// map there. Names are compared last byte first: a lane's keys share a long prefix
/// (`hc:fz:<run>:j<lane>:k0`...) and differ at the end, so most pairs differ there and no
/// byte-by-byte comparison of the prefix is needed.
#[derive(Default)]
struct KeyList<'a>(Vec<(&'a [u8], usize)>);

impl<'a> KeyList<'a> {
    fn get(&self, key: &[u8]) -> Option<usize> {
        self.0.iter().find(|(k, _)| same_key(k, key)).map(|e| e.1)
    }

    fn set(&mut self, key: &'a [u8], value: usize) {
        match self.0.iter_mut().find(|(k, _)| same_key(k, key)) {
            Some(entry) => entry.1 = value,
            None => self.0.push((key, value)),
        }
    }
}

fn same_key(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.last() == b.last() && a == b
}

/// What the model holds at `key` before a command runs at `now_ms` (for the coverage
/// map's missing-key and expired-field paths). WHY `now_ms` and not the model's clock: the
/// model's clock moves only when it answers, so it still shows the previous batch's time.
pub(super) fn model_key(model: &impl ReferenceEngine, key: &[u8], now_ms: i64) -> KeyBefore {
    match model.peek(key) {
        None => KeyBefore::Missing,
        Some(Value::Hash(hash)) => KeyBefore::Hash {
            expired_fields: hash.has_ttls() && hash.live_len(now_ms) < hash.len(),
        },
        Some(_) => KeyBefore::Other,
    }
}
