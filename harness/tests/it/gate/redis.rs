//! Runs against Redis 8.2.3: a database that holds keys is refused unless allowed and left
//! as it was; the whole suite leaves no keys and sends no flush; a target killed mid-run
//! and Ctrl-C give exit 2 and the report so far; user, password and db come from the URL
//! and never show.

use std::time::{Duration, Instant};

use reference_engine::Reply;

use crate::support::servers::{self, call, dbsize};
use crate::support::{self, hashcheck, text};

#[test]
fn a_database_that_holds_keys_is_refused_unless_allowed_and_is_left_as_it_was() {
    let _turn = support::light();
    let server = servers::redis();
    let addr = server.addr();
    assert_eq!(call(&addr, &["SET", "precious", "data"]), Reply::ok());
    let out = hashcheck(&["run", "tests/fixtures/good", "--target", &addr]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("the database holds 1 keys") && stderr.contains("--allow-nonempty"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "nothing ran");

    let out = hashcheck(&[
        "run",
        "tests/fixtures/good",
        "--target",
        &addr,
        "--allow-nonempty",
    ]);
    support::assert_exit(&out, 0);
    assert_eq!(dbsize(&addr), 1);
    assert_eq!(call(&addr, &["GET", "precious"]), Reply::bulk("data"));

    // Another database of the same server is empty: a URL that selects it needs no flag,
    // and the run leaves both databases as they were.
    let out = hashcheck(&[
        "run",
        "tests/fixtures/good",
        "--target",
        &format!("redis://{addr}/3"),
    ]);
    support::assert_exit(&out, 0);
    assert!(text(&out.stdout).contains(&format!("{addr}/3 = redis 8.2.3")));
    assert_eq!(dbsize(&addr), 1);
}

#[test]
fn the_whole_suite_leaves_no_keys_and_sends_no_flush() {
    let _turn = support::light();
    let server = servers::redis();
    let addr = server.addr();
    call(&addr, &["CONFIG", "RESETSTAT"]);
    // The project's own Redis: the cases are checked exactly, Redis's choices included.
    let out = hashcheck(&[
        "run",
        "--target",
        &addr,
        "--allow-debug",
        "--details",
        "strict",
    ]);
    support::assert_exit(&out, 0);
    assert_eq!(dbsize(&addr), 0);
    let Reply::Bulk(stats) = call(&addr, &["INFO", "commandstats"]) else {
        panic!()
    };
    let stats = String::from_utf8_lossy(&stats).to_string();
    assert!(stats.contains("cmdstat_hset:"), "{stats}");
    assert!(
        !stats.contains("cmdstat_flushdb") && !stats.contains("cmdstat_flushall"),
        "{stats}"
    );
}

/// Starts `hashcheck run` on the whole suite against `addr`, in the background.
fn spawn_run(addr: &str) -> std::process::Child {
    support::spawn(&[
        "run",
        "--target",
        addr,
        "--allow-debug",
        "--timeout",
        "2s",
        "--connect-timeout",
        "2s",
    ])
}

/// Waits until the run has put keys on the server (it is in the middle of its cases).
fn wait_for_keys(addr: &str) {
    support::wait_until("the run wrote a key", Duration::from_secs(10), || {
        dbsize(addr) > 0
    });
}

#[test]
fn a_target_killed_mid_run_gives_exit_2_and_the_report_so_far() {
    let _turn = support::light();
    let server = servers::redis();
    let addr = server.addr();
    let started = Instant::now();
    let child = spawn_run(&addr);
    wait_for_keys(&addr);
    drop(server);
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(
        stderr.starts_with("hashcheck: the run did not finish: "),
        "{stderr}"
    );
    assert!(stderr.contains("cases/"), "{stderr}");
    // The partial report: the summary counts what ran, and aborted cases name their step.
    let summary = stdout.lines().last().unwrap();
    assert!(
        summary.starts_with("cases: ") && summary.contains(" aborted"),
        "{summary}"
    );
    assert!(stdout.contains("stopped: the target failed"), "{stdout}");
    assert!(stdout.contains("; the case stopped here"), "{stdout}");
}

#[test]
fn ctrl_c_stops_the_run_and_its_keys_are_deleted() {
    let _turn = support::light();
    let server = servers::redis();
    let addr = server.addr();
    let child = spawn_run(&addr);
    wait_for_keys(&addr);
    support::signal(&child, "INT");
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(stdout.contains("stopped: interrupted"), "{stdout}");
    assert_eq!(dbsize(&addr), 0, "{stdout}");
}

#[test]
fn user_password_and_db_come_from_the_url_and_never_show_in_reports() {
    let _turn = support::light();
    // Each word its own argument: redis-server joins them into one config line.
    let server = servers::redis_with(&[
        "--user", "gate", "on", ">s3cret", "~*", "&*", "+@all", "--user", "default", "off",
    ]);
    let url = format!("redis://gate:s3cret@{}/2", server.addr());
    let out = hashcheck(&[
        "run",
        "tests/fixtures/good",
        "--target",
        &url,
        "--format",
        "json",
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(!stdout.contains("s3cret"));
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["target"]["name"], format!("{}/2", server.addr()));
    // A wrong password is a clear connect error that names the step.
    let bad = format!("redis://gate:wrong@{}/2", server.addr());
    let out = hashcheck(&[
        "run",
        "tests/fixtures/good",
        "--target",
        &bad,
        "--resp",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("connection setup (TCP connect, AUTH, SELECT 2)"),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong"), "{stderr}");
}
