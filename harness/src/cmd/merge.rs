//! `hashcheck merge`: puts the work of several CI jobs or machines back together.
//!
//! - JSON reports of `run --format json` (one per `--partition` share): one report of the
//!   whole run, in any of `run`'s formats, judged against a baseline as one run is (see
//!   [`crate::cases::merge`]). Exit 0, 1 or 2 as `run` would have exited.
//! - Directories of cases written by `hashcheck fuzz --out` (one per machine, e.g. each
//!   running its own `--lanes-from`): one case per kind of divergence (the `# Signature:`
//!   line each written case carries), the one with the fewest steps, copied to `--out`.
//!   Exit 1 when any divergence was found, 0 when none, as `fuzz` exits.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};

use crate::cases::baseline::{self, Verdict};
use crate::cases::format::{self, Step};
use crate::cases::merge::merge_files;
use crate::cmd::run::{case_files, run_error, write_reports, Outputs};
use crate::fuzz::written::SIGNATURE;

/// What `hashcheck merge` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct MergeRequest {
    /// JSON reports, or fuzz output directories (not both).
    pub inputs: Vec<PathBuf>,
    /// Known differences, applied to the merged run.
    pub baseline: Option<PathBuf>,
    /// The reports to write, as `run` writes them.
    pub outputs: Outputs,
    /// Where the deduplicated fuzz cases go.
    pub out: Option<PathBuf>,
}

/// Merges; `Ok(true)` when the whole passed (or no divergence was found).
pub fn execute(request: &MergeRequest) -> anyhow::Result<bool> {
    let dirs = request.inputs.iter().filter(|p| p.is_dir()).count();
    match dirs {
        0 => merge_reports(request),
        n if n == request.inputs.len() => merge_findings(request),
        _ => bail!(
            "give either JSON reports (of `run --format json`) or directories of fuzz cases \
             (of `fuzz --out`), not both"
        ),
    }
}

fn merge_reports(request: &MergeRequest) -> anyhow::Result<bool> {
    if request.out.is_some() {
        bail!("--out is for merging fuzz case directories; JSON reports merge to stdout, --junit, --markdown");
    }
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let merged = merge_files(&request.inputs)?;
    let known = match &request.baseline {
        Some(path) => Some((baseline::load(path)?, path.as_path())),
        None => None,
    };
    let report = &merged.report;
    let verdict = match &known {
        Some((b, path)) => Verdict::judge(report, b, path),
        None => Verdict::plain(report),
    };
    // A job that could not finish makes the whole run one that could not (exit 2).
    let error = merged.error.clone().or_else(|| run_error(report));
    write_reports(&verdict, error.as_deref(), &cwd, &request.outputs)?;
    if let Some(error) = error {
        bail!(error);
    }
    Ok(verdict.passed())
}

/// One written case: its file, the kind of divergence it shows, and its size.
struct Finding {
    path: PathBuf,
    kind: String,
    steps: usize,
}

fn merge_findings(request: &MergeRequest) -> anyhow::Result<bool> {
    let Some(out) = &request.out else {
        bail!("merging fuzz case directories needs --out DIR, where the merged cases go");
    };
    if request.baseline.is_some()
        || request.outputs.junit.is_some()
        || request.outputs.markdown.is_some()
        || request.outputs.write_baseline.is_some()
    {
        bail!("--baseline, --junit, --markdown and --write-baseline are for JSON reports, not fuzz cases");
    }
    let out_abs = std::fs::canonicalize(out).ok();
    let mut found = Vec::new();
    for dir in &request.inputs {
        if out_abs.is_some() && std::fs::canonicalize(dir).ok() == out_abs {
            bail!(
                "--out {} is also an input; merge into a new directory",
                out.display()
            );
        }
        for path in case_files(dir)? {
            found.push(finding(&path)?);
        }
    }
    // Per kind, the case with the fewest steps (then the first by path).
    let mut kinds: BTreeMap<&str, &Finding> = BTreeMap::new();
    for f in &found {
        let best = kinds.entry(&f.kind).or_insert(f);
        if (f.steps, &f.path) < (best.steps, &best.path) {
            *best = f;
        }
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    for f in kinds.values() {
        let written = copy_new(&f.path, out)?;
        println!("{}: {}", written.display(), f.kind);
    }
    println!(
        "{} cases from {} directories: {} kinds of divergence written to {} ({} duplicates left out)",
        found.len(),
        request.inputs.len(),
        kinds.len(),
        out.display(),
        found.len() - kinds.len()
    );
    Ok(kinds.is_empty())
}

/// Reads a written case's kind; a case without a `# Signature:` line (written by hand, or
/// by an older hashcheck) is a kind of its own, named by its behaviour and case.
fn finding(path: &Path) -> anyhow::Result<Finding> {
    let file = format::load(path)?;
    let kind = file
        .header
        .iter()
        .find_map(|line| line.strip_prefix(SIGNATURE))
        .map(str::to_string)
        .unwrap_or_else(|| {
            let names: Vec<&str> = file.cases.iter().map(|c| c.name.as_str()).collect();
            format!("{} [{}]", file.behaviour, names.join(", "))
        });
    let steps = file
        .cases
        .iter()
        .flat_map(|c| &c.steps)
        .filter(|s| matches!(s, Step::Send(_)))
        .count();
    Ok(Finding {
        path: path.to_path_buf(),
        kind,
        steps,
    })
}

/// Copies `from` into `dir` under its own name, or `name-2.yaml`... if that is taken.
fn copy_new(from: &Path, dir: &Path) -> anyhow::Result<PathBuf> {
    let stem = from.file_stem().unwrap_or_default().to_string_lossy();
    let mut to = dir.join(format!("{stem}.yaml"));
    let mut n = 2;
    while to.exists() {
        to = dir.join(format!("{stem}-{n}.yaml"));
        n += 1;
    }
    std::fs::copy(from, &to)
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    Ok(to)
}
