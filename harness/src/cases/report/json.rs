//! `--format json`: the whole run as one JSON document, for tools. The schema is documented in
//! `docs/report-format.md`; `schema_version` changes whenever a field changes meaning or goes
//! away (adding a field does not change it).

use std::path::Path;

use serde::Serialize;

use super::capabilities::{self, Counts};
use crate::cases::baseline::{protocol_number, Status, Verdict};
use crate::cases::runner::suite::{Cleanup, Stop};
use crate::cases::runner::{Failure, Outcome, StepCounts, Unsupported};

/// The version of the document's schema.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct Document {
    pub schema: &'static str,
    pub schema_version: u32,
    pub hashcheck_version: &'static str,
    pub target: TargetInfo,
    pub run: RunInfo,
    pub summary: Summary,
    pub commands: Vec<CommandEntry>,
    pub cases: Vec<CaseEntry>,
    pub baseline: Option<BaselineInfo>,
    /// Why the run could not finish (the same text as on stderr), or null.
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct TargetInfo {
    pub name: String,
    pub product: String,
    pub version: String,
    pub redis_version: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct RunInfo {
    pub key_prefix: String,
    /// "legal" (only what Redis promises) or "strict" (Redis's own choices too).
    pub details: &'static str,
    pub elapsed_ms: u64,
    /// null, "fail-fast", "target-failed" or "interrupted".
    pub stopped: Option<&'static str>,
    pub not_run: usize,
    /// "clean", "swept" or "failed".
    pub cleanup: &'static str,
    pub cleanup_error: Option<String>,
    /// Keys left by cases whose connection broke, and how many of them still existed
    /// when the end-of-run sweep deleted them (0 and 0 when clean).
    pub cleanup_keys: usize,
    pub cleanup_existed: i64,
    /// `I/N` when the run was one share of a split suite (`--partition`), else null.
    pub partition: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    /// No failure outside the baseline, nothing aborted.
    pub passed: bool,
    pub cases: Counts,
    pub steps: Steps,
}

#[derive(Debug, Serialize)]
pub struct Steps {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl From<StepCounts> for Steps {
    fn from(s: StepCounts) -> Self {
        Self {
            passed: s.passed,
            failed: s.failed,
            skipped: s.skipped,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CommandEntry {
    pub command: String,
    pub protocol: u8,
    /// "yes", "no" or "untested".
    pub supported: &'static str,
    pub reason: Option<String>,
    pub cases: Counts,
}

#[derive(Debug, Serialize)]
pub struct CaseEntry {
    pub file: String,
    pub line: usize,
    pub case: String,
    pub command: String,
    pub protocol: u8,
    /// "pass", "fail", "known", "unsupported", "skipped" or "aborted".
    pub status: &'static str,
    /// Why it was skipped, unsupported or known.
    pub reason: Option<String>,
    pub link: Option<String>,
    pub steps: Steps,
    pub failures: Vec<FailureEntry>,
    pub aborted: Option<AbortEntry>,
    /// For unsupported: what the target lacks (see `Unsupported`).
    pub unsupported: Option<Unsupported>,
}

#[derive(Debug, Serialize)]
pub struct FailureEntry {
    pub file: String,
    pub line: usize,
    pub command: String,
    /// The command as the case file writes it (`{unix_ms: 100}` unresolved).
    pub written: String,
    /// Replies as redis-cli prints them.
    pub expected: String,
    pub actual: String,
    pub reason: String,
    pub note: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct AbortEntry {
    pub file: String,
    pub line: usize,
    pub command: String,
    pub error: String,
}

#[derive(Debug, Serialize)]
pub struct BaselineInfo {
    pub file: String,
    pub known: usize,
    /// Entries whose cases now pass: they can be removed.
    pub fixed: Vec<crate::cases::baseline::Entry>,
}

fn relative(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn failure(f: &Failure, base: &Path) -> FailureEntry {
    FailureEntry {
        file: relative(&f.at.file, base),
        line: f.at.line,
        command: f.command.clone(),
        written: f.written.clone(),
        expected: f.expected.to_string(),
        actual: f.actual.to_string(),
        reason: f.reason.clone(),
        note: f.note.clone(),
    }
}

/// The document for a run; `error` is why it could not finish, if it could not.
pub fn document(verdict: &Verdict, base: &Path, error: Option<String>) -> Document {
    let report = verdict.suite;
    let mut counts = Counts::default();
    let mut cases = Vec::with_capacity(report.cases.len());
    for (i, c) in report.cases.iter().enumerate() {
        let status = verdict.status(i);
        counts.add(status);
        let known = verdict.known[i];
        let reason = match (&c.outcome, known) {
            (_, Some(entry)) => Some(entry.reason.clone()),
            (Outcome::Skipped { reason }, _) => Some(reason.clone()),
            _ => None,
        };
        let aborted = match &c.outcome {
            Outcome::Aborted {
                at, command, error, ..
            } => Some(AbortEntry {
                file: relative(&at.file, base),
                line: at.line,
                command: command.clone(),
                error: error.clone(),
            }),
            _ => None,
        };
        cases.push(CaseEntry {
            file: relative(&c.file, base),
            line: c.line,
            case: c.case.clone(),
            command: c.command.clone(),
            protocol: protocol_number(c.protocol),
            status: status.name(),
            reason,
            link: known.and_then(|e| e.link.clone()),
            steps: c.steps.into(),
            failures: c
                .outcome
                .failures()
                .iter()
                .map(|f| failure(f, base))
                .collect(),
            aborted,
            unsupported: c.unsupported.clone(),
        });
    }
    let commands = capabilities::commands(verdict)
        .into_iter()
        .map(|row| CommandEntry {
            command: row.command,
            protocol: protocol_number(row.protocol),
            supported: row.support.name(),
            reason: row.support.reason().map(str::to_string),
            cases: row.counts,
        })
        .collect();
    let (cleanup, cleanup_error, cleanup_keys, cleanup_existed) = match &report.cleanup {
        Cleanup::Clean => ("clean", None, 0, 0),
        Cleanup::Swept { keys, existed } => ("swept", None, *keys, *existed),
        Cleanup::Failed { error, keys, .. } => ("failed", Some(error.clone()), *keys, 0),
    };
    Document {
        schema: "hashcheck-report",
        schema_version: SCHEMA_VERSION,
        hashcheck_version: env!("CARGO_PKG_VERSION"),
        target: TargetInfo {
            name: report.target.clone(),
            product: report.identity.product.clone(),
            version: report.identity.version.clone(),
            redis_version: report.identity.redis_version.clone(),
        },
        run: RunInfo {
            key_prefix: report.key_prefix.clone(),
            details: report.details.name(),
            elapsed_ms: report.elapsed.as_millis() as u64,
            stopped: report.stop.as_ref().map(|s| match s {
                Stop::FailFast => "fail-fast",
                Stop::TargetFailed => "target-failed",
                Stop::Interrupted => "interrupted",
            }),
            not_run: report.not_run,
            cleanup,
            cleanup_error,
            cleanup_keys,
            cleanup_existed,
            partition: report.partition.map(|p| p.to_string()),
        },
        summary: Summary {
            passed: verdict.passed() && error.is_none(),
            cases: counts,
            steps: report.steps().into(),
        },
        commands,
        cases,
        baseline: verdict.baseline.map(|path| BaselineInfo {
            file: path.display().to_string(),
            known: (0..report.cases.len())
                .filter(|&i| verdict.status(i) == Status::Known)
                .count(),
            fixed: verdict.fixed.iter().map(|e| (*e).clone()).collect(),
        }),
        error,
    }
}

/// The document as pretty-printed JSON, with a final newline.
pub fn render(verdict: &Verdict, base: &Path, error: Option<String>) -> String {
    let doc = document(verdict, base, error);
    serde_json::to_string_pretty(&doc).expect("the report serializes") + "\n"
}
