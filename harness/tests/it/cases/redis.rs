//! The cases against Redis 8.2.3: they pass exactly and quickly and leave no keys; `--bless`
//! rewrites failing expectations from it; the binary passes on it.

use std::time::Instant;

use hashcheck::cases::report::{self, Style};
use hashcheck::cases::runner::suite::TargetSpec;
use hashcheck::cases::runner::Details;
use hashcheck::cmd::run::{execute, RunRequest};
use hashcheck::compare::ErrorMatch;
use reference_engine::{Protocol, Reply};

use super::{run_dir, suite_options};
use crate::support::{self, hashcheck, servers, text};

#[test]
fn the_cases_pass_on_redis_8_2_quickly_and_leave_no_keys() {
    let _turn = support::light();
    let server = servers::redis();
    let mut options = suite_options(TargetSpec::new(server.addr()));
    options.jobs = 16;
    options.run.allow_debug = true;
    // A throwaway server: the cases that SELECT, MOVE, SWAPDB or list keys run too, alone.
    options.run.allow_databases = true;
    // The project's own Redis: its choices are checked too, so the cases stay exact.
    options.run.details = Details::Strict;
    let started = Instant::now();
    let (report, text) = run_dir(&support::workspace().join("cases"), &options);
    let elapsed = started.elapsed();
    assert!(report.passed(), "{text}");
    assert_eq!(report.steps().skipped, 0, "{text}");
    eprintln!("{}", report::summary(&report, Style::default()));
    // Waiting cases overlap; serially the waits alone take far longer than this.
    assert!(elapsed.as_secs_f64() < 10.0, "took {elapsed:?}");
    let mut client = TargetSpec::new(server.addr())
        .open(Protocol::Resp2)
        .unwrap();
    // No keys left in any database the cases reached (MOVE, COPY DB, SWAPDB).
    for db in 0..reference_engine::session::DATABASES {
        let select = [b"SELECT".to_vec(), db.to_string().into_bytes()];
        assert_eq!(client.call(&select).unwrap(), Reply::ok());
        assert_eq!(
            client.call(&[b"DBSIZE".to_vec()]).unwrap(),
            Reply::Integer(0),
            "db {db}"
        );
    }
    // Active expiry is on again after the lazy-expiry cases.
    let info = client
        .call(&[
            b"DEBUG".to_vec(),
            b"SET-ACTIVE-EXPIRE".to_vec(),
            b"1".to_vec(),
        ])
        .unwrap();
    assert_eq!(info, Reply::ok());
}

#[test]
fn bless_rewrites_failing_expectations_from_redis() {
    let _turn = support::light();
    let server = servers::redis();
    let dir = support::temp_dir("bless");
    for name in [
        "swapped-pairs.yaml",
        "wrong-error.yaml",
        "null-not-empty.yaml",
    ] {
        std::fs::copy(
            support::fixtures().join("planted").join(name),
            dir.join(name),
        )
        .unwrap();
    }
    std::fs::copy(
        support::fixtures().join("good/basics.yaml"),
        dir.join("basics.yaml"),
    )
    .unwrap();
    let request = RunRequest {
        paths: vec![dir.clone()],
        target: Some(server.addr()),
        protocols: vec![Protocol::Resp2, Protocol::Resp3],
        filter: None,
        fail_fast: false,
        jobs: Some(4),
        bless: true,
        allow_debug: false,
        errors: ErrorMatch::Exact,
        details: Details::Strict,
        ..RunRequest::default()
    };
    assert!(execute(&request).unwrap());
    // Only the expect: line changes; comments and layout stay.
    let swapped = std::fs::read_to_string(dir.join("swapped-pairs.yaml")).unwrap();
    let original =
        std::fs::read_to_string(support::fixtures().join("planted/swapped-pairs.yaml")).unwrap();
    assert_eq!(
        swapped,
        original.replace(
            "expect: {map: [[name, Paris], [city, Alice]]}",
            "expect: {map: [[name, Alice], [city, Paris]]}"
        )
    );
    let error = std::fs::read_to_string(dir.join("wrong-error.yaml")).unwrap();
    assert!(
        error.contains("expect: {error: \"ERR value is not an integer or out of range\"}"),
        "{error}"
    );
    let null = std::fs::read_to_string(dir.join("null-not-empty.yaml")).unwrap();
    assert!(null.contains("expect: []"), "{null}");
    // A file that passed is left exactly as it was, comments and all.
    let basics = std::fs::read_to_string(dir.join("basics.yaml")).unwrap();
    assert_eq!(
        basics,
        std::fs::read_to_string(support::fixtures().join("good/basics.yaml")).unwrap()
    );
    // Now everything passes.
    let again = RunRequest {
        bless: false,
        ..request
    };
    assert!(execute(&again).unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_binary_passes_on_redis_8_2() {
    let _turn = support::light();
    let server = servers::redis();
    let out = hashcheck(&[
        "run",
        "tests/fixtures/good",
        "--target",
        &server.addr(),
        "--details",
        "strict",
    ]);
    support::assert_exit(&out, 0);
    assert!(text(&out.stdout).contains("= redis 8.2.3"));
}
