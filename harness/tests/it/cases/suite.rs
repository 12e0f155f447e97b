//! Suites on the embedded engine: the project's cases and the good fixtures pass, the
//! planted fixtures fail with readable diffs, and the run's options (error strictness,
//! fail-fast) do what they say.

use hashcheck::cases::runner::suite::TargetSpec;
use hashcheck::compare::ErrorMatch;

use super::{run_dir, suite_options};
use crate::support;

#[test]
fn the_cases_pass_on_the_embedded_engine() {
    let (report, text) = run_dir(
        &support::workspace().join("cases"),
        &suite_options(TargetSpec::embedded()),
    );
    assert!(report.passed(), "{text}");
    assert!(report.steps().passed > 400, "{text}");
}

#[test]
fn the_good_fixtures_pass_on_the_engine() {
    let (report, text) = run_dir(
        &support::fixtures().join("good"),
        &suite_options(TargetSpec::embedded()),
    );
    assert!(report.passed(), "{text}");
    assert_eq!(report.steps().failed, 0);
    // The RESP3-only case ran once.
    assert_eq!(
        report
            .cases
            .iter()
            .filter(|c| c.case == "RESP3 only")
            .count(),
        1
    );
}

#[test]
fn planted_bugs_are_caught_with_readable_diffs() {
    let (report, text) = run_dir(
        &support::fixtures().join("planted"),
        &suite_options(TargetSpec::embedded()),
    );
    assert!(!report.passed());
    assert_eq!(report.steps().failed, 6, "{text}");
    for want in [
        // A value swapped between two fields, in both protocols (pairs aligned by field).
        "swapped-pairs.yaml:8: HGETALL h\n  case \"swapped values\", RESP2 on embedded: different field/value pairs (order ignored)\n  -expected\n  +actual\n   1) \"name\"\n  -2) \"Paris\"\n  +2) \"Alice\"\n   3) \"city\"\n  -4) \"Alice\"\n  +4) \"Paris\"\n",
        "  -1# \"name\" => \"Paris\"\n  -2# \"city\" => \"Alice\"\n  +1# \"name\" => \"Alice\"\n  +2# \"city\" => \"Paris\"\n",
        // An error text that is not Redis's.
        "wrong-error.yaml:8: HINCRBY h f notanumber\n  case \"wrong error text\", RESP3 on embedded: different error\n  -expected\n  +actual\n  -(error) ERR value is not a number\n  +(error) ERR value is not an integer or out of range\n",
        // Null where Redis replies with an empty array.
        "null-not-empty.yaml:6: HKEYS nokey\n  case \"missing key\", RESP2 on embedded: replies differ\n  -expected\n  +actual\n  -(nil)\n  +(empty array)\n",
        "cases: 0 passed, 6 failed, 0 skipped; steps: 4 passed, 6 failed, 0 skipped",
    ] {
        assert!(text.contains(want), "missing:\n{want}\nin:\n{text}");
    }
}

#[test]
fn error_strictness_can_be_relaxed_for_a_run() {
    let mut options = suite_options(TargetSpec::embedded());
    options.run.errors = ErrorMatch::Code;
    options.filter = Some(hashcheck::cases::runner::suite::Filter::new(
        "*wrong-error*",
    ));
    let (report, text) = run_dir(&support::fixtures().join("planted"), &options);
    assert!(report.passed(), "{text}");
    assert_eq!(report.cases.len(), 2);
}

#[test]
fn fail_fast_stops_handing_out_cases() {
    let mut options = suite_options(TargetSpec::embedded());
    options.jobs = 1;
    options.fail_fast = true;
    let (report, text) = run_dir(&support::fixtures().join("planted"), &options);
    assert!(report.stopped_early, "{text}");
    assert_eq!(report.cases.len(), 1, "{text}");
    assert!(text.contains("stopped after the first failing case (--fail-fast)"));
}
