//! hashcheck as a CI gate for other implementations: legal differences pass, unsupported
//! commands are not failures, the reports (JSON, JUnit against its XSD, Markdown) and
//! baselines, and the safety of runs against real servers: connections that hang, close or
//! answer garbage; a non-empty database; no keys left behind; a target killed mid-run;
//! Ctrl-C; TLS, AUTH and db in URLs.

mod capabilities;
mod lawful;
mod misbehaving;
mod redis;
mod reports;
mod tls;

use std::time::Duration;

use hashcheck::cases::runner::suite::SuiteReport;
use hashcheck::cases::runner::{self, Details, RunOptions, RunState};
use hashcheck::targets::ServerIdentity;
use reference_engine::Protocol;

use crate::support::{self, fake::FakeTarget};

/// Runs every case of `cases/`, in each protocol it lists, each on a fresh
/// `target(protocol)`, as one suite on a target named `name` that says it is `identity`.
fn run_everywhere(
    name: &str,
    identity: ServerIdentity,
    details: Details,
    target: impl Fn(Protocol) -> FakeTarget,
) -> SuiteReport {
    let files = support::load_dir(&support::workspace().join("cases"));
    let state = RunState::new();
    let options = RunOptions {
        details,
        ..RunOptions::default()
    };
    let mut cases = Vec::new();
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        for file in &files {
            for (i, case) in file.cases.iter().enumerate() {
                if case.resp.contains(&protocol) {
                    let mut target = target(protocol);
                    cases.push(runner::run_case(&mut target, file, i, &state, &options));
                }
            }
        }
    }
    SuiteReport {
        identity,
        target: name.into(),
        details: details.resolve(false),
        cases,
        stopped_early: false,
        stop: None,
        not_run: 0,
        key_prefix: String::new(),
        cleanup: Default::default(),
        elapsed: Duration::ZERO,
        partition: None,
    }
}
