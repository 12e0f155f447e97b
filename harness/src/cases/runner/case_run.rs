//! One case's steps, in order, on one target: each command sent (with what it needs first:
//! the clock, HRANDFIELD's contents, HSCAN's whole walk), its reply judged, and the keys it
//! named deleted afterwards.

use std::time::Instant;

use reference_engine::Reply;

use super::prefix::KeyRewriter;
use super::{display_argv, restore, safety, Failure, Observed, RunOptions, StepCounts};
use crate::cases::format::{Case, CaseFile, Expect, Location, Order, ScanMode, Send, Step};
use crate::compare::policy::{self, Context, Overrides, Probe, Source};
use crate::compare::{compare, ErrorMatch, Policy};
use crate::targets::scan::{Page, ScanWalk};
use crate::targets::{ClockKind, Target, TargetError};

/// Why the steps of a case stopped.
pub(super) enum Ended {
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

pub(super) struct CaseRun<'a> {
    pub(super) target: &'a mut dyn Target,
    pub(super) file: &'a CaseFile,
    pub(super) options: &'a RunOptions,
    pub(super) keys: KeyRewriter,
    pub(super) restore: &'a restore::Restore,
    /// Whether Redis's own choices are compared (see [`Details`]).
    pub(super) strict: bool,
    pub(super) failures: Vec<Failure>,
    pub(super) counts: StepCounts,
    pub(super) actuals: Vec<Option<Observed>>,
    /// When the first step was sent, and the waits since: how far a real clock has run
    /// ahead of the case's own time (see [`CaseRun::lag_ms`]).
    pub(super) started: Instant,
    pub(super) waited_ms: u64,
}

/// What a send step produced.
pub(super) enum Judged {
    Passed(Observed),
    /// Boxed: a failure carries two replies, and most steps pass.
    Failed(Observed, Box<Failure>),
    /// The target did not know the command (reason, command).
    Unsupported(String, String),
    /// Not compared: the reply is Redis's own choice (OBJECT ENCODING) and details are legal.
    NotCompared,
}

impl CaseRun<'_> {
    pub(super) fn steps(&mut self, case: &Case) -> Ended {
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

    pub(super) fn send(&mut self, send: &Send) -> Result<Judged, TargetError> {
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
    pub(super) fn lag_ms(&self) -> i64 {
        if self.target.clock() != ClockKind::Real {
            return 0;
        }
        let elapsed = self.started.elapsed().as_millis() as i64;
        // +1: both counts are whole milliseconds.
        (elapsed - self.waited_ms as i64 + 1).max(0)
    }

    /// One command, with the run's key prefix taken out of error texts again.
    pub(super) fn call(&mut self, argv: &[Vec<u8>]) -> Result<Reply, TargetError> {
        let reply = self.target.call(argv)?;
        Ok(self.keys.unprefix(argv, reply))
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
    /// A walk from 0 that a cluster's slot migration split across two nodes is walked again
    /// (a case's hash does not change while it is walked): the cursor meant nothing on the
    /// second node.
    pub(super) fn walk(&mut self, argv: &[Vec<u8>]) -> Result<Reply, TargetError> {
        const TRIES: usize = 10;
        for _ in 1..TRIES {
            let moved = self.target.scans_moved();
            let whole = self.walk_once(argv)?;
            if self.target.scans_moved() == moved || argv.get(2).map(Vec::as_slice) != Some(b"0") {
                return Ok(whole);
            }
        }
        self.walk_once(argv)
    }

    fn walk_once(&mut self, argv: &[Vec<u8>]) -> Result<Reply, TargetError> {
        const MAX_PAGES: usize = 100_000;
        let mut argv = argv.to_vec();
        let mut walk = ScanWalk::default();
        for _ in 0..MAX_PAGES {
            let reply = self.call(&argv)?;
            match walk.take(&argv, reply) {
                Page::Last(whole) => return Ok(whole),
                Page::Next(next) => argv = next,
            }
        }
        Err(TargetError::Protocol {
            target: self.target.name().to_string(),
            reason: format!("the scan did not finish after {MAX_PAGES} pages"),
        })
    }

    /// Deletes the keys this case named; false if the target could not be told.
    pub(super) fn cleanup(&mut self) -> bool {
        safety::delete_keys(self.target, self.keys.used()).is_ok()
    }

    /// [`CaseRun::cleanup`] for a case that may have left its keys in other databases
    /// (MOVE, COPY DB, SWAPDB): deletes them in each database SELECT reaches. The connection
    /// is left in another database, so the suite drops it after such a case.
    pub(super) fn cleanup_every_database(&mut self) -> bool {
        for db in 0..reference_engine::session::DATABASES {
            let select = vec![b"SELECT".to_vec(), db.to_string().into_bytes()];
            match self.target.call(&select) {
                Ok(Reply::Error(_)) => break,
                Ok(_) => {}
                Err(_) => return false,
            }
            if !self.cleanup() {
                return false;
            }
        }
        true
    }
}

/// One element of a collection reply, or a field and its value.
pub(super) type Group = Vec<Reply>;

/// `actual` reordered to follow `expected` as far as it can (equal elements first, then
/// pairs with the same field), so that the diff of an order-free reply shows only what
/// really differs.
pub(super) fn align(expected: &Reply, actual: &Reply, pairs: bool) -> Reply {
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
pub(super) fn is_encoding_probe(argv: &[Vec<u8>]) -> bool {
    argv.len() == 3
        && argv[0].eq_ignore_ascii_case(b"OBJECT")
        && argv[1].eq_ignore_ascii_case(b"ENCODING")
}

/// Why a reply shows the target lacks the command, unless the case expects exactly that.
pub(super) fn unsupported(actual: &Reply, expected: Option<&Reply>) -> Option<String> {
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
