//! The case files end to end: loading (with file:line errors), writing back, running
//! against the embedded engine, a fake target and a real Redis, the reports, `--bless`, and
//! the exit codes of the `hashcheck run` binary.

mod binary;
mod load;
mod redis;
mod runner;
mod suite;
mod write;

use std::path::Path;

use hashcheck::cases::format;
use hashcheck::cases::report::{self, Style};
use hashcheck::cases::runner::suite::{run_suite, SuiteOptions, SuiteReport, TargetSpec};
use hashcheck::cases::runner::RunOptions;
use reference_engine::Protocol;

use crate::support;

/// The top of a case file with one case, up to its steps (lines 1-5).
const HEAD: &str = "source: https://redis.io/docs/latest/commands/hset/\nbehaviour: b\ncases:\n  - name: c\n    steps:\n";

fn suite_options(target: TargetSpec) -> SuiteOptions {
    SuiteOptions {
        target,
        protocols: vec![Protocol::Resp2, Protocol::Resp3],
        jobs: 4,
        fail_fast: false,
        filter: None,
        partition: None,
        run: RunOptions::default(),
        allow_nonempty: false,
    }
}

/// Runs every case file under `dir` and renders the report.
fn run_dir(dir: &Path, options: &SuiteOptions) -> (SuiteReport, String) {
    let report = run_suite(&support::load_dir(dir), options).unwrap();
    let text = report::suite(&report, dir, Style::default());
    (report, text)
}

fn basics() -> format::CaseFile {
    format::load(&support::fixtures().join("good/basics.yaml")).unwrap()
}
