//! The differential driver: the same random commands to a reference and to a target, with
//! every pair of replies compared under the policy Redis's promises allow.
//!
//! Three things keep it free of false alarms without making it blind:
//! - **Deadlines.** Two servers never receive a command at the same instant, so no command
//!   touches a key while one of its announced deadlines is within `margin_ms` of now; the
//!   driver waits until the deadline has clearly passed instead. Expirations still happen,
//!   and are then observed on both sides.
//! - **Order.** Where the reference says the hash is a listpack (whose order Redis makes
//!   deterministic), order is compared strictly if `strict_order` is set; otherwise, and
//!   for hash tables, replies are compared as multisets of pairs.
//! - **Random replies.** HRANDFIELD is checked against the live contents of the hash, read
//!   from the reference just before; HSCAN is walked to the end on both sides and the walks
//!   are compared as sets.
//!
//! Commands go out in pipelined batches; a batch ends after any HSCAN, whose walk must see
//! the hash as it was.

use std::collections::HashMap;
use std::time::Duration;

use reference_engine::{Clock, Reply, SystemClock};

use crate::compare::{compare, ErrorMatch, Mismatch, Policy};
use crate::gen::{Generator, Op};
use crate::target::{EmbeddedTarget, Target, TargetError};

/// Settings of a differential run.
#[derive(Debug, Clone)]
pub struct DiffConfig {
    /// How many generated commands to compare.
    pub ops: usize,
    /// Commands per pipelined batch.
    pub batch: usize,
    /// How far from a deadline an observation must stay, in ms.
    pub margin_ms: i64,
    /// Compare the order of listpack replies strictly (reference and target both Redis-like).
    pub strict_order: bool,
    pub errors: ErrorMatch,
    /// Stop after this many divergences.
    pub max_divergences: usize,
}

impl Default for DiffConfig {
    fn default() -> Self {
        Self {
            ops: 10_000,
            batch: 64,
            margin_ms: 40,
            strict_order: true,
            errors: ErrorMatch::Exact,
            max_divergences: 10,
        }
    }
}

/// One command whose replies differed.
#[derive(Debug, Clone)]
pub struct Divergence {
    /// Position in the run (0-based).
    pub index: usize,
    pub argv: Vec<Vec<u8>>,
    pub expected: Reply,
    pub actual: Reply,
    pub mismatch: Mismatch,
    /// Every command sent before this one, as sent, for reproduction and shrinking.
    pub history: Vec<Vec<Vec<u8>>>,
}

/// Per-command counts, so a generator that never reaches a success path shows.
#[derive(Debug, Clone, Default)]
pub struct CommandStats {
    pub calls: u64,
    pub errors: u64,
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct DiffReport {
    pub compared: usize,
    pub divergences: Vec<Divergence>,
    pub per_command: std::collections::BTreeMap<String, CommandStats>,
    /// Deadlines that passed during the run (expirations that really happened).
    pub deadlines_passed: usize,
    /// Time spent waiting for deadlines to pass, in ms.
    pub waited_ms: u64,
}

/// What the target is compared with.
pub enum Reference<'a> {
    /// Another server, typically `hashcheck serve` (so the wire path is checked too). The
    /// engine reclaims expired fields only lazily, so the target must not reclaim them in
    /// the background either: run it with `DEBUG SET-ACTIVE-EXPIRE 0`.
    Server(&'a mut dyn Target),
    /// The engine in process, with its clock following the wall clock. It can also model
    /// Redis's background expiry having run, so it compares fairly with a target whose
    /// background expiry is on (another team's server, where DEBUG is not allowed).
    Model(&'a mut EmbeddedTarget),
}

/// Runs `config.ops` generated commands against the reference and the target.
pub fn run<'a>(
    reference: Reference<'a>,
    target: &'a mut dyn Target,
    gen: &mut Generator,
    config: &'a DiffConfig,
) -> Result<DiffReport, TargetError> {
    let mut driver = Driver {
        reference,
        target,
        config,
        clock: SystemClock,
        deadlines: HashMap::new(),
        history: Vec::new(),
        report: DiffReport::default(),
    };
    let mut pending: Vec<Op> = Vec::new();
    for _ in 0..config.ops {
        let op = gen.next_op();
        let ends_batch = op.name() == "HSCAN";
        pending.push(op);
        if ends_batch || pending.len() >= config.batch {
            driver.run_batch(std::mem::take(&mut pending))?;
            if driver.report.divergences.len() >= config.max_divergences {
                return Ok(driver.report);
            }
        }
    }
    driver.run_batch(pending)?;
    Ok(driver.report)
}

/// Runs the given commands (a fuzz input's, a shrunk sequence) instead of generated ones,
/// batched and compared as [`run`] does; `config.ops` is ignored.
pub fn run_ops<'a>(
    reference: Reference<'a>,
    target: &'a mut dyn Target,
    ops: Vec<Op>,
    config: &'a DiffConfig,
) -> Result<DiffReport, TargetError> {
    let mut driver = Driver {
        reference,
        target,
        config,
        clock: SystemClock,
        deadlines: HashMap::new(),
        history: Vec::new(),
        report: DiffReport::default(),
    };
    let mut pending: Vec<Op> = Vec::new();
    for op in ops {
        let ends_batch = op.name() == "HSCAN";
        pending.push(op);
        if ends_batch || pending.len() >= config.batch {
            driver.run_batch(std::mem::take(&mut pending))?;
            if driver.report.divergences.len() >= config.max_divergences {
                return Ok(driver.report);
            }
        }
    }
    driver.run_batch(pending)?;
    Ok(driver.report)
}

struct Driver<'a> {
    reference: Reference<'a>,
    target: &'a mut dyn Target,
    config: &'a DiffConfig,
    clock: SystemClock,
    /// Per key, the windows (earliest, latest due time) of deadlines that may be pending.
    deadlines: HashMap<Vec<u8>, Vec<(i64, i64)>>,
    history: Vec<Vec<Vec<u8>>>,
    report: DiffReport,
}

/// What the reference must be asked before a command so its reply can be judged.
#[derive(Clone, Copy)]
enum Probe {
    None,
    /// HRANDFIELD: the live contents.
    Contents,
    /// HGETALL/HKEYS/HVALS: the encoding, which says whether order is defined.
    Encoding,
}

impl Probe {
    fn needed(self) -> bool {
        !matches!(self, Probe::None)
    }

    fn command(self, argv: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
        let key = argv.get(1).cloned().unwrap_or_default();
        match self {
            Probe::None => None,
            Probe::Contents => Some(vec![b"HGETALL".to_vec(), key]),
            Probe::Encoding => Some(vec![b"OBJECT".to_vec(), b"ENCODING".to_vec(), key]),
        }
    }
}

/// The reference's side of one command: what it replied, and what its probe said.
struct Expected {
    probe: Option<Reply>,
    reply: Reply,
}

impl Driver<'_> {
    fn run_batch(&mut self, ops: Vec<Op>) -> Result<(), TargetError> {
        if ops.is_empty() {
            return Ok(());
        }
        self.wait_for_deadlines(&ops);
        let now = self.clock.now_ms();
        let argvs: Vec<Vec<Vec<u8>>> = ops.iter().map(|op| op.resolve(now)).collect();

        let sent_at = self.clock.now_ms();
        let actuals = self.target.call_batch(&argvs)?;
        let done_at = self.clock.now_ms();
        let expecteds = match &mut self.reference {
            Reference::Server(server) => server_replies(&mut **server, &argvs)?,
            // The model answers after the target, at the time the target was sent the batch.
            Reference::Model(model) => {
                model.manual_clock().set(sent_at);
                Vec::new()
            }
        };
        let mut expecteds = expecteds.into_iter();

        for ((op, argv), actual) in ops.iter().zip(&argvs).zip(actuals) {
            if let (Some(offset), Some(key)) = (op.deadline_in_ms, op.key()) {
                let window = (sent_at + offset, done_at + offset);
                self.deadlines.entry(key.to_vec()).or_default().push(window);
            }
            let expected = match &mut self.reference {
                Reference::Server(_) => expecteds.next().expect("one reply per command"),
                Reference::Model(model) => model_reply(model, argv, &actual, self.config)?,
            };
            self.record_stats(argv, &expected.reply);
            let (reply, actual) = if is_scan(argv) {
                self.walk_scans(argv, expected.reply, actual)?
            } else {
                (expected.reply, actual)
            };
            let policy = policy(argv, expected.probe.as_ref(), self.config);
            self.report.compared += 1;
            if let Err(mismatch) = compare(&reply, &actual, &policy, self.config.errors) {
                self.report.divergences.push(Divergence {
                    index: self.history.len(),
                    argv: argv.clone(),
                    expected: reply,
                    actual,
                    mismatch,
                    history: self.history.clone(),
                });
            }
            self.history.push(argv.clone());
        }
        Ok(())
    }

    /// Sleeps until no key in `ops` has a deadline within the margin of now.
    fn wait_for_deadlines(&mut self, ops: &[Op]) {
        let margin = self.config.margin_ms;
        loop {
            let now = self.clock.now_ms();
            // Forget deadlines that have clearly passed.
            for windows in self.deadlines.values_mut() {
                let before = windows.len();
                windows.retain(|(_, latest)| *latest + margin >= now);
                self.report.deadlines_passed += before - windows.len();
            }
            // The batch takes time too: a deadline due while it runs counts as near.
            let wake = ops
                .iter()
                .filter_map(|op| op.key())
                .filter_map(|key| self.deadlines.get(key))
                .flatten()
                .filter(|(earliest, _)| *earliest - margin <= now + margin)
                .map(|(_, latest)| latest + margin + 1)
                .max();
            match wake {
                Some(at) if at > now => {
                    let ms = (at - now) as u64;
                    self.report.waited_ms += ms;
                    std::thread::sleep(Duration::from_millis(ms));
                }
                _ => return,
            }
        }
    }

    fn record_stats(&mut self, argv: &[Vec<u8>], reply: &Reply) {
        let name = String::from_utf8_lossy(&argv[0]).to_ascii_uppercase();
        let stats = self.report.per_command.entry(name).or_default();
        stats.calls += 1;
        stats.errors += u64::from(reply.is_error());
    }

    /// Continues both HSCANs to the end and returns each side's walk as one reply:
    /// `[cursor "0", all elements]`.
    ///
    /// A walk that starts from a cursor other than 0 starts wherever that cursor points
    /// in each server's own table, so its pages are not comparable. Redis only promises
    /// that what a scan returns was in the hash: the target's walk is then checked
    /// against the reference's walk from 0 as a subset (see `subset_of`).
    fn walk_scans(
        &mut self,
        argv: &[Vec<u8>],
        expected: Reply,
        actual: Reply,
    ) -> Result<(Reply, Reply), TargetError> {
        let reference: &mut dyn Target = match &mut self.reference {
            Reference::Server(server) => &mut **server,
            Reference::Model(model) => &mut **model,
        };
        if argv.get(2).map(Vec::as_slice) == Some(b"0") {
            let e = walk(reference, argv, expected)?;
            let a = walk(&mut *self.target, argv, actual)?;
            return Ok((e, a));
        }
        if expected.is_error() || actual.is_error() {
            return Ok((expected, actual));
        }
        let mut from_zero = argv.to_vec();
        from_zero[2] = b"0".to_vec();
        let first = reference.call(&from_zero)?;
        let all = walk(reference, &from_zero, first)?;
        let a = walk(&mut *self.target, argv, actual)?;
        Ok((all.clone(), subset_of(&all, a)))
    }
}

/// The reference server's replies to a batch, each command preceded by its probe.
fn server_replies(
    server: &mut dyn Target,
    argvs: &[Vec<Vec<u8>>],
) -> Result<Vec<Expected>, TargetError> {
    let mut batch = Vec::new();
    let probes: Vec<Probe> = argvs.iter().map(|a| probe_for(a)).collect();
    for (argv, probe) in argvs.iter().zip(&probes) {
        batch.extend(probe.command(argv));
        batch.push(argv.clone());
    }
    let mut replies = server.call_batch(&batch)?.into_iter();
    let mut out = Vec::new();
    for probe in probes {
        let probe = if probe.needed() { replies.next() } else { None };
        let reply = replies.next().unwrap_or(Reply::Null);
        out.push(Expected { probe, reply });
    }
    Ok(out)
}

/// The model's reply to one command. If it differs from the target's while the key holds
/// expired fields, the target's background expiry may have reclaimed them first: the
/// model then answers again from that state, and keeps whichever state explains the
/// target's reply (the lazy one when neither does, so the divergence is reported).
fn model_reply(
    model: &mut EmbeddedTarget,
    argv: &[Vec<u8>],
    actual: &Reply,
    config: &DiffConfig,
) -> Result<Expected, TargetError> {
    let probe = probe_for(argv);
    let key = argv.get(1).cloned().unwrap_or_default();
    let before = model.engine_mut().keyspace(0).get(&key).cloned();
    let ambiguous = model.engine_mut().has_expired_fields(0, &key);
    let probe_reply = probe.command(argv).map(|p| model.call(&p)).transpose()?;
    let reply = model.call(argv)?;
    let expected = Expected {
        probe: probe_reply,
        reply,
    };
    if !ambiguous || agrees(&expected, argv, actual, config) {
        return Ok(expected);
    }
    let after_lazy = model.engine_mut().keyspace(0).get(&key).cloned();
    restore(model, &key, before);
    model.engine_mut().reclaim_expired(0, &key);
    let probe_reply = probe.command(argv).map(|p| model.call(&p)).transpose()?;
    let reply = model.call(argv)?;
    let reclaimed = Expected {
        probe: probe_reply,
        reply,
    };
    if agrees(&reclaimed, argv, actual, config) {
        return Ok(reclaimed);
    }
    restore(model, &key, after_lazy);
    Ok(expected)
}

fn agrees(expected: &Expected, argv: &[Vec<u8>], actual: &Reply, config: &DiffConfig) -> bool {
    // Scans are judged after their walks; a first page that agrees is good enough here.
    let policy = policy(argv, expected.probe.as_ref(), config);
    compare(&expected.reply, actual, &policy, config.errors).is_ok()
}

fn restore(
    model: &mut EmbeddedTarget,
    key: &[u8],
    value: Option<reference_engine::keyspace::Value>,
) {
    let keyspace = model.engine_mut().keyspace_mut(0);
    match value {
        Some(v) => keyspace.insert(key, v),
        None => {
            keyspace.remove(key);
        }
    }
}

/// The comparison policy for a command, from what Redis promises about its reply.
fn policy(argv: &[Vec<u8>], probe: Option<&Reply>, config: &DiffConfig) -> Policy {
    let name = String::from_utf8_lossy(&argv[0]).to_ascii_uppercase();
    match name.as_str() {
        "HGETALL" | "HKEYS" | "HVALS" => {
            // Only a plain listpack: in a listpackex, fields with a TTL are ordered by
            // deadline, and relative TTLs sent a millisecond apart to two servers can tie on
            // one and not on the other. The cases check that order where it is certain.
            let ordered = matches!(probe, Some(Reply::Bulk(e)) if e == b"listpack");
            if ordered && config.strict_order {
                Policy::Exact
            } else {
                Policy::Unordered {
                    pairs: name == "HGETALL",
                }
            }
        }
        "HSCAN" => {
            let novalues = argv
                .iter()
                .skip(3)
                .any(|a| a.eq_ignore_ascii_case(b"NOVALUES"));
            Policy::Scan { novalues }
        }
        "HRANDFIELD" => {
            let count = argv
                .get(2)
                .and_then(|c| std::str::from_utf8(c).ok()?.parse().ok());
            let with_values = argv.len() > 3;
            Policy::RandomPick {
                count,
                with_values,
                hash: contents(probe),
            }
        }
        "HTTL" | "HEXPIRETIME" => Policy::TtlWithin { tolerance: 1 },
        "HPTTL" | "HPEXPIRETIME" => Policy::TtlWithin {
            tolerance: config.margin_ms,
        },
        _ => Policy::Exact,
    }
}

fn probe_for(argv: &[Vec<u8>]) -> Probe {
    let name = String::from_utf8_lossy(&argv[0]).to_ascii_uppercase();
    match name.as_str() {
        "HRANDFIELD" => Probe::Contents,
        "HGETALL" | "HKEYS" | "HVALS" => Probe::Encoding,
        _ => Probe::None,
    }
}

fn is_scan(argv: &[Vec<u8>]) -> bool {
    argv[0].eq_ignore_ascii_case(b"HSCAN")
}

/// The live (field, value) pairs from an HGETALL reply in either protocol.
fn contents(reply: Option<&Reply>) -> Vec<(Vec<u8>, Vec<u8>)> {
    let bulk = |r: &Reply| match r {
        Reply::Bulk(b) => b.clone(),
        _ => Vec::new(),
    };
    match reply {
        Some(Reply::Map(pairs)) => pairs.iter().map(|(k, v)| (bulk(k), bulk(v))).collect(),
        Some(Reply::Array(items)) => items
            .chunks(2)
            .map(|c| (bulk(&c[0]), bulk(&c[1])))
            .collect(),
        _ => Vec::new(),
    }
}

/// `walk` itself if every element pair of the scan `walk` is also in the scan `all`;
/// otherwise `walk` unchanged, so that the comparison reports it.
fn subset_of(all: &Reply, walk: Reply) -> Reply {
    let items = |r: &Reply| match r {
        Reply::Array(p) => match p.as_slice() {
            [_, Reply::Array(items)] => Some(items.clone()),
            _ => None,
        },
        _ => None,
    };
    match (items(all), items(&walk)) {
        // Elements are compared one by one: fields and values are both bulk strings, and
        // a value that is not in the hash at all cannot pass.
        (Some(all_items), Some(walk_items)) if walk_items.iter().all(|i| all_items.contains(i)) => {
            all.clone()
        }
        _ => walk,
    }
}

/// Follows an HSCAN from its first reply until the cursor is "0" (at most 10,000 calls),
/// gathering the elements. The result has the shape of a one-page scan.
fn walk(target: &mut dyn Target, argv: &[Vec<u8>], first: Reply) -> Result<Reply, TargetError> {
    let mut elements = Vec::new();
    let mut reply = first;
    for _ in 0..10_000 {
        let Reply::Array(parts) = &reply else {
            return Ok(reply);
        };
        let [Reply::Bulk(cursor), Reply::Array(items)] = parts.as_slice() else {
            return Ok(reply);
        };
        elements.extend(items.iter().cloned());
        if cursor == b"0" {
            return Ok(Reply::Array(vec![Reply::bulk("0"), Reply::Array(elements)]));
        }
        let mut next = argv.to_vec();
        next[2] = cursor.clone();
        reply = target.call(&next)?;
    }
    Ok(Reply::Error(
        "ERR hashcheck: HSCAN did not finish in 10000 calls".into(),
    ))
}
