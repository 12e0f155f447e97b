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

use crate::cases::format::{Capability, Case, CaseFile, Step};
use crate::compare::ErrorMatch;
use crate::targets::{ClockKind, Target, TargetError};

pub mod allowed;
pub mod bless;
mod case_run;
pub mod cluster;
mod outcome;
pub mod partition;
pub mod prefix;
pub mod restore;
pub mod safety;
pub mod suite;
#[cfg(test)]
mod tests;

use case_run::{CaseRun, Ended};
pub use outcome::{CaseReport, Failure, Observed, Outcome, StepCounts, Unsupported};
use prefix::KeyRewriter;

/// Settings that apply to every case of a run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// How error replies are compared where a step does not say.
    pub errors: ErrorMatch,
    /// Allow DEBUG commands on a server (to freeze active expiry for `lazy-expiry`).
    pub allow_debug: bool,
    /// Run `requires: [databases]` cases on a server (a throwaway one: see
    /// [`Capability::Databases`]).
    pub allow_databases: bool,
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
    /// Taken shared by every case on a shared target, and alone by a case that reaches other
    /// databases or every key, or that changes a server-wide setting (CONFIG SET
    /// hash-max-listpack-entries changes the encoding, and so the reply order, of every
    /// other case's hashes): no other case runs meanwhile.
    alone: std::sync::RwLock<()>,
}

/// A case's hold on the target (see [`RunState::alone`]); dropped when the case ends.
enum Turn<'a> {
    Private,
    Shared(#[allow(dead_code)] std::sync::RwLockReadGuard<'a, ()>),
    Alone(#[allow(dead_code)] std::sync::RwLockWriteGuard<'a, ()>),
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
            alone: std::sync::RwLock::new(()),
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

    /// The next case's prefix: `hc:<run-id>:<n>:`, or on a cluster `hc:<run-id>:{<n>}:`,
    /// whose hash tag puts all the case's keys in one slot.
    fn key_prefix(&self, cluster: bool) -> Vec<u8> {
        let n = self.next_case.fetch_add(1, Ordering::Relaxed);
        if cluster {
            format!("hc:{}:{{{n}}}:", self.run_id).into_bytes()
        } else {
            format!("hc:{}:{n}:", self.run_id).into_bytes()
        }
    }
}

impl Default for RunState {
    fn default() -> Self {
        Self::new()
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
    let databases = case.requires.contains(&Capability::Databases);
    let shared = target.clock() == ClockKind::Real;
    let _turn = Turn::take(case, state, shared);
    let lazy = case.requires.contains(&Capability::LazyExpiry) && expires_in_background(target);
    if lazy {
        if let Err(reason) = freeze_active_expiry(target, state) {
            report.outcome = Outcome::Skipped { reason };
            return report;
        }
    }
    let strict = options.details.strict_on(target);
    let prefix = state.key_prefix(target.is_cluster());
    let mut run = CaseRun {
        target,
        file,
        options,
        keys: KeyRewriter::new(prefix),
        restore: &state.restore,
        strict,
        failures: Vec::new(),
        counts: StepCounts::default(),
        actuals: Vec::with_capacity(case.steps.len()),
        started: Instant::now(),
        waited_ms: 0,
    };
    let ended = run.steps(case);
    let cleaned = if databases && shared {
        run.cleanup_every_database()
    } else {
        run.cleanup()
    };
    if !cleaned {
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

impl<'a> Turn<'a> {
    /// Private on an engine of this process; on a shared target, alone for a case that
    /// reaches other databases or changes a server-wide setting, shared otherwise.
    fn take(case: &Case, state: &'a RunState, shared: bool) -> Self {
        if !shared {
            return Self::Private;
        }
        let changes = case.steps.iter().any(|step| match step {
            Step::Send(send) => {
                let argv: Vec<Vec<u8>> = send.args.iter().map(|a| a.resolve(0)).collect();
                allowed::changes_server_settings(&argv)
            }
            _ => false,
        });
        // A case that panicked while holding it poisoned nothing that matters: the lock
        // guards no data.
        if changes || case.requires.contains(&Capability::Databases) {
            Self::Alone(state.alone.write().unwrap_or_else(|e| e.into_inner()))
        } else {
            Self::Shared(state.alone.read().unwrap_or_else(|e| e.into_inner()))
        }
    }
}

/// Whether the target may reclaim expired fields in the background: every server, `hashcheck
/// serve` included; not the embedded engine, on its virtual clock, which only expires lazily.
fn expires_in_background(target: &dyn Target) -> bool {
    target.clock() == ClockKind::Real
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
    if target.is_cluster() {
        if let Some(reason) = cluster::reason(case) {
            return Some((reason.clone(), Some(Unsupported::Cluster(reason))));
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
    for need in &case.requires {
        let (allowed, why, flag) = match need {
            Capability::LazyExpiry => (
                !expires_in_background(target) || options.allow_debug,
                "freezing active expiry with DEBUG SET-ACTIVE-EXPIRE",
                "--allow-debug",
            ),
            Capability::Debug => (
                !expires_in_background(target) || options.allow_debug,
                "DEBUG commands",
                "--allow-debug",
            ),
            Capability::Databases => (
                target.clock() != ClockKind::Real || options.allow_databases,
                "SELECT, MOVE, SWAPDB, COPY DB, KEYS or SCAN, beyond the case's own keys",
                "--allow-databases, on a throwaway server",
            ),
        };
        if !allowed {
            return Some((
                format!("requires {} ({why}); run with {flag}", need.name()),
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

/// A command for a report, each argument as redis-cli would take it back.
pub fn display_argv(argv: &[Vec<u8>]) -> String {
    argv.iter()
        .map(|a| crate::cases::format::display_word(a))
        .collect::<Vec<_>>()
        .join(" ")
}
