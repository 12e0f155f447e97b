//! Running many case files at once: one work item per (case, protocol), handed out to
//! `jobs` threads, each with its own connections.
//!
//! Cases that wait spend real time idle on a server, so running them side by side is what
//! keeps the suite fast; the longest waits start first. Each case has its own key prefix,
//! so cases never see each other's data.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use reference_engine::Protocol;

use super::safety;
use super::{
    run_case, CaseReport, Details, Outcome, RunOptions, RunState, StepCounts, Unsupported,
};
use crate::cases::format::{CaseFile, Step};
use crate::targets::{self, ConnectOptions, ServerIdentity, Target, TargetError};

/// Which target to open, once per job and protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSpec {
    /// `embedded`, a `redis://` or `rediss://` URL, or `host:port`.
    pub spec: String,
    /// Timeouts, reply limit and TLS settings.
    pub connect: ConnectOptions,
}

impl TargetSpec {
    /// The embedded reference engine.
    pub fn embedded() -> Self {
        Self::new("embedded")
    }

    pub fn new(spec: impl Into<String>) -> Self {
        Self {
            spec: spec.into(),
            connect: ConnectOptions::default(),
        }
    }

    pub fn is_embedded(&self) -> bool {
        self.spec == "embedded"
    }

    /// A new connection (or engine) speaking `protocol`.
    pub fn open(&self, protocol: Protocol) -> Result<Box<dyn Target>, TargetError> {
        targets::open_with(&self.spec, Some(protocol), &self.connect)
    }
}

/// How to run a suite.
#[derive(Debug, Clone)]
pub struct SuiteOptions {
    pub target: TargetSpec,
    /// The protocols to run each case in (a case's own `resp:` narrows this).
    pub protocols: Vec<Protocol>,
    pub jobs: usize,
    /// Stop handing out cases after the first that fails.
    pub fail_fast: bool,
    /// Selects cases (see [`Filter`]); None runs all.
    pub filter: Option<Filter>,
    /// Only the cases of this share (`--partition I/N`); None runs all.
    pub partition: Option<super::partition::Partition>,
    pub run: RunOptions,
    /// Run even if the server's database already holds keys.
    pub allow_nonempty: bool,
}

/// Why a suite could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    #[error(transparent)]
    Target(#[from] TargetError),
    /// The database holds keys that are not this run's.
    #[error(
        "{target}: the database holds {keys}; hashcheck runs only on an empty database, \
         so it cannot mix with real data (it never flushes; pass --allow-nonempty to run \
         next to those keys, which it will not touch)"
    )]
    NotEmpty { target: String, keys: String },
    /// The server offers no way to tell whether the database is empty.
    #[error(
        "{target}: cannot tell whether the database is empty ({why}); hashcheck runs only on \
         an empty database unless told otherwise: pass --allow-nonempty to run anyway (it \
         touches only keys it creates, under its own prefix)"
    )]
    EmptyUnknown { target: String, why: String },
}

/// Why a suite stopped before running every case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// `--fail-fast` after the first failing case.
    FailFast,
    /// The target failed (connection lost, timeout, bad reply); the case names the step.
    TargetFailed,
    /// Ctrl-C or SIGTERM.
    Interrupted,
}

/// What the end-of-run cleanup did with keys whose case could not delete them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Cleanup {
    /// Every case deleted its own keys.
    #[default]
    Clean,
    /// Keys left by broken cases, deleted at the end (how many were still there).
    Swept { keys: usize, existed: i64 },
    /// They could not be deleted: the target is gone. The keys all start with the prefix.
    Failed {
        keys: usize,
        prefix: String,
        error: String,
    },
}

/// A glob (`*` any text, `?` one character) selecting cases: a case runs when the glob
/// matches its name, or the end of its file's path from a directory boundary on, with or
/// without `.yaml` (`hset/*`, `*/errors`, `hget/expired-field.yaml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub glob: String,
}

impl Filter {
    pub fn new(glob: impl Into<String>) -> Self {
        Self { glob: glob.into() }
    }

    pub fn matches(&self, file: &Path, case: &str) -> bool {
        let glob = self.glob.as_bytes();
        if glob_match(glob, case.as_bytes()) {
            return true;
        }
        let path = file.to_string_lossy().replace('\\', "/");
        let stem = path.strip_suffix(".yaml").unwrap_or(&path);
        [path.as_str(), stem].iter().any(|p| {
            let starts = std::iter::once(0).chain(p.match_indices('/').map(|(i, _)| i + 1));
            starts
                .into_iter()
                .any(|i| glob_match(glob, &p.as_bytes()[i..]))
        })
    }
}

/// `*` matches any run of characters, `?` exactly one; everything else itself.
pub fn glob_match(glob: &[u8], text: &[u8]) -> bool {
    match (glob.first(), text.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            glob_match(&glob[1..], text) || (!text.is_empty() && glob_match(glob, &text[1..]))
        }
        (Some(b'?'), Some(_)) => glob_match(&glob[1..], &text[1..]),
        (Some(g), Some(t)) if g == t => glob_match(&glob[1..], &text[1..]),
        _ => false,
    }
}

/// Everything a suite run produced.
#[derive(Debug, Clone)]
pub struct SuiteReport {
    /// What the target said it is, per protocol opened.
    pub identity: ServerIdentity,
    pub target: String,
    /// Whether Redis's own choices were checked: [`Details::Strict`] or [`Details::Legal`].
    pub details: Details,
    /// In file, case and protocol order.
    pub cases: Vec<CaseReport>,
    /// Whether the run stopped before every case ran (see `stop` for why).
    pub stopped_early: bool,
    /// Why the run stopped early, if it did.
    pub stop: Option<Stop>,
    /// Case runs (case x protocol) selected but not started.
    pub not_run: usize,
    /// The run's key prefix (`hc:<run-id>:`).
    pub key_prefix: String,
    pub cleanup: Cleanup,
    pub elapsed: std::time::Duration,
    /// The share of the cases this run was given (`--partition`), if split.
    pub partition: Option<super::partition::Partition>,
}

impl SuiteReport {
    pub fn passed(&self) -> bool {
        self.cases
            .iter()
            .all(|c| matches!(c.outcome, Outcome::Pass | Outcome::Skipped { .. }))
    }

    pub fn steps(&self) -> StepCounts {
        let mut total = StepCounts::default();
        for c in &self.cases {
            total += c.steps;
        }
        total
    }
}

/// One case in one protocol.
#[derive(Debug, Clone, Copy)]
struct Work {
    file: usize,
    case: usize,
    protocol: Protocol,
    wait_ms: u64,
}

/// Runs the selected cases of `files`. `Err` only when the target cannot be opened at all.
pub fn run_suite(files: &[CaseFile], options: &SuiteOptions) -> Result<SuiteReport, SuiteError> {
    // Open one target first: an unreachable server is one clear error, not one per case.
    let started = std::time::Instant::now();
    let first_protocol = options.protocols.first().copied().unwrap_or_default();
    let refused = Mutex::new(HashMap::new());
    let mut probe = match options.target.open(first_protocol) {
        // No RESP3 (no HELLO): its cases are unsupported; the server is checked in RESP2.
        Err(TargetError::Unsupported { what, .. }) if first_protocol == Protocol::Resp3 => {
            refused
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(first_protocol, what);
            options.target.open(Protocol::Resp2)?
        }
        other => other?,
    };
    let identity = probe.identity().clone();
    let target_name = probe.name().to_string();
    if !options.target.is_embedded() && !options.allow_nonempty {
        match safety::contents(probe.as_mut())? {
            safety::Contents::Empty => {}
            safety::Contents::Keys(keys) => {
                return Err(SuiteError::NotEmpty {
                    target: target_name,
                    keys,
                })
            }
            safety::Contents::Unknown(why) => {
                return Err(SuiteError::EmptyUnknown {
                    target: target_name,
                    why,
                })
            }
        }
    }

    let mut work = Vec::new();
    for (fi, file) in files.iter().enumerate() {
        for (ci, case) in file.cases.iter().enumerate() {
            if let Some(filter) = &options.filter {
                if !filter.matches(&file.path, &case.name) {
                    continue;
                }
            }
            if let Some(partition) = &options.partition {
                if !partition.contains(&file.path, &case.name) {
                    continue;
                }
            }
            for &protocol in &options.protocols {
                if case.resp.contains(&protocol) {
                    work.push(Work {
                        file: fi,
                        case: ci,
                        protocol,
                        wait_ms: case.total_wait_ms(),
                    });
                }
            }
        }
    }
    // Longest waits first, so they overlap with everything else.
    let mut order: Vec<usize> = (0..work.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(work[i].wait_ms));

    let state = RunState::new();
    // A second Ctrl-C exits at once; the settings cases changed are put back even then.
    let _restore_on_exit = state.restore.on_forced_exit(&options.target);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let stop_reason: Mutex<Option<Stop>> = Mutex::new(None);
    let results: Mutex<Vec<Option<CaseReport>>> = Mutex::new(vec![None; work.len()]);
    drop(probe);
    let jobs = options.jobs.clamp(1, work.len().max(1));

    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                // Targets are opened in the thread that uses them: they need not be Send.
                let mut targets: HashMap<Protocol, Box<dyn Target>> = HashMap::new();
                loop {
                    if crate::interrupt::requested() {
                        let mut why = stop_reason.lock().unwrap_or_else(|e| e.into_inner());
                        why.get_or_insert(Stop::Interrupted);
                        break;
                    }
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&index) = order.get(n) else {
                        break;
                    };
                    let item = work[index];
                    let report = run_one(&mut targets, &refused, files, item, &state, options);
                    let failed = !matches!(report.outcome, Outcome::Pass | Outcome::Skipped { .. });
                    // A target that failed once is not trusted with more cases: the run ends
                    // with what it has, instead of one timeout per remaining case.
                    let broken = matches!(report.outcome, Outcome::Aborted { .. });
                    if broken || (failed && options.fail_fast) {
                        stop.store(true, Ordering::Relaxed);
                        let mut why = stop_reason.lock().unwrap_or_else(|e| e.into_inner());
                        why.get_or_insert(if broken {
                            Stop::TargetFailed
                        } else {
                            Stop::FailFast
                        });
                    }
                    results.lock().unwrap_or_else(|e| e.into_inner())[index] = Some(report);
                }
            });
        }
    });

    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    let not_run = results.iter().filter(|r| r.is_none()).count();
    let stop = stop_reason.into_inner().unwrap_or_else(|e| e.into_inner());
    let cleanup = sweep(
        &options.target,
        first_protocol,
        &state.leftover_keys(),
        &state,
    );
    if let Err(e) = state.restore.put_back(&options.target) {
        eprintln!("hashcheck: could not restore the server's settings: {e}");
    }
    Ok(SuiteReport {
        identity,
        target: target_name,
        details: options.run.details.resolve(options.target.is_embedded()),
        cases: results.into_iter().flatten().collect(),
        stopped_early: not_run > 0,
        // An interrupt that cut the last case's wait short stops the run too.
        stop: if not_run > 0 || stop == Some(Stop::Interrupted) {
            stop
        } else {
            None
        },
        not_run,
        key_prefix: format!("hc:{}:", state.run_id()),
        cleanup,
        elapsed: started.elapsed(),
        partition: options.partition,
    })
}

/// Deletes the keys of cases whose connection broke before they could, on a new connection.
fn sweep(spec: &TargetSpec, protocol: Protocol, keys: &[Vec<u8>], state: &RunState) -> Cleanup {
    if keys.is_empty() {
        return Cleanup::Clean;
    }
    let result = spec
        .open(protocol)
        .and_then(|mut t| safety::delete_keys(t.as_mut(), keys));
    match result {
        Ok(existed) => Cleanup::Swept {
            keys: keys.len(),
            existed,
        },
        Err(e) => Cleanup::Failed {
            keys: keys.len(),
            prefix: format!("hc:{}:", state.run_id()),
            error: e.to_string(),
        },
    }
}

fn run_one(
    targets: &mut HashMap<Protocol, Box<dyn Target>>,
    refused: &Mutex<HashMap<Protocol, String>>,
    files: &[CaseFile],
    item: Work,
    state: &RunState,
    options: &SuiteOptions,
) -> CaseReport {
    let file = &files[item.file];
    let case = &file.cases[item.case];
    let sends = case
        .steps
        .iter()
        .filter(|s| matches!(s, Step::Send(_)))
        .count();
    let report = |outcome: Outcome, unsupported: Option<Unsupported>| CaseReport {
        file: file.path.clone(),
        case: case.name.clone(),
        command: super::case_command(file, case),
        line: case.line,
        protocol: item.protocol,
        target: targets::redact(&options.target.spec),
        outcome,
        steps: StepCounts {
            skipped: sends,
            ..StepCounts::default()
        },
        actuals: Vec::new(),
        unsupported,
    };
    // A protocol the server refused once is not asked for again, case after case.
    let known_refusal = refused
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&item.protocol)
        .cloned();
    if let Some(what) = known_refusal {
        return unsupported_protocol(report, what);
    }
    let target = match targets.entry(item.protocol) {
        std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
        std::collections::hash_map::Entry::Vacant(v) => match options.target.open(item.protocol) {
            Ok(t) => v.insert(t),
            Err(TargetError::Unsupported { what, .. }) => {
                refused
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(item.protocol, what.clone());
                return unsupported_protocol(report, what);
            }
            Err(e) => {
                return report(
                    Outcome::Aborted {
                        at: file.at(case.line),
                        command: "connect".to_string(),
                        error: e.to_string(),
                        failures: Vec::new(),
                    },
                    None,
                );
            }
        },
    };
    let report = run_case(target.as_mut(), file, item.case, state, &options.run);
    // A server may also close the connection after a case's last reply (fakeredis does
    // after some errors): the case stands, and the next one gets a new connection.
    let databases = case
        .requires
        .contains(&crate::cases::format::Capability::Databases);
    // A `databases` case leaves its connection in whichever database it selected last.
    if matches!(report.outcome, Outcome::Aborted { .. }) || !target.usable() || databases {
        // The connection may be unusable; the next case gets a new one.
        targets.remove(&item.protocol);
    }
    report
}

/// A case skipped because the server does not speak its protocol (`what`: `RESP3 (HELLO 3
/// replied ...)`): unsupported, like a command the server does not know, never a failure.
fn unsupported_protocol(
    report: impl Fn(Outcome, Option<Unsupported>) -> CaseReport,
    what: String,
) -> CaseReport {
    report(
        Outcome::Skipped {
            reason: format!("unsupported: the server does not offer {what}"),
        },
        Some(Unsupported::Protocol(what)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match(b"hset/*", b"hset/errors.yaml"));
        assert!(glob_match(b"*expired*", b"hget/expired-field"));
        assert!(glob_match(b"h?et/*", b"hget/x"));
        assert!(!glob_match(b"hset/*", b"hget/errors.yaml"));
        assert!(glob_match(b"*", b""));
    }

    #[test]
    fn filter_matches_path_tail_stem_or_name() {
        let file = Path::new("/w/cases/hset/errors.yaml");
        assert!(Filter::new("hset/errors.yaml").matches(file, "x"));
        assert!(Filter::new("hset/errors").matches(file, "x"));
        assert!(Filter::new("hset/*").matches(file, "x"));
        assert!(Filter::new("*/errors").matches(file, "x"));
        assert!(Filter::new("*wrong type*").matches(file, "a wrong type key"));
        assert!(!Filter::new("hget/*").matches(file, "x"));
        assert!(!Filter::new("set/*").matches(file, "x"));
    }
}
