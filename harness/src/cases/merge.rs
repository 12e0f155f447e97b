//! `hashcheck merge`: the JSON reports of a suite split across jobs (`run --partition I/N`),
//! read back and put together as one run, so that every report writer, and a baseline,
//! work on the whole as they do on a single run.
//!
//! What a merge refuses (each is a one-line error, exit 2), because the result would not be
//! the report of one run:
//! - a file that is not a hashcheck run report of this schema version and hashcheck version;
//! - reports from different servers (product, version or `redis_version` differ) or judged
//!   in different detail modes;
//! - overlapping shares: one case run (file, case, protocol) in two reports, or one
//!   partition twice;
//! - a missing share: partitions of N where some I is absent (its cases would silently be
//!   missing from the total).
//!
//! Replies come back as the text the reports hold (redis-cli's rendering), which is all
//! any report prints of them. The target's address may differ between jobs (each job starts
//! its own server); the merged report names every address.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context as _};
use reference_engine::{Protocol, Reply};
use serde::Deserialize;

use crate::cases::format::case_path;
use crate::cases::format::Location;
use crate::cases::report::json::SCHEMA_VERSION;
use crate::cases::runner::partition::Partition;
use crate::cases::runner::suite::{Cleanup, Stop, SuiteReport};
use crate::cases::runner::{CaseReport, Details, Failure, Outcome, StepCounts, Unsupported};
use crate::targets::ServerIdentity;

/// The fields of a JSON report (docs/report-format.md) that a merge reads back.
#[derive(Debug, Deserialize)]
struct Document {
    schema: String,
    schema_version: u32,
    hashcheck_version: String,
    target: Target,
    run: Run,
    cases: Vec<Case>,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Target {
    name: String,
    product: String,
    version: String,
    redis_version: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Run {
    key_prefix: String,
    details: String,
    elapsed_ms: u64,
    stopped: Option<String>,
    not_run: usize,
    cleanup: String,
    cleanup_error: Option<String>,
    #[serde(default)]
    cleanup_keys: usize,
    #[serde(default)]
    cleanup_existed: i64,
    #[serde(default)]
    partition: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Case {
    file: String,
    line: usize,
    case: String,
    command: String,
    protocol: u8,
    status: String,
    reason: Option<String>,
    steps: Steps,
    failures: Vec<FailureEntry>,
    aborted: Option<Abort>,
    #[serde(default)]
    unsupported: Option<Unsupported>,
}

#[derive(Debug, Deserialize)]
struct Steps {
    passed: usize,
    failed: usize,
    skipped: usize,
}

#[derive(Debug, Deserialize)]
struct FailureEntry {
    file: String,
    line: usize,
    command: String,
    #[serde(default)]
    written: Option<String>,
    expected: String,
    actual: String,
    reason: String,
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Abort {
    file: String,
    line: usize,
    command: String,
    error: String,
}

/// The reports of several jobs as one run.
#[derive(Debug)]
pub struct Merged {
    pub report: SuiteReport,
    /// Why some job could not finish (`file: error`, joined), as `run` would have said.
    pub error: Option<String>,
}

/// Reads the reports at `paths` and merges them (see the module doc for what is refused).
pub fn merge_files(paths: &[PathBuf]) -> anyhow::Result<Merged> {
    let mut docs = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let doc: Document = serde_json::from_str(&text).with_context(|| {
            format!(
                "{}: not a hashcheck JSON report (`run --format json`)",
                path.display()
            )
        })?;
        docs.push((path.as_path(), doc));
    }
    merge(docs)
}

fn merge(docs: Vec<(&Path, Document)>) -> anyhow::Result<Merged> {
    let Some((first_path, first)) = docs.first() else {
        bail!("no report to merge");
    };
    for (path, doc) in &docs {
        let path = path.display();
        if doc.schema != "hashcheck-report" || doc.schema_version != SCHEMA_VERSION {
            bail!(
                "{path}: schema {} version {}; this hashcheck merges hashcheck-report version \
                 {SCHEMA_VERSION}",
                doc.schema,
                doc.schema_version
            );
        }
        let what = |d: &Document| {
            format!(
                "hashcheck {}, {} {} (redis_version {}), details {}",
                d.hashcheck_version,
                d.target.product,
                d.target.version,
                d.target.redis_version.as_deref().unwrap_or("none"),
                d.run.details
            )
        };
        if what(doc) != what(first) {
            bail!(
                "{path} ({}) and {} ({}) are not shares of one run: merging them would mix \
                 different servers or versions",
                what(doc),
                first_path.display(),
                what(first)
            );
        }
    }
    check_partitions(&docs)?;

    let mut seen: HashMap<(String, String, u8), &Path> = HashMap::new();
    let mut cases = Vec::new();
    let mut errors = Vec::new();
    for (path, doc) in &docs {
        for case in &doc.cases {
            let id = (
                case_path(Path::new(&case.file)),
                case.case.clone(),
                case.protocol,
            );
            if let Some(other) = seen.insert(id, path) {
                bail!(
                    "{}:{} {:?} (RESP{}) is in both {} and {}: the reports overlap",
                    case.file,
                    case.line,
                    case.case,
                    case.protocol,
                    other.display(),
                    path.display()
                );
            }
            cases.push(
                case_report(case, &doc.target.name)
                    .with_context(|| format!("{}: case {:?}", path.display(), case.case))?,
            );
        }
        if let Some(e) = &doc.error {
            errors.push(format!("{}: {e}", path.display()));
        }
    }
    // The order of one run: by file, then case, then protocol.
    cases.sort_by(|a, b| {
        (&a.file, a.line, a.protocol.version()).cmp(&(&b.file, b.line, b.protocol.version()))
    });

    let mut names: Vec<&str> = Vec::new();
    for (_, doc) in &docs {
        if !names.contains(&doc.target.name.as_str()) {
            names.push(&doc.target.name);
        }
    }
    let report = SuiteReport {
        identity: ServerIdentity {
            product: first.target.product.clone(),
            version: first.target.version.clone(),
            redis_version: first.target.redis_version.clone(),
        },
        target: names.join(", "),
        details: if first.run.details == "strict" {
            Details::Strict
        } else {
            Details::Legal
        },
        cases,
        stopped_early: docs.iter().any(|(_, d)| d.run.not_run > 0),
        stop: docs
            .iter()
            .filter_map(|(_, d)| stop(d))
            .max_by_key(severity),
        not_run: docs.iter().map(|(_, d)| d.run.not_run).sum(),
        key_prefix: common_prefix(docs.iter().map(|(_, d)| d.run.key_prefix.as_str())),
        cleanup: cleanup(&docs),
        // The jobs ran side by side: the run took as long as the slowest.
        elapsed: docs
            .iter()
            .map(|(_, d)| Duration::from_millis(d.run.elapsed_ms))
            .max()
            .unwrap_or_default(),
        partition: None,
    };
    Ok(Merged {
        report,
        error: (!errors.is_empty()).then(|| errors.join("; ")),
    })
}

/// Reports that say they are shares must be all of them, once each.
fn check_partitions(docs: &[(&Path, Document)]) -> anyhow::Result<()> {
    let mut shares: BTreeMap<u32, &Path> = BTreeMap::new();
    let mut count = None;
    for (path, doc) in docs {
        let Some(text) = &doc.run.partition else {
            if docs.iter().any(|(_, d)| d.run.partition.is_some()) {
                bail!(
                    "{} is not a partition, but other reports are: give all the shares of one \
                     split run",
                    path.display()
                );
            }
            continue;
        };
        let p: Partition = text
            .parse()
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        if *count.get_or_insert(p.count) != p.count {
            bail!(
                "{} is partition {p}, but another report splits the cases {} ways",
                path.display(),
                count.unwrap_or_default()
            );
        }
        if let Some(other) = shares.insert(p.index, path) {
            bail!(
                "partition {p} twice, in {} and {}: the reports overlap",
                other.display(),
                path.display()
            );
        }
    }
    if let Some(count) = count {
        let missing: Vec<String> = (1..=count)
            .filter(|i| !shares.contains_key(i))
            .map(|i| format!("{i}/{count}"))
            .collect();
        if !missing.is_empty() {
            bail!(
                "partition {} missing: the merged report would lack its cases",
                missing.join(", ")
            );
        }
    }
    Ok(())
}

fn protocol(n: u8) -> anyhow::Result<Protocol> {
    match n {
        2 => Ok(Protocol::Resp2),
        3 => Ok(Protocol::Resp3),
        other => bail!("protocol {other} (2 or 3 expected)"),
    }
}

fn failure(f: &FailureEntry) -> Failure {
    Failure {
        at: Location {
            file: PathBuf::from(&f.file),
            line: f.line,
        },
        command: f.command.clone(),
        written: f.written.clone().unwrap_or_else(|| f.command.clone()),
        // A simple reply prints as its text: the rendering the report kept.
        expected: Reply::Simple(f.expected.clone()),
        actual: Reply::Simple(f.actual.clone()),
        reason: f.reason.clone(),
        note: f.note.clone(),
    }
}

/// One case run as the job's runner reported it. A `known` case is a failure again: the
/// merge's own baseline decides what is known.
fn case_report(c: &Case, target: &str) -> anyhow::Result<CaseReport> {
    let failures: Vec<Failure> = c.failures.iter().map(failure).collect();
    let skipped = || Outcome::Skipped {
        reason: c.reason.clone().unwrap_or_default(),
    };
    let outcome = match c.status.as_str() {
        "pass" => Outcome::Pass,
        "fail" | "known" => Outcome::Fail(failures),
        "skipped" | "unsupported" => skipped(),
        "aborted" => {
            let a = c
                .aborted
                .as_ref()
                .context("status aborted without an `aborted` entry")?;
            Outcome::Aborted {
                at: Location {
                    file: PathBuf::from(&a.file),
                    line: a.line,
                },
                command: a.command.clone(),
                error: a.error.clone(),
                failures,
            }
        }
        other => bail!("unknown status {other:?}"),
    };
    if c.status == "unsupported" && c.unsupported.is_none() {
        bail!("status unsupported without what is lacking (a report of an older hashcheck)");
    }
    Ok(CaseReport {
        file: PathBuf::from(&c.file),
        case: c.case.clone(),
        command: c.command.clone(),
        line: c.line,
        protocol: protocol(c.protocol)?,
        target: target.to_string(),
        outcome,
        steps: StepCounts {
            passed: c.steps.passed,
            failed: c.steps.failed,
            skipped: c.steps.skipped,
        },
        actuals: Vec::new(),
        unsupported: if c.status == "unsupported" {
            c.unsupported.clone()
        } else {
            None
        },
    })
}

fn stop(doc: &Document) -> Option<Stop> {
    match doc.run.stopped.as_deref()? {
        "fail-fast" => Some(Stop::FailFast),
        "target-failed" => Some(Stop::TargetFailed),
        _ => Some(Stop::Interrupted),
    }
}

fn severity(stop: &Stop) -> u8 {
    match stop {
        Stop::FailFast => 0,
        Stop::TargetFailed => 1,
        Stop::Interrupted => 2,
    }
}

/// The worst cleanup of the jobs, with their key counts added up.
fn cleanup(docs: &[(&Path, Document)]) -> Cleanup {
    let mut result = Cleanup::Clean;
    for (_, d) in docs {
        let (keys, existed) = (d.run.cleanup_keys, d.run.cleanup_existed);
        result = match (result, d.run.cleanup.as_str()) {
            (
                Cleanup::Failed {
                    keys: k,
                    prefix,
                    error,
                },
                _,
            ) => Cleanup::Failed {
                keys: k + keys,
                prefix,
                error,
            },
            (_, "failed") => Cleanup::Failed {
                keys,
                prefix: d.run.key_prefix.clone(),
                error: d.run.cleanup_error.clone().unwrap_or_default(),
            },
            (
                Cleanup::Swept {
                    keys: k,
                    existed: e,
                },
                _,
            ) => Cleanup::Swept {
                keys: k + keys,
                existed: e + existed,
            },
            (Cleanup::Clean, "swept") => Cleanup::Swept { keys, existed },
            (clean, _) => clean,
        };
    }
    result
}

/// What every job's keys start with (`hc:` for jobs with different run ids).
fn common_prefix<'a>(mut prefixes: impl Iterator<Item = &'a str>) -> String {
    let Some(first) = prefixes.next() else {
        return String::new();
    };
    let mut common = first.to_string();
    for p in prefixes {
        let n = common
            .char_indices()
            .zip(p.chars())
            .take_while(|((_, a), b)| a == b)
            .count();
        let end = common
            .char_indices()
            .nth(n)
            .map_or(common.len(), |(i, _)| i);
        common.truncate(end);
    }
    common
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_prefix_of_run_ids() {
        let p = ["hc:1a2b:", "hc:1a3c:"];
        assert_eq!(common_prefix(p.into_iter()), "hc:1a");
        assert_eq!(common_prefix(["hc:x:"].into_iter()), "hc:x:");
    }
}
