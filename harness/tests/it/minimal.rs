//! hashcheck against servers that offer only the commands under test:
//! - fakeredis's TCP server (PyPI fakeredis, from scripts/install-servers.sh): no INFO, no
//!   DEBUG, no OBJECT;
//! - Redis 8.2.3 behind a proxy that refuses INFO, HELLO, DBSIZE, CLIENT, COMMAND and DEBUG,
//!   as twemproxy does.
//!
//! `run` and `fuzz` must run on both and report differences as failures or unsupported
//! (exit 0 or 1), never as a failure to connect (exit 2).

use crate::support::net::Proxy;
use crate::support::{self, servers, text};

/// Runs hashcheck: its exit code, stdout and stderr.
fn hashcheck(args: &[&str]) -> (Option<i32>, String, String) {
    let out = support::hashcheck(args);
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

fn out_dir(name: &str) -> String {
    support::scratch(name).to_string_lossy().into_owned()
}

/// The count before `what` in the run's closing line (`cases: 412 passed, ...`).
fn count(summary: &str, what: &str) -> usize {
    let line = summary
        .lines()
        .find(|l| l.starts_with("cases: "))
        .unwrap_or_else(|| panic!("no summary line in\n{summary}"));
    let before = line.split(&format!(" {what}")).next().unwrap();
    before
        .rsplit(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn run_on_fakeredis_reports_differences_not_a_connection_failure() {
    let _turn = support::light();
    let server = servers::fakeredis();
    let (code, stdout, stderr) = hashcheck(&["run", "../cases", "--target", &server.addr()]);
    assert!(matches!(code, Some(0 | 1)), "exit {code:?}\n{stderr}");
    assert!(!stderr.contains("cannot connect"), "{stderr}");
    // No INFO: the product comes from HELLO's reply.
    assert!(stdout.contains("fakeredis 2.41.0"), "{stdout}");
    assert!(count(&stdout, "passed") > 100, "{stdout}");
    // It has no OBJECT: those cases are unsupported, not failed.
    assert!(
        stdout.contains("unsupported: the target does not know OBJECT"),
        "{stdout}"
    );
    // It has HELLO, so RESP3 cases ran.
    assert!(stdout.contains("RESP3: "), "{stdout}");
    // A count it would serve until out of memory is never sent to it.
    assert!(
        stdout.contains("not sent to fakeredis: HRANDFIELD"),
        "{stdout}"
    );
}

#[test]
fn fuzz_on_fakeredis_compares_both_protocols() {
    let _turn = support::light();
    let server = servers::fakeredis();
    let out = out_dir("fakeredis");
    // Two lanes, one starting in each protocol: a run that finds many differences stops
    // early, perhaps before one lane would switch protocol. Every command but HRANDFIELD:
    // fakeredis 2.41.0 replies to `HRANDFIELD k -9223372036854775808` with an error and then
    // closes the connection, which stops a run (exit 2) like any broken target; the cause line
    // names that command.
    let commands: Vec<&str> = hashcheck::fuzz::gen::COMMANDS
        .iter()
        .copied()
        .filter(|c| *c != "HRANDFIELD")
        .collect();
    let commands = commands.join(",");
    let (code, stdout, stderr) = hashcheck(&[
        "fuzz",
        "--target",
        &server.addr(),
        "--seed",
        "1",
        "--ops",
        "3000",
        "--commands",
        &commands,
        "--max-cases",
        "1",
        "--jobs",
        "2",
        "--out",
        &out,
    ]);
    let _ = std::fs::remove_dir_all(&out);
    assert!(
        matches!(code, Some(0 | 1)),
        "exit {code:?}\n{stdout}\n{stderr}"
    );
    assert!(stderr.contains("(fakeredis 2.41.0)"), "{stderr}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("compared per protocol:"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        !line.contains("RESP3 0") && !line.contains("RESP2 0,"),
        "{line}"
    );
}

#[test]
fn run_through_a_proxy_without_admin_commands_passes_with_resp3_unsupported() {
    let _turn = support::light();
    let redis = servers::redis();
    let proxy = Proxy::admin_less(redis.port());
    let (code, stdout, stderr) = hashcheck(&["run", "../cases", "--target", &proxy.addr()]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    // No INFO and no HELLO: nothing says what the server is.
    assert!(stdout.contains("unknown unknown"), "{stdout}");
    assert!(
        stdout.contains("unsupported: the server does not offer RESP3 (HELLO 3 replied ERR unsupported command 'HELLO')"),
        "{stdout}"
    );
    // Every case ran in RESP2 and none in RESP3.
    let resp2 = stdout.matches("RESP2: ").count();
    assert!(resp2 > 20, "{stdout}");
    assert!(count(&stdout, "passed") > 200, "{stdout}");
    assert_eq!(count(&stdout, "failed"), 0, "{stdout}");
    assert!(stdout.contains("RESP3: unsupported (no RESP3"), "{stdout}");
}

#[test]
fn fuzz_through_a_proxy_without_admin_commands_pins_resp2_and_says_so() {
    let _turn = support::light();
    let redis = servers::redis();
    let proxy = Proxy::admin_less(redis.port());
    let out = out_dir("proxy");
    let (code, stdout, stderr) = hashcheck(&[
        "fuzz",
        "--target",
        &proxy.addr(),
        "--seed",
        "1",
        "--ops",
        "3000",
        "--out",
        &out,
    ]);
    let _ = std::fs::remove_dir_all(&out);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("RESP3 not available"), "{stderr}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("compared per protocol: RESP2 "))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.contains(", RESP3 0 (RESP3 not available: "), "{line}");
    let resp2: u64 = line["compared per protocol: RESP2 ".len()..]
        .split(',')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(resp2 >= 3000, "{line}");
}

#[test]
fn without_dbsize_the_empty_check_uses_what_the_server_has() {
    let _turn = support::light();
    let redis = servers::redis();
    let proxy = Proxy::admin_less(redis.port());
    let mut t = hashcheck::targets::NetworkTarget::connect(
        &redis.addr(),
        None,
        std::time::Duration::from_secs(5),
    )
    .unwrap();
    use hashcheck::targets::Target;
    t.call(&[b"SET".to_vec(), b"someone-elses".to_vec(), b"x".to_vec()])
        .unwrap();
    for args in [
        vec!["run", "tests/fixtures/good", "--target", &proxy.addr()],
        vec![
            "fuzz",
            "--target",
            &proxy.addr(),
            "--ops",
            "10",
            "--out",
            "/nonexistent",
        ],
    ] {
        let (code, _, stderr) = hashcheck(&args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(
                "the database holds keys (RANDOMKEY returned one; DBSIZE is not available)"
            ) && stderr.contains("--allow-nonempty"),
            "{args:?}: {stderr}"
        );
    }
}
