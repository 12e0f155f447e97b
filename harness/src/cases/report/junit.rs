//! `--junit FILE`: the run as JUnit XML, which CI servers (GitHub Actions reporters, GitLab,
//! Jenkins) show as test results. One `<testsuite>` per case file, one `<testcase>` per case
//! and protocol. A failing case is a `<failure>` with the diffs as text, a target that broke
//! is an `<error>`, and unsupported, skipped and known (baselined) cases are `<skipped>` with
//! the reason, so a known difference does not turn a dashboard red.
//!
//! The XML itself is written by `quick-junit` (see Cargo.toml for why).

use std::collections::BTreeMap;
use std::path::Path;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::capabilities::protocol_name;
use super::{case as case_text, Style};
use crate::cases::baseline::{Status, Verdict};
use crate::cases::format::case_path;
use crate::cases::runner::Outcome;

/// The JUnit XML document for a run.
pub fn render(verdict: &Verdict, base: &Path) -> String {
    let report = verdict.suite;
    let mut suites: BTreeMap<String, TestSuite> = BTreeMap::new();
    for (i, c) in report.cases.iter().enumerate() {
        let file = case_path(&c.file);
        let suite = suites.entry(file.clone()).or_insert_with(|| {
            let mut suite = TestSuite::new(file.clone());
            suite.add_property(Property::new("target", report.target.clone()));
            suite.add_property(Property::new("server", report.identity.to_string()));
            suite.add_property(Property::new("details", report.details.name()));
            suite
        });
        let status = match verdict.status(i) {
            Status::Pass => TestCaseStatus::success(),
            Status::Fail => {
                let first = c.outcome.failures().first();
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_type("mismatch")
                    .set_message(
                        first.map_or_else(String::new, |f| format!("{}: {}", f.command, f.reason)),
                    )
                    .set_description(case_text(c, base, Style::default()));
                s
            }
            Status::Aborted => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                let message = match &c.outcome {
                    Outcome::Aborted { command, error, .. } => format!("{command}: {error}"),
                    _ => String::new(),
                };
                s.set_type("target-failed")
                    .set_message(message)
                    .set_description(case_text(c, base, Style::default()));
                s
            }
            Status::Known => {
                let entry = verdict.known[i].expect("a known case has its entry");
                let link = entry
                    .link
                    .as_deref()
                    .map(|l| format!(" ({l})"))
                    .unwrap_or_default();
                let mut s = TestCaseStatus::skipped();
                s.set_type("known")
                    .set_message(format!("known difference: {}{link}", entry.reason))
                    .set_description(case_text(c, base, Style::default()));
                s
            }
            Status::Unsupported | Status::Skipped => {
                let mut s = TestCaseStatus::skipped();
                if let Outcome::Skipped { reason } = &c.outcome {
                    s.set_message(reason.clone());
                }
                s.set_type(verdict.status(i).name());
                s
            }
        };
        let mut test = TestCase::new(
            format!("{} [{}]", c.case, protocol_name(c.protocol)),
            status,
        );
        test.set_classname(format!("{}.{}", c.command, file));
        suite.add_test_case(test);
    }
    let mut junit = Report::new("hashcheck");
    junit.set_time(report.elapsed);
    junit.add_test_suites(suites.into_values());
    junit.to_string().expect("JUnit XML serializes")
}
