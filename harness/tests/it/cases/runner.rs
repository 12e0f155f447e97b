//! One case at a time on a fake target (the engine behind another identity, lacking or
//! failing chosen commands, recording what it is sent): keys are prefixed and deleted,
//! version gates and unknown commands skip as unsupported, lazy expiry needs DEBUG, and a
//! broken connection stops the case naming its step.

use std::path::Path;

use hashcheck::cases::format;
use hashcheck::cases::report::{self, Style};
use hashcheck::cases::runner::{run_case, Outcome, RunOptions, RunState};
use hashcheck::targets::{Target, TargetError};
use reference_engine::{Protocol, Reply};

use super::{basics, HEAD};
use crate::support;
use crate::support::fake::{self, FakeTarget};

/// The engine as `product version`, replying to `unknown` as Redis does to a command it
/// does not know, and failing the connection on `broken`.
fn engine_as(
    product: &str,
    version: &str,
    unknown: &'static str,
    broken: &'static str,
) -> FakeTarget {
    FakeTarget::new("fake", Protocol::Resp2)
        .identity(fake::identity(product, version))
        .answer(move |inner, argv| {
            let name = fake::name(argv);
            if name == broken {
                return Err(TargetError::Io {
                    target: "fake".into(),
                    reason: "connection reset".into(),
                });
            }
            if name == unknown {
                return Ok(fake::unknown_command(&name));
            }
            inner.call(argv)
        })
}

fn case_index(file: &format::CaseFile, name: &str) -> usize {
    file.cases.iter().position(|c| c.name == name).unwrap()
}

#[test]
fn keys_are_prefixed_per_case_and_deleted_afterwards() {
    let file = basics();
    let state = RunState::with_id("t");
    let mut fake = engine_as("hashcheck", "8.2.3", "", "");
    let first = run_case(&mut fake, &file, 0, &state, &RunOptions::default());
    assert_eq!(first.outcome, Outcome::Pass);
    let second = run_case(
        &mut fake,
        &file,
        case_index(&file, "time passes"),
        &state,
        &RunOptions::default(),
    );
    assert_eq!(second.outcome, Outcome::Pass);
    let keys: Vec<&[u8]> = fake
        .sent
        .iter()
        .filter(|a| a[0] == b"HSET")
        .map(|a| a[1].as_slice())
        .collect();
    assert_eq!(keys, vec![&b"hc:t:0:h"[..], b"hc:t:0:h", b"hc:t:1:h"]);
    // The DEL after each case names exactly the keys the case used.
    let dels: Vec<&Vec<Vec<u8>>> = fake.sent.iter().filter(|a| a[0] == b"DEL").collect();
    assert_eq!(dels.len(), 2);
    assert_eq!(
        dels[0][1..],
        [b"hc:t:0:h".to_vec(), b"hc:t:0:nokey".to_vec()]
    );
    assert_eq!(fake.call(&[b"DBSIZE".to_vec()]).unwrap(), Reply::Integer(0));
    assert!(!fake
        .sent
        .iter()
        .any(|a| a[0].eq_ignore_ascii_case(b"FLUSHDB") || a[0].eq_ignore_ascii_case(b"FLUSHALL")));
}

#[test]
fn old_versions_and_unknown_commands_skip_as_unsupported() {
    let file = basics();
    let options = RunOptions::default();
    let state = RunState::new();
    let mut old = engine_as("redis", "7.0.15", "", "");
    let report = run_case(&mut old, &file, 0, &state, &options);
    assert_eq!(
        report.outcome,
        Outcome::Skipped {
            reason: "unsupported: needs Redis 7.4.0, target has 7.0.15".into()
        }
    );
    assert!(old.sent.is_empty());
    assert_eq!(report.steps.skipped, 11);
    // Another product is not gated by its redis_version; a missing command shows instead.
    let mut other = engine_as("valkey", "7.2.4", "HPEXPIRE", "");
    let i = case_index(&file, "time passes");
    let report = run_case(&mut other, &file, i, &state, &options);
    let Outcome::Skipped { reason } = &report.outcome else {
        panic!("{:?}", report.outcome)
    };
    assert!(
        reason.starts_with("unsupported: HPEXPIRE h 100 FIELDS 1 a: ERR unknown command"),
        "{reason}"
    );
    assert_eq!((report.steps.passed, report.steps.skipped), (1, 6));
}

#[test]
fn lazy_expiry_needs_allow_debug_on_a_server() {
    let text = format!("{HEAD}      - send: [HSET, h, f, v]\n        expect: 1\n").replace(
        "  - name: c\n",
        "  - name: c\n    requires: [lazy-expiry]\n",
    );
    let file = format::load_str(Path::new("l.yaml"), &text).unwrap();
    let state = RunState::new();
    // A server without DEBUG.
    let mut server = engine_as("redis", "8.2.3", "DEBUG", "").real_clock();
    let report = run_case(&mut server, &file, 0, &state, &RunOptions::default());
    let Outcome::Skipped { reason } = &report.outcome else {
        panic!()
    };
    assert!(reason.contains("--allow-debug"), "{reason}");
    let allow = RunOptions {
        allow_debug: true,
        ..RunOptions::default()
    };
    let report = run_case(&mut server, &file, 0, &state, &allow);
    // Freezing fails, and the case says why.
    let Outcome::Skipped { reason } = &report.outcome else {
        panic!("{:?}", report.outcome)
    };
    assert!(
        reason.contains("DEBUG SET-ACTIVE-EXPIRE 0 failed"),
        "{reason}"
    );
    // `hashcheck serve` reclaims in the background as Redis does: the same flag, and with it
    // DEBUG SET-ACTIVE-EXPIRE freezes it for the case.
    let mut serve = engine_as("hashcheck", "8.2.3", "", "").real_clock();
    let report = run_case(&mut serve, &file, 0, &state, &RunOptions::default());
    assert!(
        matches!(report.outcome, Outcome::Skipped { .. }),
        "{:?}",
        report.outcome
    );
    let report = run_case(&mut serve, &file, 0, &state, &allow);
    assert_eq!(report.outcome, Outcome::Pass);
    assert!(serve.sent.iter().any(|a| a[0] == b"DEBUG"));
    // The embedded engine, on its virtual clock, never reclaims in the background.
    let mut engine = engine_as("hashcheck", "8.2.3", "", "");
    let report = run_case(&mut engine, &file, 0, &state, &RunOptions::default());
    assert_eq!(report.outcome, Outcome::Pass);
    assert!(!engine.sent.iter().any(|a| a[0] == b"DEBUG"));
}

#[test]
fn a_broken_connection_stops_the_case_naming_the_step() {
    let file = basics();
    let mut fake = engine_as("hashcheck", "8.2.3", "", "HINCRBY");
    let report = run_case(
        &mut fake,
        &file,
        0,
        &RunState::new(),
        &RunOptions::default(),
    );
    let Outcome::Aborted {
        at,
        command,
        error,
        failures,
    } = &report.outcome
    else {
        panic!("{:?}", report.outcome)
    };
    assert_eq!(
        at.to_string(),
        format!(
            "{}:25",
            support::fixtures().join("good/basics.yaml").display()
        )
    );
    assert_eq!(command, "HINCRBY h f1 1");
    assert!(error.contains("connection reset"));
    assert!(failures.is_empty());
    assert_eq!((report.steps.passed, report.steps.failed), (7, 0));
    let text = report::case(&report, &support::fixtures(), Style::default());
    assert!(
        text.contains("good/basics.yaml:25: HINCRBY h f1 1\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "target failed: fake: connection failed: connection reset; the case stopped here"
        ),
        "{text}"
    );
}
