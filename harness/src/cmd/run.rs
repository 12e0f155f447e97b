//! `hashcheck run`: find the case files, load them all (a bad file stops the run before
//! anything is sent), run them, judge them against a baseline if there is one, print the
//! report (text or JSON), write the JUnit/Markdown/baseline files asked for, and with
//! `--bless` write the observed replies back.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use reference_engine::Protocol;

use crate::cases::baseline::{self, Verdict};
use crate::cases::format::{self, CaseFile};
use crate::cases::report::{self, Style};
use crate::cases::runner::bless::{bless, Blessed};
use crate::cases::runner::partition::Partition;
use crate::cases::runner::suite::{
    run_suite, Cleanup, Filter, Stop, SuiteOptions, SuiteReport, TargetSpec,
};
use crate::cases::runner::{Details, Outcome, RunOptions};
use crate::compare::ErrorMatch;
use crate::targets::ConnectOptions;

/// What `hashcheck run` was asked to do.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// Case files or directories; empty means the workspace's `cases/`.
    pub paths: Vec<PathBuf>,
    /// None: the embedded engine.
    pub target: Option<String>,
    pub protocols: Vec<Protocol>,
    pub filter: Option<String>,
    /// Only this share of the cases (`--partition I/N`).
    pub partition: Option<Partition>,
    pub fail_fast: bool,
    /// None: chosen from the CPU count and the kind of target.
    pub jobs: Option<usize>,
    pub bless: bool,
    pub allow_debug: bool,
    /// Run `requires: [databases]` cases on a server (a throwaway one).
    pub allow_databases: bool,
    pub errors: ErrorMatch,
    /// Whether Redis's own choices are checked (see [`Details`]).
    pub details: Details,
    /// Timeouts and TLS.
    pub connect: ConnectOptions,
    /// Run even if the database already holds keys.
    pub allow_nonempty: bool,
    /// What goes to stdout.
    pub format: Format,
    /// Also write JUnit XML here.
    pub junit: Option<PathBuf>,
    /// Also write a Markdown command matrix here.
    pub markdown: Option<PathBuf>,
    /// Known differences: only failures outside it fail the run.
    pub baseline: Option<PathBuf>,
    /// Write the run's failures as a baseline here.
    pub write_baseline: Option<PathBuf>,
}

impl Default for RunRequest {
    fn default() -> Self {
        Self {
            paths: Vec::new(),
            target: None,
            protocols: vec![Protocol::Resp2, Protocol::Resp3],
            filter: None,
            partition: None,
            fail_fast: false,
            jobs: None,
            bless: false,
            allow_debug: false,
            allow_databases: false,
            errors: ErrorMatch::Exact,
            details: Details::Auto,
            connect: ConnectOptions::default(),
            allow_nonempty: false,
            format: Format::Human,
            junit: None,
            markdown: None,
            baseline: None,
            write_baseline: None,
        }
    }
}

/// The report on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// For people: diffs, skips, the command table, a summary line.
    #[default]
    Human,
    /// One JSON document (docs/report-format.md).
    Json,
}

impl RunRequest {
    /// The protocols the cases run in.
    pub fn run_protocols(&self) -> &[Protocol] {
        &self.protocols
    }

    /// The target with this request's timeouts, reply limit and TLS settings.
    pub fn target_spec(&self, spec: &str) -> TargetSpec {
        TargetSpec {
            spec: spec.to_string(),
            connect: self.connect.clone(),
        }
    }

    /// The suite options for `target`.
    pub fn suite_options(&self, target: TargetSpec) -> SuiteOptions {
        let jobs = self.jobs.unwrap_or_else(|| default_jobs(&target));
        SuiteOptions {
            target,
            protocols: self.protocols.clone(),
            jobs,
            fail_fast: self.fail_fast,
            filter: self.filter.clone().map(Filter::new),
            partition: self.partition,
            run: RunOptions {
                errors: self.errors,
                allow_debug: self.allow_debug,
                allow_databases: self.allow_databases,
                record_actuals: self.bless,
                details: self.details,
            },
            allow_nonempty: self.allow_nonempty,
        }
    }
}

/// Runs the request; `Ok(true)` when everything checked passed (failures a baseline covers
/// allowed). `Err` is a run that could not be carried out (bad case file, unreachable target,
/// a connection that broke, an interrupt); the reports of what did run are written first.
pub fn execute(request: &RunRequest) -> anyhow::Result<bool> {
    let target = request.target_spec(request.target.as_deref().unwrap_or("embedded"));
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
    let files = load_cases(&request.paths, &cwd)?;
    if !target.is_embedded() {
        check_allowed(&files, request.allow_debug)?;
    }
    let baseline = match &request.baseline {
        Some(path) => Some((baseline::load(path)?, path.as_path())),
        None => None,
    };

    let options = request.suite_options(target);
    let report = run_suite(&files, &options)?;
    let verdict = match &baseline {
        Some((b, path)) => Verdict::judge(&report, b, path),
        None => Verdict::plain(&report),
    };
    let mut error = run_error(&report);
    if report.cases.is_empty() && request.partition.is_some() && request.filter.is_none() {
        // A small suite split many ways can leave a share empty: that job has nothing to
        // do, which is not a failure (and its report still counts for `hashcheck merge`).
        if error.as_deref() == Some(NOTHING_MATCHED) {
            eprintln!("hashcheck: no case falls in this partition");
            error = None;
        }
    }
    write_reports(&verdict, error.as_deref(), &cwd, &request.outputs())?;
    if let Some(error) = error {
        bail!(error);
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
    Ok(verdict.passed())
}

const NOTHING_MATCHED: &str = "no case matched the filter";

/// Why a run that produced a report still did not do its job: the target failed, the run was
/// interrupted, nothing matched, or keys could not be cleaned up.
pub fn run_error(report: &SuiteReport) -> Option<String> {
    if let Some(broken) = report.cases.iter().find_map(|c| match &c.outcome {
        Outcome::Aborted {
            at, command, error, ..
        } => Some(format!("{at}: {command}: {error}")),
        _ => None,
    }) {
        return Some(format!("the run did not finish: {broken}"));
    }
    if report.stop == Some(Stop::Interrupted) {
        return Some(format!(
            "interrupted after {} case runs ({} not started)",
            report.cases.len(),
            report.not_run
        ));
    }
    if let Cleanup::Failed {
        keys,
        prefix,
        error,
    } = &report.cleanup
    {
        return Some(format!(
            "could not delete {keys} keys under {prefix}*: {error}"
        ));
    }
    if report.cases.is_empty() {
        // Files without cases were refused when loaded, so a filter left nothing.
        return Some(NOTHING_MATCHED.to_string());
    }
    None
}

/// Every case file under `paths` (default: the workspace's `cases/`), loaded; the first bad
/// file stops everything, so nothing is sent.
pub fn load_cases(paths: &[PathBuf], cwd: &Path) -> anyhow::Result<Vec<CaseFile>> {
    let paths = if paths.is_empty() {
        vec![default_cases_dir(cwd)?]
    } else {
        paths.to_vec()
    };
    let mut files = Vec::new();
    for path in &paths {
        for file in case_files(path)? {
            files.push(format::load(&file)?);
        }
    }
    if files.is_empty() {
        bail!("no case files (*.yaml) in {}", display_list(&paths));
    }
    if files.iter().all(|f| f.cases.is_empty()) {
        bail!(
            "the case files in {} hold no cases (`cases:` is empty)",
            display_list(&paths)
        );
    }
    Ok(files)
}

/// Refuses the run, before anything is sent, if a file has a step it may not send to a
/// server (see [`crate::cases::runner::allowed`]); the error names the step's `file:line`.
pub fn check_allowed(files: &[CaseFile], allow_debug: bool) -> anyhow::Result<()> {
    for file in files {
        crate::cases::runner::allowed::check_file(file, allow_debug)?;
    }
    Ok(())
}

/// Where the reports of a run go: stdout in `format`, and the files asked for. `hashcheck
/// merge` writes the same ones.
#[derive(Debug, Clone, Default)]
pub struct Outputs {
    pub format: Format,
    pub junit: Option<PathBuf>,
    pub markdown: Option<PathBuf>,
    pub write_baseline: Option<PathBuf>,
}

impl RunRequest {
    fn outputs(&self) -> Outputs {
        Outputs {
            format: self.format,
            junit: self.junit.clone(),
            markdown: self.markdown.clone(),
            write_baseline: self.write_baseline.clone(),
        }
    }
}

/// Prints the report of `verdict` and writes the files `outputs` asks for; `error` is why
/// the run could not finish, if it could not.
pub fn write_reports(
    verdict: &Verdict,
    error: Option<&str>,
    cwd: &Path,
    outputs: &Outputs,
) -> anyhow::Result<()> {
    let error = error.map(str::to_string);
    match outputs.format {
        Format::Human => print!(
            "{}",
            report::gate(verdict, cwd, Style::for_stream(&std::io::stdout()))
        ),
        Format::Json => print!("{}", report::json::render(verdict, cwd, error.clone())),
    }
    if let Some(path) = &outputs.junit {
        write_report(path, &report::junit::render(verdict, cwd))?;
    }
    if let Some(path) = &outputs.markdown {
        write_report(path, &report::markdown::single(verdict, cwd, error))?;
    }
    if let Some(path) = &outputs.write_baseline {
        let written = baseline::from_failures(verdict.suite);
        baseline::save(path, &written)?;
        eprintln!(
            "hashcheck: wrote {} known differences to {}",
            written.known.len(),
            path.display()
        );
    }
    Ok(())
}

fn write_report(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
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
    if ran.is_none_or(|ran| format::load_str(path, &text).ok().as_ref() != Some(ran)) {
        bail!("{} changed during the run; not blessed", path.display());
    }
    let edited = format::replace_expectations(&text, &b.changes).with_context(|| {
        format!(
            "{}: cannot find the expect: lines to rewrite",
            path.display()
        )
    })?;
    let reloaded = format::load_str(path, &edited)?;
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
