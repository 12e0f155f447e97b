//! `hashcheck run`: find the case files, load them all (a bad file stops the run before
//! anything is sent), run them, print the report, and with `--bless` write the observed
//! replies back.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use reference_engine::Protocol;

use super::bless::{bless, Blessed};
use super::suite::{run_suite, Filter, SuiteOptions, TargetSpec};
use super::{Outcome, RunOptions};
use crate::case::{self, CaseFile};
use crate::compare::ErrorMatch;
use crate::report::{self, Style};

/// What `hashcheck run` was asked to do.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// Case files or directories; empty means the workspace's `cases/`.
    pub paths: Vec<PathBuf>,
    /// None: the embedded engine.
    pub target: Option<String>,
    pub protocols: Vec<Protocol>,
    pub filter: Option<String>,
    pub fail_fast: bool,
    /// None: chosen from the CPU count and the kind of target.
    pub jobs: Option<usize>,
    pub bless: bool,
    pub allow_debug: bool,
    pub errors: ErrorMatch,
}

/// Runs the request; `Ok(true)` when everything checked passed. `Err` is a run that could
/// not be carried out (bad case file, unreachable target, broken connection).
pub fn execute(request: &RunRequest) -> anyhow::Result<bool> {
    let target = TargetSpec::new(request.target.as_deref().unwrap_or("embedded"));
    if request.bless && target.is_embedded() {
        bail!(
            "--bless writes the target's replies into the case files, so it needs a real server \
             (--target host:port); the embedded engine must not become its own oracle"
        );
    }
    if request.bless && request.protocols.len() != 2 {
        bail!("--bless needs the replies of both protocols; drop --resp");
    }
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let paths = if request.paths.is_empty() {
        vec![default_cases_dir(&cwd)?]
    } else {
        request.paths.clone()
    };
    let mut files = Vec::new();
    for path in &paths {
        for file in case_files(path)? {
            files.push(case::load(&file)?);
        }
    }
    if files.is_empty() {
        bail!("no case files (*.yaml) in {}", display_list(&paths));
    }

    let jobs = request.jobs.unwrap_or_else(|| default_jobs(&target));
    let options = SuiteOptions {
        target,
        protocols: request.protocols.clone(),
        jobs,
        fail_fast: request.fail_fast,
        filter: request.filter.clone().map(Filter::new),
        run: RunOptions {
            errors: request.errors,
            allow_debug: request.allow_debug,
            record_actuals: request.bless,
        },
    };
    let report = run_suite(&files, &options)?;
    print!(
        "{}",
        report::suite(&report, &cwd, Style::for_stream(&std::io::stdout()))
    );

    if let Some(broken) = report.cases.iter().find_map(|c| match &c.outcome {
        Outcome::Aborted { at, error, .. } => Some(format!("{at}: {error}")),
        _ => None,
    }) {
        bail!("the run did not finish: {broken}");
    }
    if report.cases.is_empty() {
        bail!("no case matched the filter");
    }
    if request.bless {
        let blessed = bless(&files, &report.cases);
        let steps: usize = blessed.iter().map(|b| b.changes.len()).sum();
        for (b, original) in blessed
            .iter()
            .map(|b| (b, files.iter().find(|f| f.path == b.file.path)))
        {
            write_atomically(&b.file.path, &blessed_text(b, original)?)?;
        }
        println!("blessed {steps} steps in {} files", blessed.len());
        return Ok(true);
    }
    Ok(report.passed())
}

/// The `cases/` directory of the workspace: in the current directory or one above it.
pub fn default_cases_dir(cwd: &Path) -> anyhow::Result<PathBuf> {
    cwd.ancestors()
        .map(|dir| dir.join("cases"))
        .find(|dir| dir.is_dir())
        .map(|dir| relative_to(&dir, cwd))
        .with_context(|| {
            format!(
                "no cases/ directory in {} or above it; name the case files or directories to run",
                cwd.display()
            )
        })
}

fn relative_to(path: &Path, base: &Path) -> PathBuf {
    path.strip_prefix(base)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

/// `path` itself if it is a file, else every `*.yaml` below it, sorted.
pub fn case_files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path).with_context(|| format!("{}", path.display()))?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut dirs = vec![path.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).with_context(|| format!("{}", dir.display()))? {
            let entry = entry?.path();
            if entry.is_dir() {
                dirs.push(entry);
            } else if entry.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(entry);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Waiting cases are idle time on a server, so a network run uses at least 16 jobs; the
/// engine's clock is virtual and its cases are CPU-bound.
fn default_jobs(target: &TargetSpec) -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    if target.is_embedded() {
        cpus
    } else {
        cpus.max(16)
    }
}

fn display_list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The file's text with the new expectations, after checking that the file on disk is
/// still the one that ran and that the edit says what was meant.
fn blessed_text(b: &Blessed, ran: Option<&CaseFile>) -> anyhow::Result<String> {
    let path = &b.file.path;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    if ran.is_none_or(|ran| case::load_str(path, &text).ok().as_ref() != Some(ran)) {
        bail!("{} changed during the run; not blessed", path.display());
    }
    let edited = case::replace_expectations(&text, &b.changes).with_context(|| {
        format!(
            "{}: cannot find the expect: lines to rewrite",
            path.display()
        )
    })?;
    let reloaded = case::load_str(path, &edited)?;
    if reloaded.without_lines() != b.file.without_lines() {
        bail!(
            "{}: rewriting the expectations went wrong; not blessed",
            path.display()
        );
    }
    Ok(edited)
}

/// Replaces `path` by writing a sibling file and renaming it over, so an interrupted bless
/// never leaves half a case file.
fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let tmp = path.with_extension("yaml.tmp");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}
