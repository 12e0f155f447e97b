//! `hashcheck fuzz` end to end, as a process: against Redis 8.2.3 it finds nothing and exits
//! 0; against Valkey 9.1.2 (which differs from Redis 8.2 in many error texts) it exits 1 and
//! writes a case that fails there and passes on the engine; an unreachable target is exit
//! 2 with one line naming the address.
//!
//! The servers are found like the other tests' (`$HASHCHECK_REDIS_8_2`,
//! `$HASHCHECK_VALKEY_9_1` or `.servers/`); a missing one fails the test, never skips it.

use std::path::{Path, PathBuf};
use std::process::Output;

use hashcheck::cases::format;
use hashcheck::cases::runner::{self, Outcome, RunOptions, RunState};
use hashcheck::targets::{EmbeddedTarget, NetworkTarget, Target};
use reference_engine::Protocol;

use crate::support::servers::{self, dbsize};
use crate::support::{self, all as text};

fn fuzz(args: &[&str]) -> Output {
    support::hashcheck(&[&["fuzz"], args].concat())
}

/// The case files fuzz wrote to `dir` (none when it wrote nothing, not even the folder).
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect()
}

/// The summary's `compared per protocol: RESP2 n, RESP3 m`.
fn compared_per_protocol(stdout: &str) -> [u64; 2] {
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("compared per protocol: "))
        .unwrap_or_else(|| panic!("no protocol line\n{stdout}"));
    let count = |name: &str| -> u64 {
        line.split(", ")
            .find_map(|p| p.strip_prefix(name)?.trim().split(' ').next()?.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {line}"))
    };
    [count("RESP2 "), count("RESP3 ")]
}

#[test]
fn a_few_seconds_against_redis_8_2_find_nothing_and_leave_no_key() {
    let _turn = support::light();
    let redis = servers::redis();
    let out = support::scratch("redis");
    // Each protocol pinned, then both (the default); exact, as on the project's own Redis.
    let addr = redis.addr();
    for resp in [Some("2"), Some("3"), None] {
        let mut args = vec![
            "--target",
            &addr,
            "--seed",
            "3",
            "--duration",
            "3s",
            "--commands",
            "all",
            "--details",
            "strict",
            "--out",
            out.to_str().unwrap(),
        ];
        if let Some(resp) = resp {
            args.extend(["--resp", resp]);
        }
        let output = fuzz(&args);
        let all = text(&output);
        assert_eq!(output.status.code(), Some(0), "{all}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("no divergence"), "{all}");
        // The per-command table: every command sent, with options and their successes.
        assert!(stdout.contains("HSETEX"), "{all}");
        assert!(stdout.contains("FNX "), "{all}");
        assert!(!stdout.contains("never sent"), "{all}");
        let [resp2, resp3] = compared_per_protocol(&stdout);
        match resp {
            Some("2") => assert!(resp2 > 1_000 && resp3 == 0, "{all}"),
            Some(_) => assert!(resp2 == 0 && resp3 > 1_000, "{all}"),
            // One lane, both protocols.
            None => assert!(resp2 > 1_000 && resp3 > 1_000, "{all}"),
        }
        assert!(yaml_files(&out).is_empty(), "{all}");
        assert_eq!(dbsize(&redis.addr()), 0, "the run left keys behind\n{all}");
    }
}

#[test]
fn two_lanes_share_out_the_ops_find_nothing_on_redis_8_2_and_leave_no_key() {
    let _turn = support::light();
    let redis = servers::redis();
    let out = support::scratch("lanes");
    let output = fuzz(&[
        "--target",
        &redis.addr(),
        "--seed",
        "11",
        "--ops",
        "30001",
        "--commands",
        "all",
        "--jobs",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    let all = text(&output);
    assert_eq!(output.status.code(), Some(0), "{all}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(", 30001 commands, "), "{all}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("no divergence"), "{all}");
    // Both lanes' calls are in the table: ~30,000 over 32 commands.
    let hset_calls: u64 = stdout
        .lines()
        .find_map(|l| {
            l.strip_prefix("HSET ")?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no HSET row\n{all}"));
    assert!(hset_calls > 600, "{all}");
    // The default: lanes start in RESP2 and RESP3 and switch, and the counts add up.
    let [resp2, resp3] = compared_per_protocol(&stdout);
    assert!(resp2 > 5_000 && resp3 > 5_000, "{all}");
    assert_eq!(dbsize(&redis.addr()), 0, "the run left keys behind\n{all}");
}

#[test]
fn valkey_differs_and_each_difference_becomes_a_case_that_fails_there_only() {
    let _turn = support::light();
    let valkey = servers::valkey();
    let out = support::scratch("valkey");
    let output = fuzz(&[
        "--target",
        &valkey.addr(),
        "--seed",
        "5",
        "--ops",
        "20000",
        "--commands",
        "HSETEX,HSET,HTTL",
        "--max-cases",
        "2",
        "--resp",
        "3",
        "--jobs",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    let all = text(&output);
    assert_eq!(output.status.code(), Some(1), "{all}");
    let files = yaml_files(&out);
    assert!(!files.is_empty(), "no case written\n{all}");
    let state = RunState::new();
    for path in &files {
        let file = format::load(path).unwrap_or_else(|e| panic!("{e}\n{all}"));
        let header = file.header.join("\n");
        assert!(header.contains("seed 5"), "{header}");
        assert!(header.contains("--jobs 2"), "{header}");
        assert!(header.contains("valkey 9.1.2"), "{header}");
        let steps = file.cases[0].steps.len();
        assert!(
            (1..=5).contains(&steps),
            "{} has {steps} steps",
            path.display()
        );
        for protocol in [Protocol::Resp2, Protocol::Resp3] {
            let mut engine = EmbeddedTarget::new(protocol);
            let report = runner::run_case(&mut engine, &file, 0, &state, &RunOptions::default());
            assert_eq!(
                report.outcome,
                Outcome::Pass,
                "{}: {report:?}",
                path.display()
            );
        }
        let mut target = NetworkTarget::connect(
            &valkey.addr(),
            Some(Protocol::Resp3),
            std::time::Duration::from_secs(5),
        )
        .unwrap();
        assert!(target.identity().product == "valkey");
        let report = runner::run_case(&mut target, &file, 0, &state, &RunOptions::default());
        assert!(
            matches!(report.outcome, Outcome::Fail(_)),
            "{}: {:?}",
            path.display(),
            report.outcome
        );
    }
    assert_eq!(dbsize(&valkey.addr()), 0, "the run left keys behind\n{all}");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_server_that_dies_mid_run_is_exit_2_with_what_ran_so_far() {
    let _turn = support::light();
    let redis = servers::redis();
    let out = support::scratch("dies");
    let child = support::spawn(&[
        "fuzz",
        "--target",
        &redis.addr(),
        "--seed",
        "13",
        "--jobs",
        "2",
        "--duration",
        "30s",
        "--timeout",
        "2s",
        "--out",
        out.to_str().unwrap(),
    ]);
    std::thread::sleep(std::time::Duration::from_millis(1_500));
    // Dropping the handle kills the server.
    drop(redis);
    let output = child.wait_with_output().expect("hashcheck fuzz ends");
    let all = text(&output);
    assert_eq!(output.status.code(), Some(2), "{all}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    // The report of what ran: the per-command table and the totals.
    assert!(
        stdout.contains("command           calls (   RESP2    RESP3)"),
        "{all}"
    );
    let compared: u64 = stdout
        .lines()
        .find_map(|l| l.split_once(" commands compared in ")?.0.parse().ok())
        .unwrap_or_else(|| panic!("no totals\n{all}"));
    assert!(compared > 1_000, "{all}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("hashcheck: the run stopped after ") && last.contains("127.0.0.1:"),
        "{all}"
    );
}

#[test]
fn an_unreachable_target_is_exit_2_naming_the_address() {
    let _turn = support::light();
    let addr = servers::closed_addr();
    let output = fuzz(&["--target", &addr, "--ops", "10"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(&addr), "{stderr}");
    let output = fuzz(&["--target", &addr, "--commands", "HSET,NOPE"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("NOPE"));
}
