//! The differential driver: the same random commands to a reference and to a target, with
//! every pair of replies compared under the policy Redis's promises allow.
//!
//! Four things keep it free of false alarms without making it blind or slow:
//! - **Deadlines.** Two servers never receive a command at the same instant, so no command
//!   touches a key while one of its announced deadlines is within the margin of now (at
//!   least `margin_ms`, more while batches run slowly). With another server as the
//!   reference, GT/LT (which compare a new deadline with the pending one) also wait until
//!   the key's near deadlines have passed; the model instead accepts either outcome of a
//!   comparison that timing decides. Such commands are *held*, in order, while commands on
//!   other keys go on; the driver sleeps only when too many are held, or at the end.
//!   Expirations still happen, and are then observed on both sides.
//! - **Timing the reference cannot see.** With the in-process engine as the reference
//!   ([`Reference::Model`]), a reply that depends on when the target ran the command, or on
//!   whether its background expiry had run, is accepted if the engine gives the same reply
//!   under one of those timings (see `model.rs`).
//! - **Order.** Where the reference says the hash is a plain listpack (whose order Redis
//!   makes deterministic), order is compared strictly if `strict_order` is set; otherwise,
//!   and for hash tables, replies are compared as multisets of pairs.
//! - **Random replies.** HRANDFIELD is checked against the live contents of the hash, read
//!   from the reference just before; HSCAN is walked to the end on both sides and the walks
//!   are compared as sets.
//!
//! Every `reconcile_every` commands, and at the end, the state itself is compared: TYPE and
//! HGETALL of every key the run used, on both sides (HGETALL neither reclaims nor changes
//! deadlines, and it goes through the same deadline rules as any other command).
//!
//! Commands go out in pipelined batches. An HSCAN's walk continues after its round trip, so
//! no later command of that round trip may touch its key: each HSCAN moves after its key's
//! last command in the batch, and a command that must still follow one goes in a later
//! round trip, with the commands after it on its keys (see `segment.rs`).
//!
//! After a divergence the key is deleted on both sides, so one difference does not drown
//! the rest of the run in consequences; each kind of divergence is kept once, with the
//! key's recent commands (see `window.rs`), for shrinking.

use std::collections::{HashMap, HashSet, VecDeque};

use reference_engine::command::grammar::Shape;
use reference_engine::command::lookup;
use reference_engine::hash::FixedState;
use reference_engine::{Protocol, Reply, SystemClock};

pub(crate) use crate::compare::policy::Probe;
use crate::compare::policy::{Context, Source};
use crate::compare::{self, ErrorMatch, Mismatch, Policy};
use crate::fuzz::gen::{Arg, Generator, Op};
use crate::fuzz::model::Alternatives;
use crate::targets::{ClockKind, EmbeddedTarget, Target, TargetError};

mod diff_report;
mod hold;
mod judge;
pub mod rank;
pub mod rerun;
mod scan;
mod segment;
mod signature;
#[cfg(test)]
mod tests;
mod window;

pub use diff_report::{CommandStats, DiffReport, OptionStats};
pub use rank::Class;
pub(crate) use scan::walk;
pub use signature::signature;
pub use window::Sent;
use window::Window;

/// Settings of a differential run.
#[derive(Debug, Clone)]
pub struct DiffConfig {
    /// How many generated commands to compare ([`run`]).
    pub ops: usize,
    /// Commands per pipelined batch.
    pub batch: usize,
    /// How far from a deadline an observation must stay, in ms.
    pub margin_ms: i64,
    /// Compare the order of listpack replies strictly (reference and target both Redis-like).
    pub strict_order: bool,
    pub errors: ErrorMatch,
    /// Keep this many distinct kinds of divergence: the first ones found, or with
    /// `keep_worst` the worst-ranked ones.
    pub max_divergences: usize,
    /// Rank kinds of divergence by [`Class`] and keep the worst (see `rank.rs`); the run
    /// then stops early only once every kept kind is a wrong value. Without it the run
    /// stops at the first `max_divergences` kinds (a replay wants the first one).
    pub keep_worst: bool,
    /// The target may reclaim expired fields in the background (the model then accepts
    /// both states where that decides a reply). False when its active expiry is frozen.
    pub background_expiry: bool,
    /// Compare the state of every key after this many commands (and at the end).
    pub reconcile_every: Option<usize>,
    /// Commands remembered per key for replaying a divergence.
    pub window: usize,
    /// Commands held back for keys near a deadline before the driver sleeps instead.
    pub max_held: usize,
    /// For every other near deadline, hold every command on its key from the moment it is
    /// set until it has passed, not just around it. WHY: at a fast target's pace a key sees
    /// thousands of commands (DELs, overwrites) in the few hundred ms before its deadline,
    /// so the field never lives to expire and no command ever meets an expired field (lazy
    /// expiry). Parked, the key's next commands all run after the deadline, in order. The
    /// other deadlines are held only around them, so commands still read a pending near
    /// deadline (a TTL under a second or two, GT/LT against it).
    pub hold_until_due: bool,
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
            keep_worst: false,
            background_expiry: true,
            reconcile_every: Some(5_000),
            window: 4_096,
            max_held: 20_000,
            hold_until_due: false,
        }
    }
}

/// One command whose replies differed.
#[derive(Debug, Clone)]
pub struct Divergence {
    /// Position in the run (0-based, counting every command compared).
    pub index: usize,
    pub argv: Vec<Vec<u8>>,
    pub expected: Reply,
    pub actual: Reply,
    pub mismatch: Mismatch,
    /// The commands sent on the same key before this one, as sent (the retained window).
    pub history: Vec<Vec<Vec<u8>>>,
    /// The key the command was on, if it had one.
    pub key: Option<Vec<u8>>,
    /// The window with times, this command last: what shrinking replays.
    pub window: Vec<Sent>,
    /// Whether the window starts from a key that did not exist.
    pub complete: bool,
    /// How the replies were compared.
    pub policy: Policy,
    /// The kind of divergence (command, reason, reply kinds), for counting repeats.
    pub signature: String,
    /// How bad it is (see [`Class`]).
    pub class: Class,
    /// The protocol the command was compared in.
    pub protocol: Protocol,
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
    let mut differ = Differ::new(reference, target, config);
    for generated in 0..config.ops {
        if generated % 16 == 0 {
            differ.steer(gen);
        }
        differ.push(gen.next_op())?;
        if differ.stopped() {
            return Ok(differ.into_report());
        }
    }
    differ.finish()?;
    Ok(differ.into_report())
}

/// Runs the given commands (a fuzz input's, a shrunk sequence) instead of generated ones,
/// batched and compared as [`run`] does; `config.ops` is ignored.
pub fn run_ops<'a>(
    reference: Reference<'a>,
    target: &'a mut dyn Target,
    ops: impl IntoIterator<Item = Op>,
    config: &'a DiffConfig,
) -> Result<DiffReport, TargetError> {
    let mut differ = Differ::new(reference, target, config);
    for op in ops {
        differ.push(op)?;
        if differ.stopped() {
            return Ok(differ.into_report());
        }
    }
    differ.finish()?;
    Ok(differ.into_report())
}

/// Why a command is in the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Generated,
    /// A state reconciliation read.
    Reconcile,
}

struct Queued {
    op: Op,
    kind: Kind,
    /// What the command table says of it, looked up once (batching asks several times per
    /// command, and the lookups were 4% of a pinned run): whether its reply is a scan
    /// page, and where its second key is (RENAME, COPY).
    scan: bool,
    second_at: Option<usize>,
}

impl Queued {
    fn new(op: Op, kind: Kind) -> Self {
        let scan = match op.args.first() {
            Some(Arg::Bytes(name)) => {
                compare::policy::reply_of_name(name) == reference_engine::command::ReplyPolicy::Scan
            }
            _ => false,
        };
        let second_at = op.second_key_at();
        Self {
            op,
            kind,
            scan,
            second_at,
        }
    }

    /// The keys it names: its own, and the second of RENAME or COPY.
    fn keys(&self) -> impl Iterator<Item = &[u8]> {
        let second = self.second_at.and_then(|at| match self.op.args.get(at) {
            Some(Arg::Bytes(b)) => Some(b.as_slice()),
            _ => None,
        });
        self.op.key().into_iter().chain(second)
    }
}

/// The driver, for callers that feed it commands themselves (a fuzz run against the clock).
pub struct Differ<'a> {
    reference: Reference<'a>,
    target: &'a mut dyn Target,
    config: &'a DiffConfig,
    clock: SystemClock,
    /// Per key, the windows (earliest, latest due time) of deadlines that may be pending.
    deadlines: KeyMap<Vec<(i64, i64)>>,
    windows: KeyMap<Window>,
    /// Every key seen, for reconciliation (bounded: a run uses a small pool).
    keys: KeySet,
    pending: Vec<Queued>,
    /// Commands waiting for a deadline on their key to pass, in order per key.
    held: KeyMap<VecDeque<Queued>>,
    held_count: usize,
    since_reconcile: usize,
    /// Commands compared so far.
    index: usize,
    /// A recent batch's duration in ms, decaying: how long the target may take to run one.
    recent_batch_ms: i64,
    /// GT/LT wait for the key's pending deadlines (a server reference cannot weigh both
    /// outcomes of a tie the way the model does).
    gt_lt_wait: bool,
    /// Keys parked until their near deadlines have passed ([`DiffConfig::hold_until_due`]).
    parked: KeySet,
    /// Near deadlines registered so far (every other one parks its key).
    near_deadlines: u64,
    /// Keys of commands queued since the last batch that may set a near deadline: not yet
    /// in `deadlines` ([`Differ::busy_keys`]).
    queued_deadlines: KeySet,
    /// Second possible states of keys, that the model follows until a reply decides.
    alternatives: Alternatives,
    report: DiffReport,
    /// Per-command counts, added to `report` when it is taken.
    tallies: diff_report::Tallies,
}

/// Maps and sets of key names, hashed as the engine hashes its keys: with the standard
/// SipHash, hashing keys took ~5% of a fuzz run's instructions.
pub(crate) type KeyMap<V> = HashMap<Vec<u8>, V, FixedState>;
type KeySet = HashSet<Vec<u8>, FixedState>;

/// How many keys a run reconciles at most.
const MAX_KEYS: usize = 4_096;

impl<'a> Differ<'a> {
    pub fn new(
        reference: Reference<'a>,
        target: &'a mut dyn Target,
        config: &'a DiffConfig,
    ) -> Self {
        let gt_lt_wait = matches!(reference, Reference::Server(_));
        Self {
            reference,
            target,
            config,
            clock: SystemClock,
            deadlines: KeyMap::default(),
            windows: KeyMap::default(),
            keys: KeySet::default(),
            pending: Vec::new(),
            held: KeyMap::default(),
            held_count: 0,
            since_reconcile: 0,
            index: 0,
            recent_batch_ms: 0,
            gt_lt_wait,
            parked: KeySet::default(),
            near_deadlines: 0,
            queued_deadlines: KeySet::default(),
            alternatives: Alternatives::default(),
            report: DiffReport::default(),
            tallies: diff_report::Tallies::default(),
        }
    }

    /// Queues a generated command; a full batch is sent.
    pub fn push(&mut self, op: Op) -> Result<(), TargetError> {
        self.queue(op, Kind::Generated)?;
        if let Some(every) = self.config.reconcile_every {
            self.since_reconcile += 1;
            if self.since_reconcile >= every.max(1) {
                self.since_reconcile = 0;
                self.queue_reconcile()?;
            }
        }
        Ok(())
    }

    /// Whether the run found as many kinds of divergence as it may keep.
    pub fn stopped(&self) -> bool {
        let kept = &self.report.divergences;
        let max = self.config.max_divergences.max(1);
        if self.config.keep_worst {
            rank::full(kept, max)
        } else {
            kept.len() >= max
        }
    }

    /// Whether as many kinds of divergence are kept as may be (with `keep_worst`, a worse
    /// kind may still take a place).
    pub fn budget_full(&self) -> bool {
        self.report.divergences.len() >= self.config.max_divergences.max(1)
    }

    /// The protocol the target is spoken to in now.
    pub fn protocol(&self) -> Protocol {
        self.target.protocol()
    }

    /// Switches both sides to `protocol` (HELLO) between batches: commands queued or held
    /// go out in it, on both sides alike.
    pub fn switch_protocol(&mut self, protocol: Protocol) -> Result<(), TargetError> {
        crate::targets::switch_protocol(&mut *self.target, protocol)?;
        match &mut self.reference {
            Reference::Server(server) => crate::targets::switch_protocol(&mut **server, protocol),
            Reference::Model(model) => crate::targets::switch_protocol(&mut **model, protocol),
        }
    }

    /// Sends everything queued and held (sleeping for deadlines as needed), then compares
    /// the state of every key.
    pub fn finish(&mut self) -> Result<(), TargetError> {
        self.drain()?;
        if self.config.reconcile_every.is_some() && !self.stopped() {
            // The last word on expiry: the state once every deadline set has passed.
            self.sleep_until_deadlines_pass();
            self.queue_reconcile()?;
            self.drain()?;
        }
        Ok(())
    }

    /// The report so far, for progress: its `per_command` fills when it is taken
    /// ([`Differ::into_report`]).
    pub fn report(&self) -> &DiffReport {
        &self.report
    }

    pub fn into_report(mut self) -> DiffReport {
        self.tallies.drain_into(&mut self.report.per_command);
        self.report
    }

    /// How far from a deadline an observation stays: the configured margin, or three
    /// recent batch durations if batches run slowly (the margin must cover how long the
    /// target may take to run a command).
    fn margin(&self) -> i64 {
        self.config.margin_ms.max(3 * self.recent_batch_ms)
    }

    /// Keys whose commands are held now, or would be: those parked until a near deadline
    /// has passed, and those with commands held.
    pub fn parked_keys(&self) -> Vec<&[u8]> {
        self.parked
            .iter()
            .chain(self.held.keys().filter(|k| !self.parked.contains(*k)))
            .map(Vec::as_slice)
            .collect()
    }

    /// Tells `gen` which keys to keep off: no new commands for keys that would only be held
    /// (they would stall the run), no command on two keys for a key with a deadline pending.
    /// Cheap enough for every few commands, not every one.
    pub fn steer(&self, gen: &mut Generator) {
        gen.avoid_keys(self.parked_keys());
        gen.busy_keys(self.busy_keys());
    }

    /// Keys where a command on two keys would be held (see `hold.rs`): a deadline may be
    /// pending on them, or is queued to be set, or commands on them are held.
    pub fn busy_keys(&self) -> impl Iterator<Item = &[u8]> {
        self.deadlines
            .keys()
            .chain(&self.queued_deadlines)
            .chain(self.held.keys())
            .map(Vec::as_slice)
    }

    /// Commands queued or held but not yet sent.
    pub fn backlog(&self) -> usize {
        self.pending.len() + self.held_count
    }

    /// Sends `ops` as one pipelined batch now, with no deadline rules (a replay follows a
    /// schedule of its own).
    pub fn send_now(&mut self, ops: Vec<Op>) -> Result<(), TargetError> {
        let batch = ops
            .into_iter()
            .map(|op| Queued::new(op, Kind::Generated))
            .collect();
        self.run_batch(batch)
    }

    fn queue(&mut self, op: Op, kind: Kind) -> Result<(), TargetError> {
        if let Some(key) = op.key() {
            if self.keys.len() < MAX_KEYS && !self.keys.contains(key) {
                self.keys.insert(key.to_vec());
            }
        }
        if let (Some(key), Some(_)) = (op.key(), op.deadline_in_ms) {
            self.queued_deadlines.insert(key.to_vec());
        }
        let ends_batch = self.pending.len() + 1 >= self.config.batch.max(1);
        self.pending.push(Queued::new(op, kind));
        if ends_batch {
            self.flush(false)?;
        }
        Ok(())
    }

    fn queue_reconcile(&mut self) -> Result<(), TargetError> {
        let mut keys: Vec<Vec<u8>> = self.keys.iter().cloned().collect();
        // In name order, as a run reads best and replays the same way.
        keys.sort_unstable();
        for key in keys {
            self.queue(Op::words(&[b"TYPE", &key]), Kind::Reconcile)?;
            let contents = compare::policy::contents_command();
            self.queue(Op::words(&[contents, &key]), Kind::Reconcile)?;
        }
        Ok(())
    }
}

/// The comparison policy for a generated command (see `compare::policy`).
pub fn policy(argv: &[Vec<u8>], probe: Option<&Reply>, config: &DiffConfig) -> Policy {
    policy_with(argv, probe, config, config.margin_ms)
}

/// [`policy`], with millisecond TTL readings allowed to differ by `margin`.
fn policy_with(
    argv: &[Vec<u8>],
    probe: Option<&Reply>,
    config: &DiffConfig,
    margin: i64,
) -> Policy {
    compare::policy::policy(argv, &context(config.strict_order, margin), probe)
}

/// How the fuzzer judges: its commands are generated, on the wall clock.
fn context(strict: bool, margin: i64) -> Context {
    Context {
        strict,
        clock: ClockKind::Real,
        margin_ms: margin,
        source: Source::Generated,
    }
}

/// Whether `op` is an HEXPIRE-family command with GT or LT setting a near deadline, whose
/// outcome depends on how it compares with a pending near one. (A far or past time, or a
/// pending far deadline, compares the same way whenever each server ran the command.)
fn compares_deadlines(op: &Op) -> bool {
    if op.deadline_in_ms.is_none() {
        return false;
    }
    // The commands that set a deadline from a time argument and take GT/LT.
    let Some(Arg::Bytes(name)) = op.args.first() else {
        return false;
    };
    let expire = lookup(name)
        .and_then(|spec| spec.grammar)
        .is_some_and(|g| matches!(g.shape, Shape::Expire(_)));
    expire
        && op.args.iter().any(|a| {
            matches!(a, Arg::Bytes(b)
                if b.eq_ignore_ascii_case(b"GT") || b.eq_ignore_ascii_case(b"LT"))
        })
}

/// What the reference is asked before a generated command.
pub(crate) fn probe_for(argv: &[Vec<u8>]) -> Probe {
    // A generated command's probe depends on the command alone.
    compare::policy::probe_for(argv, &context(false, 0))
}
