//! Baselines: the differences a server is known to have, so that a CI gate fails only on new
//! ones.
//!
//! A baseline is a YAML or JSON file (by its extension: `.json` is JSON, anything else YAML):
//!
//! ```yaml
//! version: 1
//! known:
//!   - command: HGETDEL                      # every case about this command
//!     reason: not implemented yet
//!     link: https://tracker.example/123
//!   - file: hexpire/errors.yaml             # a file (path from any directory boundary on)
//!     case: bad times                       # and one case in it; `case` alone: any file
//!     protocol: 3                           # optional: only in RESP3
//!     reason: different error text
//! ```
//!
//! An entry covers a failing case when everything it names matches. A run with a baseline
//! fails only on failures no entry covers; entries whose cases all ran and passed are
//! reported as fixed, so they can be deleted. `--write-baseline` writes one entry per failing
//! case, with the first mismatch as the reason.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use reference_engine::Protocol;
use serde::{Deserialize, Serialize};

use crate::cases::format::case_path;
use crate::cases::runner::suite::SuiteReport;
use crate::cases::runner::{CaseReport, Outcome};

/// The only version this build reads and writes.
pub const VERSION: u32 = 1;

/// A list of known differences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// The format's version: 1.
    pub version: u32,
    #[serde(default)]
    pub known: Vec<Entry>,
}

/// One known difference: a command, a file, a case, or a combination, with why it is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// A hash command, any case (`HGETDEL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// A case file, as the end of its path from a directory boundary on
    /// (`hexpire/errors.yaml`; `.yaml` may be left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// A case name, exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    /// 2 or 3: only in that protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<u8>,
    /// Why this difference is accepted for now.
    pub reason: String,
    /// Where it is tracked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

impl Entry {
    /// Whether this entry covers `case` (whatever its outcome).
    pub fn matches(&self, case: &CaseReport) -> bool {
        let command = self
            .command
            .as_ref()
            .is_none_or(|c| c.eq_ignore_ascii_case(&case.command));
        let file = self
            .file
            .as_ref()
            .is_none_or(|f| path_ends_with(&case.file, f));
        let name = self.case.as_ref().is_none_or(|n| *n == case.case);
        let protocol = self
            .protocol
            .is_none_or(|p| p == protocol_number(case.protocol));
        command && file && name && protocol
    }

    /// How the entry is named in reports: `HSET`, `hexpire/errors.yaml: bad times (RESP3)`.
    pub fn label(&self) -> String {
        let mut parts = Vec::new();
        if let Some(c) = &self.command {
            parts.push(c.to_ascii_uppercase());
        }
        match (&self.file, &self.case) {
            (Some(f), Some(c)) => parts.push(format!("{f}: {c}")),
            (Some(f), None) => parts.push(f.clone()),
            (None, Some(c)) => parts.push(format!("case {c:?}")),
            (None, None) => {}
        }
        if let Some(p) = self.protocol {
            parts.push(format!("(RESP{p})"));
        }
        parts.join(" ")
    }
}

pub fn protocol_number(p: Protocol) -> u8 {
    match p {
        Protocol::Resp2 => 2,
        Protocol::Resp3 => 3,
    }
}

/// Whether `path` ends with `tail` at a directory boundary, with or without `.yaml`.
fn path_ends_with(path: &Path, tail: &str) -> bool {
    let path = path.to_string_lossy().replace('\\', "/");
    let tail = tail.trim_start_matches("./");
    let stem = path.strip_suffix(".yaml").unwrap_or(&path);
    [path.as_str(), stem]
        .iter()
        .any(|p| p == &tail || p.strip_suffix(tail).is_some_and(|head| head.ends_with('/')))
}

/// Reads a baseline; errors name the file.
pub fn load(path: &Path) -> anyhow::Result<Baseline> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read baseline {}", path.display()))?;
    let baseline: Baseline = if is_json(path) {
        serde_json::from_str(&text).with_context(|| format!("{}", path.display()))?
    } else {
        serde_yaml::from_str(&text).with_context(|| format!("{}", path.display()))?
    };
    if baseline.version != VERSION {
        bail!(
            "{}: baseline version {} (this hashcheck reads version {VERSION})",
            path.display(),
            baseline.version
        );
    }
    for (i, entry) in baseline.known.iter().enumerate() {
        if entry.command.is_none() && entry.file.is_none() && entry.case.is_none() {
            bail!(
                "{}: entry {} names no command, file or case, so it would cover everything",
                path.display(),
                i + 1
            );
        }
        if entry.protocol.is_some_and(|p| p != 2 && p != 3) {
            bail!(
                "{}: entry {}: protocol must be 2 or 3",
                path.display(),
                i + 1
            );
        }
    }
    Ok(baseline)
}

/// Writes a baseline, YAML or JSON by the file's extension.
pub fn save(path: &Path, baseline: &Baseline) -> anyhow::Result<()> {
    let text = if is_json(path) {
        serde_json::to_string_pretty(baseline)? + "\n"
    } else {
        format!(
            "# Known differences for `hashcheck run --baseline`; delete entries once they pass.\n{}",
            serde_yaml::to_string(baseline)?
        )
    };
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

fn is_json(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// A baseline with one entry per failing case of `report` (both protocols in one entry when
/// both failed), its first mismatch as the reason.
pub fn from_failures(report: &SuiteReport) -> Baseline {
    let mut known: Vec<Entry> = Vec::new();
    let mut seen: Vec<(PathBuf, String)> = Vec::new();
    for c in &report.cases {
        let Outcome::Fail(failures) = &c.outcome else {
            continue;
        };
        let id = (c.file.clone(), c.case.clone());
        if seen.contains(&id) {
            continue;
        }
        seen.push(id);
        let failed_in: Vec<u8> = report
            .cases
            .iter()
            .filter(|o| o.file == c.file && o.case == c.case)
            .filter(|o| matches!(o.outcome, Outcome::Fail(_)))
            .map(|o| protocol_number(o.protocol))
            .collect();
        let ran_in = report
            .cases
            .iter()
            .filter(|o| o.file == c.file && o.case == c.case)
            .count();
        let first = &failures[0];
        known.push(Entry {
            command: None,
            file: Some(case_path(&c.file)),
            case: Some(c.case.clone()),
            protocol: (failed_in.len() == 1 && ran_in > 1).then(|| failed_in[0]),
            reason: format!("{}: {}", first.command, first.reason),
            link: None,
        });
    }
    Baseline {
        version: VERSION,
        known,
    }
}

/// A suite's outcome judged against a baseline.
#[derive(Debug, Clone)]
pub struct Verdict<'a> {
    pub suite: &'a SuiteReport,
    /// Where the baseline came from, if there was one.
    pub baseline: Option<&'a Path>,
    /// Per case (indexes of `suite.cases`): the entry that covers its failure.
    pub known: Vec<Option<&'a Entry>>,
    /// Entries that matched cases that ran, none of which failed: they can go.
    pub fixed: Vec<&'a Entry>,
}

/// What became of a case, with the baseline taken into account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Pass,
    /// Failed, and a baseline entry covers it.
    Known,
    Fail,
    /// Skipped as unsupported: a command the target does not know, or an older version.
    Unsupported,
    /// Skipped for another reason (needs --allow-debug, refused).
    Skipped,
    /// The target failed during the case.
    Aborted,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Known => "known",
            Status::Fail => "fail",
            Status::Unsupported => "unsupported",
            Status::Skipped => "skipped",
            Status::Aborted => "aborted",
        }
    }
}

impl<'a> Verdict<'a> {
    /// Without a baseline: every failure counts.
    pub fn plain(suite: &'a SuiteReport) -> Self {
        Self {
            suite,
            baseline: None,
            known: vec![None; suite.cases.len()],
            fixed: Vec::new(),
        }
    }

    pub fn judge(suite: &'a SuiteReport, baseline: &'a Baseline, path: &'a Path) -> Self {
        let known = suite
            .cases
            .iter()
            .map(|c| match c.outcome {
                Outcome::Fail(_) => baseline.known.iter().find(|e| e.matches(c)),
                _ => None,
            })
            .collect();
        let fixed = baseline
            .known
            .iter()
            .filter(|e| {
                let mut ran = suite
                    .cases
                    .iter()
                    .filter(|c| e.matches(c))
                    .filter(|c| matches!(c.outcome, Outcome::Pass | Outcome::Fail(_)))
                    .peekable();
                ran.peek().is_some() && ran.all(|c| c.outcome == Outcome::Pass)
            })
            .collect();
        Self {
            suite,
            baseline: Some(path),
            known,
            fixed,
        }
    }

    /// The status of `suite.cases[i]`.
    pub fn status(&self, i: usize) -> Status {
        let c = &self.suite.cases[i];
        match &c.outcome {
            Outcome::Pass => Status::Pass,
            Outcome::Fail(_) if self.known[i].is_some() => Status::Known,
            Outcome::Fail(_) => Status::Fail,
            Outcome::Skipped { .. } if c.unsupported.is_some() => Status::Unsupported,
            Outcome::Skipped { .. } => Status::Skipped,
            Outcome::Aborted { .. } => Status::Aborted,
        }
    }

    /// No failure outside the baseline (and nothing aborted).
    pub fn passed(&self) -> bool {
        (0..self.suite.cases.len())
            .all(|i| !matches!(self.status(i), Status::Fail | Status::Aborted))
    }
}
