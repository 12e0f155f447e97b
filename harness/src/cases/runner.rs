//! Running one case against one target, in the target's protocol.
//!
//! A case runs from an empty set of keys: every key a step names is rewritten under a
//! prefix of its own (`hc:<run-id>:<n>:`, see [`keys`]), and afterwards exactly those keys
//! are deleted, so cases can run side by side on a shared server without touching anyone's
//! data. Outcomes are values: a mismatch is a [`Failure`] with its location, and a broken
//! connection stops the case as [`Outcome::Aborted`], naming the step; neither is a Rust
//! error. [`suite`] runs many cases on many connections at once; [`bless`] writes observed
//! replies back into case files.
//!
//! What each step needs from the target beyond the command itself:
//! - `{unix_s}`/`{unix_ms}` arguments and expectations read the target's clock
//!   ([`Target::now_ms`]);
//! - HRANDFIELD is checked against the hash's contents, read with HGETALL just before;
//! - HSCAN from cursor 0 is walked to the end and the union compared;
//! - TTL readings get a tolerance, wider on a real clock than on the engine's virtual one.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use reference_engine::{Protocol, Reply};

use crate::cases::format::{
    Capability, Case, CaseFile, Expect, Location, Order, ScanMode, Send, Step,
};
use crate::compare::policy::{self, Context, Overrides, Probe, Source};
use crate::compare::{compare, ErrorMatch, Policy};
use crate::targets::{ClockKind, Target, TargetError};

pub mod allowed;
pub mod bless;
pub mod prefix;
pub mod restore;
pub mod safety;
pub mod suite;

use prefix::KeyRewriter;

/// Settings that apply to every case of a run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// How error replies are compared where a step does not say.
    pub errors: ErrorMatch,
    /// Allow DEBUG commands on a server (to freeze active expiry for `lazy-expiry`).
    pub allow_debug: bool,
    /// Keep every step's actual reply in the report (for `--bless`).
    pub record_actuals: bool,
    /// Whether Redis's own choices where its contract leaves freedom are checked.
    pub details: Details,
}

/// Where Redis's documented contract leaves a server free, Redis still makes one choice, and
/// the cases record it: the order of HGETALL/HKEYS/HVALS on a small hash, how HSCAN pages
/// (a small hash in one page, cursor 0), which fields HRANDFIELD returns when a count covers
/// the whole hash, the names OBJECT ENCODING reports. Checking those is right for the
/// reference engine, and for Redis itself when the project checks its own cases; it is
/// wrong for a server that is compatible without being Redis. Which server is Redis is never
/// guessed from INFO: forks, proxies and compatible stores all report a `redis_version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Details {
    /// Strict on the in-process reference engine, legal on every server on the network.
    #[default]
    Auto,
    /// Redis's choices are compared as the cases write them.
    Strict,
    /// Only what Redis promises: those replies are compared order-free, HSCAN pages by
    /// membership, HRANDFIELD by its rules, and OBJECT ENCODING is not compared.
    Legal,
}

impl Details {
    /// The mode that applies to a target: [`Details::Strict`] or [`Details::Legal`].
    /// `in_process` says whether it is the reference engine in this process.
    pub fn resolve(self, in_process: bool) -> Details {
        match self {
            Details::Auto if in_process => Details::Strict,
            Details::Auto => Details::Legal,
            chosen => chosen,
        }
    }

    /// Whether Redis's own choices are checked on `target`.
    pub fn strict_on(self, target: &dyn Target) -> bool {
        self.resolve(target.in_process()) == Details::Strict
    }

    /// `strict`, `legal` (or `auto`, unresolved), as reports and flags spell it.
    pub fn name(self) -> &'static str {
        match self {
            Details::Auto => "auto",
            Details::Strict => "strict",
            Details::Legal => "legal",
        }
    }
}

/// State shared by all cases of one run, across threads.
#[derive(Debug)]
pub struct RunState {
    run_id: String,
    next_case: AtomicU64,
    /// How many running cases need active expiry frozen on the server.
    frozen: Mutex<u64>,
    /// Keys whose case could not delete them (its connection broke); the suite deletes them
    /// at the end on a fresh connection.
    leftover: Mutex<Vec<Vec<u8>>>,
    /// Server settings cases changed (with --allow-debug), put back at the end.
    pub restore: restore::Restore,
}

impl RunState {
    /// A run with a fresh id, so its keys cannot collide with another run's.
    pub fn new() -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let id = (now.as_micros() as u64) ^ (u64::from(std::process::id()) << 40);
        Self::with_id(format!("{id:x}"))
    }

    pub fn with_id(run_id: impl Into<String>) -> Self {
        Self {
            run_id: run_id.into(),
            next_case: AtomicU64::new(0),
            frozen: Mutex::new(0),
            leftover: Mutex::new(Vec::new()),
            restore: restore::Restore::default(),
        }
    }

    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// Keys that cases sent but could not delete.
    pub fn leftover_keys(&self) -> Vec<Vec<u8>> {
        self.leftover
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn key_prefix(&self) -> Vec<u8> {
        let n = self.next_case.fetch_add(1, Ordering::Relaxed);
        format!("hc:{}:{n}:", self.run_id).into_bytes()
    }
}

impl Default for RunState {
    fn default() -> Self {
        Self::new()
    }
}

/// What became of one case in one protocol.
#[derive(Debug, Clone)]
pub struct CaseReport {
    pub file: std::path::PathBuf,
    pub case: String,
    /// The hash command the case is about (see [`case_command`]).
    pub command: String,
    pub line: usize,
    pub protocol: Protocol,
    pub target: String,
    pub outcome: Outcome,
    pub steps: StepCounts,
    /// With `record_actuals`: per step, the reply and the time it was judged at.
    pub actuals: Vec<Option<Observed>>,
    /// Why the target cannot run this case, when it was skipped as unsupported.
    pub unsupported: Option<Unsupported>,
}

/// What a target lacks, for the capability report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsupported {
    /// The case needs a newer Redis than the target reports (`since:`).
    Version { need: String, have: String },
    /// The target replied `ERR unknown command` to this command (upper case).
    Command(String),
    /// The target does not speak the case's protocol: `RESP3 (HELLO 3 replied ...)`.
    Protocol(String),
}

/// A reply as the run saw it, for blessing.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    pub reply: Reply,
    pub now_ms: i64,
    /// Whether it matched the expectation (always true for steps without one).
    pub passed: bool,
}

/// How a case ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Pass,
    /// Some steps did not get the expected reply (the case ran to its end).
    Fail(Vec<Failure>),
    /// Not run, or stopped as unsupported; the reason says which.
    Skipped {
        reason: String,
    },
    /// The conversation with the target failed at `at`; `failures` are those seen before.
    Aborted {
        at: Location,
        command: String,
        error: String,
        failures: Vec<Failure>,
    },
}

impl Outcome {
    pub fn failures(&self) -> &[Failure] {
        match self {
            Outcome::Fail(f) | Outcome::Aborted { failures: f, .. } => f,
            _ => &[],
        }
    }
}

/// One step whose reply was not the expected one.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub at: Location,
    /// The command as the case writes it, times resolved, keys without the run's prefix.
    pub command: String,
    /// The command exactly as the case file writes it (`{unix_ms: 100}` left as such), for
    /// reports that must not change from one run to the next.
    pub written: String,
    pub expected: Reply,
    pub actual: Reply,
    pub reason: String,
    pub note: Option<String>,
}

/// Send steps by result. A step without `expect` that ran counts as passed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StepCounts {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl std::ops::AddAssign for StepCounts {
    fn add_assign(&mut self, other: Self) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
    }
}

/// Runs `file.cases[case_index]` on `target`, in the target's protocol.
pub fn run_case(
    target: &mut dyn Target,
    file: &CaseFile,
    case_index: usize,
    state: &RunState,
    options: &RunOptions,
) -> CaseReport {
    let case = &file.cases[case_index];
    let sends = case
        .steps
        .iter()
        .filter(|s| matches!(s, Step::Send(_)))
        .count();
    let mut report = CaseReport {
        file: file.path.clone(),
        case: case.name.clone(),
        command: case_command(file, case),
        line: case.line,
        protocol: target.protocol(),
        target: target.name().to_string(),
        outcome: Outcome::Pass,
        steps: StepCounts {
            skipped: sends,
            ..StepCounts::default()
        },
        actuals: vec![None; case.steps.len()],
        unsupported: None,
    };
    if let Some((reason, unsupported)) = skip_reason(target, file, case, options) {
        report.outcome = Outcome::Skipped { reason };
        report.unsupported = unsupported;
        return report;
    }
    let lazy = case.requires.contains(&Capability::LazyExpiry) && !is_reference(target);
    if lazy {
        if let Err(reason) = freeze_active_expiry(target, state) {
            report.outcome = Outcome::Skipped { reason };
            return report;
        }
    }
    let strict = options.details.strict_on(target);
    let mut run = CaseRun {
        target,
        file,
        options,
        keys: KeyRewriter::new(state.key_prefix()),
        restore: &state.restore,
        strict,
        failures: Vec::new(),
        counts: StepCounts::default(),
        actuals: Vec::with_capacity(case.steps.len()),
        started: Instant::now(),
        waited_ms: 0,
    };
    let ended = run.steps(case);
    if !run.cleanup() {
        state
            .leftover
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(run.keys.used().iter().cloned());
    }
    let CaseRun {
        target,
        failures,
        counts,
        mut actuals,
        ..
    } = run;
    if lazy {
        // Best effort: if the connection is gone there is nobody to tell.
        let _ = thaw_active_expiry(target, state);
    }
    actuals.resize(case.steps.len(), None);
    report.actuals = actuals;
    report.steps = StepCounts {
        skipped: sends - counts.passed - counts.failed,
        ..counts
    };
    report.outcome = match ended {
        Ended::Completed if failures.is_empty() => Outcome::Pass,
        Ended::Completed => Outcome::Fail(failures),
        Ended::Unsupported(reason, command) if failures.is_empty() => {
            report.unsupported = Some(Unsupported::Command(command));
            Outcome::Skipped { reason }
        }
        Ended::Unsupported(..) => Outcome::Fail(failures),
        Ended::Interrupted(at) => Outcome::Skipped {
            reason: format!("interrupted during the wait at {at}"),
        },
        Ended::Broken { at, command, error } => Outcome::Aborted {
            at,
            command,
            error,
            failures,
        },
    };
    report
}

/// The hash command a case is about: the directory its file is in (`cases/hset/...`), else
/// the first hash command it sends (`cases/regressions/...`), else `OTHER`.
pub fn case_command(file: &CaseFile, case: &Case) -> String {
    let dir = file
        .path
        .parent()
        .and_then(|d| d.file_name())
        .map(|n| n.to_string_lossy().to_ascii_uppercase());
    if let Some(dir) = dir.filter(|d| prefix::is_hash_command(d)) {
        return dir;
    }
    case.steps
        .iter()
        .find_map(|step| match step {
            Step::Send(send) if prefix::is_hash_command(&send.command()) => {
                Some(send.command().to_ascii_uppercase())
            }
            _ => None,
        })
        .unwrap_or_else(|| "OTHER".to_string())
}

/// Whether the target is the reference engine (embedded or served), which never reclaims
/// expired fields in the background.
fn is_reference(target: &dyn Target) -> bool {
    target.identity().product == "hashcheck"
}

fn skip_reason(
    target: &mut dyn Target,
    file: &CaseFile,
    case: &Case,
    options: &RunOptions,
) -> Option<(String, Option<Unsupported>)> {
    // A target on a virtual clock is an engine private to this process: nothing to protect.
    if target.clock() == ClockKind::Real {
        if let Some(reason) = safety::refusal(case, options.allow_debug, &mut |name| {
            safety::command_exists(target, name)
        }) {
            return Some((reason, None));
        }
    }
    let identity = target.identity();
    if let Some(reason) = safety::hazard(case, &identity.product) {
        return Some((reason, None));
    }
    // Only Redis (and the engine, which models Redis 8.2.3) are gated by version: other
    // products report an old redis_version but may have the commands, and a command they
    // lack shows up as `unknown command`, which marks the case unsupported.
    if matches!(identity.product.as_str(), "redis" | "hashcheck") {
        let have = identity
            .redis_version
            .as_deref()
            .and_then(crate::cases::format::Version::parse);
        if let (Some(need), Some(have)) = (case.since(file), have) {
            if have < need {
                return Some((
                    format!("unsupported: needs Redis {need}, target has {have}"),
                    Some(Unsupported::Version {
                        need: need.to_string(),
                        have: have.to_string(),
                    }),
                ));
            }
        }
    }
    if !is_reference(target) && !options.allow_debug {
        if let Some(need) = case.requires.first() {
            let why = match need {
                Capability::LazyExpiry => "freezing active expiry with DEBUG SET-ACTIVE-EXPIRE",
                Capability::Debug => "DEBUG commands",
            };
            return Some((
                format!("requires {} ({why}); run with --allow-debug", need.name()),
                None,
            ));
        }
    }
    None
}

fn freeze_active_expiry(target: &mut dyn Target, state: &RunState) -> Result<(), String> {
    let mut frozen = state.frozen.lock().unwrap_or_else(|e| e.into_inner());
    if *frozen == 0 {
        let reply = target
            .call(&argv(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]))
            .map_err(|e| e.to_string())?;
        if reply.is_error() {
            return Err(format!(
                "requires lazy-expiry, but DEBUG SET-ACTIVE-EXPIRE 0 failed: {reply}"
            ));
        }
        // Also undone at the end of the run, should this case never thaw it.
        state
            .restore
            .remember("active-expire", argv(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]));
    }
    *frozen += 1;
    Ok(())
}

fn thaw_active_expiry(target: &mut dyn Target, state: &RunState) -> Result<(), TargetError> {
    let mut frozen = state.frozen.lock().unwrap_or_else(|e| e.into_inner());
    *frozen = frozen.saturating_sub(1);
    if *frozen == 0 {
        target.call(&argv(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]))?;
    }
    Ok(())
}

fn argv(words: &[&str]) -> Vec<Vec<u8>> {
    words.iter().map(|w| w.as_bytes().to_vec()).collect()
}

/// Why the steps of a case stopped.
enum Ended {
    Completed,
    /// The reason, and the command the target did not know.
    Unsupported(String, String),
    Broken {
        at: Location,
        command: String,
        error: String,
    },
    /// Ctrl-C or SIGTERM during the wait at this step.
    Interrupted(Location),
}

struct CaseRun<'a> {
    target: &'a mut dyn Target,
    file: &'a CaseFile,
    options: &'a RunOptions,
    keys: KeyRewriter,
    restore: &'a restore::Restore,
    /// Whether Redis's own choices are compared (see [`Details`]).
    strict: bool,
    failures: Vec<Failure>,
    counts: StepCounts,
    actuals: Vec<Option<Observed>>,
    /// When the first step was sent, and the waits since: how far a real clock has run
    /// ahead of the case's own time (see [`CaseRun::lag_ms`]).
    started: Instant,
    waited_ms: u64,
}

/// What a send step produced.
enum Judged {
    Passed(Observed),
    /// Boxed: a failure carries two replies, and most steps pass.
    Failed(Observed, Box<Failure>),
    /// The target did not know the command (reason, command).
    Unsupported(String, String),
    /// Not compared: the reply is Redis's own choice (OBJECT ENCODING) and details are legal.
    NotCompared,
}

impl CaseRun<'_> {
    fn steps(&mut self, case: &Case) -> Ended {
        self.started = Instant::now();
        for step in &case.steps {
            let result = match step {
                Step::Wait { ms, line, .. } => {
                    self.waited_ms += ms;
                    let waited = self.target.advance_clock(*ms).map(|()| None);
                    // A stop request ends a wait early (see interrupt::sleep): the case ends
                    // here, and its keys are deleted as after any case.
                    if waited.is_ok() && crate::interrupt::requested() {
                        return Ended::Interrupted(self.file.at(*line));
                    }
                    waited
                }
                Step::Send(send) => self.send(send).map(Some),
            };
            match result {
                Ok(None) => self.actuals.push(None),
                Ok(Some(Judged::Passed(seen))) => {
                    self.counts.passed += 1;
                    self.actuals
                        .push(self.options.record_actuals.then_some(seen));
                }
                Ok(Some(Judged::Failed(seen, failure))) => {
                    self.counts.failed += 1;
                    self.failures.push(*failure);
                    self.actuals
                        .push(self.options.record_actuals.then_some(seen));
                }
                Ok(Some(Judged::Unsupported(reason, command))) => {
                    return Ended::Unsupported(reason, command)
                }
                Ok(Some(Judged::NotCompared)) => self.actuals.push(None),
                Err(e) => {
                    let command = match step {
                        Step::Send(send) => send.display(),
                        Step::Wait { ms, .. } => format!("wait {ms}"),
                    };
                    return Ended::Broken {
                        at: self.file.at(step.line()),
                        command,
                        error: e.to_string(),
                    };
                }
            }
        }
        Ended::Completed
    }

    fn send(&mut self, send: &Send) -> Result<Judged, TargetError> {
        let needs_now = send.args.iter().any(|a| a.is_relative_time())
            || send.expect.as_ref().is_some_and(Expect::is_time_relative);
        let now_ms = if needs_now { self.target.now_ms()? } else { 0 };
        let plain: Vec<Vec<u8>> = send.args.iter().map(|a| a.resolve(now_ms)).collect();
        let command = display_argv(&plain);
        let mut argv = plain.clone();
        self.keys.rewrite(&mut argv);
        let name = send.command();
        if self.target.clock() == ClockKind::Real {
            self.restore.before(self.target, &argv)?;
        }

        let ctx = self.context(send);
        let probe = match policy::probe_for(&plain, &ctx) {
            Probe::None => None,
            // The probe asks about the run's (prefixed) key.
            probe => match probe.command(&argv) {
                Some(question) => Some(self.call(&question)?),
                None => None,
            },
        };
        let actual = if policy::walks(&plain, &ctx) {
            self.walk(&argv)?
        } else {
            self.call(&argv)?
        };
        let policy = policy::policy(&plain, &ctx, probe.as_ref());

        let protocol = self.target.protocol();
        let lag_ms = self.lag_ms();
        let expected = send
            .expect
            .as_ref()
            .map(|e| e.to_reply_after(protocol, now_ms, lag_ms, Some(&actual)));
        if let Some(reason) = unsupported(&actual, expected.as_ref()) {
            return Ok(Judged::Unsupported(
                format!("unsupported: {command}: {reason}"),
                name,
            ));
        }
        // An encoding name is Redis's choice; whether the key exists (a name or nil) is not.
        let names = matches!((&expected, &actual), (Some(Reply::Bulk(_)), Reply::Bulk(_)));
        if !self.strict && is_encoding_probe(&plain) && names {
            return Ok(Judged::NotCompared);
        }
        let Some(expected) = expected else {
            return Ok(Judged::Passed(Observed {
                reply: actual,
                now_ms,
                passed: true,
            }));
        };
        let errors = match (send.errors, send.expect.as_ref()) {
            (Some(e), _) => e,
            (None, Some(e)) if e.has_error_code() => ErrorMatch::Code,
            _ => self.options.errors,
        };
        match compare(&expected, &actual, &policy, errors) {
            Ok(()) => Ok(Judged::Passed(Observed {
                reply: actual,
                now_ms,
                passed: true,
            })),
            Err(mismatch) => {
                let shown = match policy {
                    Policy::Unordered { pairs } => align(&expected, &actual, pairs),
                    _ => actual.clone(),
                };
                let failure = Failure {
                    at: self.file.at(send.line),
                    command,
                    written: send.display(),
                    expected,
                    actual: shown,
                    reason: mismatch.reason,
                    note: send.note.clone(),
                };
                let seen = Observed {
                    reply: actual,
                    now_ms,
                    passed: false,
                };
                Ok(Judged::Failed(seen, Box::new(failure)))
            }
        }
    }

    /// How much longer the case has taken on a real clock than its waits say: each step
    /// takes time, and each wait sleeps a little over. A deadline the case set may so have
    /// come this much closer by now than the case's own time tells.
    fn lag_ms(&self) -> i64 {
        if self.target.clock() != ClockKind::Real {
            return 0;
        }
        let elapsed = self.started.elapsed().as_millis() as i64;
        // +1: both counts are whole milliseconds.
        (elapsed - self.waited_ms as i64 + 1).max(0)
    }

    /// One command, with the run's key prefix taken out of error texts again.
    fn call(&mut self, argv: &[Vec<u8>]) -> Result<Reply, TargetError> {
        let reply = self.target.call(argv)?;
        Ok(self.keys.unprefix_errors(reply))
    }

    /// How this step is judged: the run's details and clock, and the step's overrides.
    fn context(&self, send: &Send) -> Context {
        Context {
            strict: self.strict,
            clock: self.target.clock(),
            margin_ms: 0,
            source: Source::Case(Overrides {
                exact_order: send.order.map(|o| o == Order::Exact),
                ttl_within: send.ttl_within,
                random: send.random,
                walk: send.scan.map(|mode| mode == ScanMode::Walk),
            }),
        }
    }

    /// Follows an HSCAN cursor to the end. The result looks like one HSCAN reply,
    /// `["0", [everything returned]]`, or is the first reply that was not a scan page.
    fn walk(&mut self, argv: &[Vec<u8>]) -> Result<Reply, TargetError> {
        const MAX_PAGES: usize = 100_000;
        let mut argv = argv.to_vec();
        let mut all = Vec::new();
        for _ in 0..MAX_PAGES {
            let reply = self.call(&argv)?;
            let Reply::Array(parts) = &reply else {
                return Ok(reply);
            };
            let [Reply::Bulk(cursor), Reply::Array(items)] = parts.as_slice() else {
                return Ok(reply);
            };
            all.extend(items.iter().cloned());
            if cursor == b"0" {
                return Ok(Reply::Array(vec![Reply::bulk("0"), Reply::Array(all)]));
            }
            argv[2] = cursor.clone();
        }
        Err(TargetError::Protocol {
            target: self.target.name().to_string(),
            reason: format!("the scan did not finish after {MAX_PAGES} pages"),
        })
    }

    /// Deletes the keys this case named; false if the target could not be told.
    fn cleanup(&mut self) -> bool {
        safety::delete_keys(self.target, self.keys.used()).is_ok()
    }
}

/// One element of a collection reply, or a field and its value.
type Group = Vec<Reply>;

/// `actual` reordered to follow `expected` as far as it can (equal elements first, then
/// pairs with the same field), so that the diff of an order-free reply shows only what
/// really differs.
fn align(expected: &Reply, actual: &Reply, pairs: bool) -> Reply {
    let groups = |reply: &Reply| -> Option<Vec<Group>> {
        match reply {
            Reply::Map(kv) => Some(kv.iter().map(|(k, v)| vec![k.clone(), v.clone()]).collect()),
            Reply::Array(items) | Reply::Set(items) if pairs && items.len() % 2 == 0 => {
                Some(items.chunks(2).map(<[Reply]>::to_vec).collect())
            }
            Reply::Array(items) | Reply::Set(items) => {
                Some(items.iter().map(|i| vec![i.clone()]).collect())
            }
            _ => None,
        }
    };
    let (Some(e), Some(a)) = (groups(expected), groups(actual)) else {
        return actual.clone();
    };
    let mut rest: Vec<Option<Group>> = a.into_iter().map(Some).collect();
    let mut take = |want: &dyn Fn(&Group) -> bool| {
        let slot = rest.iter_mut().find(|s| s.as_ref().is_some_and(want))?;
        slot.take()
    };
    let mut placed: Vec<Option<Group>> = e.iter().map(|x| take(&|y| y == x)).collect();
    for (i, x) in e.iter().enumerate() {
        if placed[i].is_none() && x.len() == 2 {
            placed[i] = take(&|y| y.len() == 2 && y[0] == x[0]);
        }
    }
    let ordered = placed
        .into_iter()
        .flatten()
        .chain(rest.into_iter().flatten());
    match actual {
        Reply::Map(_) => Reply::Map(
            ordered
                .map(|mut kv| {
                    let v = kv.pop().expect("a pair");
                    (kv.pop().expect("a pair"), v)
                })
                .collect(),
        ),
        Reply::Set(_) => Reply::Set(ordered.flatten().collect()),
        _ => Reply::Array(ordered.flatten().collect()),
    }
}

/// `OBJECT ENCODING key`: the name of Redis's internal representation.
fn is_encoding_probe(argv: &[Vec<u8>]) -> bool {
    argv.len() == 3
        && argv[0].eq_ignore_ascii_case(b"OBJECT")
        && argv[1].eq_ignore_ascii_case(b"ENCODING")
}

/// Why a reply shows the target lacks the command, unless the case expects exactly that.
fn unsupported(actual: &Reply, expected: Option<&Reply>) -> Option<String> {
    const UNKNOWN: &str = "ERR unknown command";
    let Reply::Error(text) = actual else {
        return None;
    };
    if !text.starts_with(UNKNOWN) {
        return None;
    }
    match expected {
        Some(Reply::Error(e)) if e.starts_with(UNKNOWN) => None,
        _ => Some(text.clone()),
    }
}

/// A command for a report, each argument as redis-cli would take it back.
pub fn display_argv(argv: &[Vec<u8>]) -> String {
    argv.iter()
        .map(|a| crate::cases::format::display_word(a))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Reply {
        Reply::bulk(s)
    }

    #[test]
    fn align_follows_the_expected_order_and_pairs_fields() {
        let expected = Reply::Array(vec![b("a"), b("1"), b("b"), b("2"), b("c"), b("3")]);
        // c matches as a whole, b by its field, and the stranger goes last.
        let actual = Reply::Array(vec![b("z"), b("9"), b("c"), b("3"), b("b"), b("7")]);
        assert_eq!(
            align(&expected, &actual, true),
            Reply::Array(vec![b("b"), b("7"), b("c"), b("3"), b("z"), b("9")])
        );
        let map = |kv: &[(&str, &str)]| Reply::Map(kv.iter().map(|(k, v)| (b(k), b(v))).collect());
        assert_eq!(
            align(
                &map(&[("x", "1"), ("y", "2")]),
                &map(&[("y", "1"), ("x", "2")]),
                true
            ),
            map(&[("x", "2"), ("y", "1")])
        );
        assert_eq!(align(&b("x"), &Reply::Null, true), Reply::Null);
    }

    #[test]
    fn unknown_commands_are_unsupported_unless_expected() {
        let unknown =
            Reply::Error("ERR unknown command 'HGETEX', with args beginning with: ".into());
        assert!(unsupported(&unknown, Some(&Reply::Integer(1))).is_some());
        assert!(unsupported(&unknown, None).is_some());
        assert!(unsupported(&unknown, Some(&unknown)).is_none());
        assert!(unsupported(&Reply::Error("ERR syntax error".into()), None).is_none());
    }
}
