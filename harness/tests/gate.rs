//! hashcheck as a CI gate for other implementations: legal differences pass, unsupported
//! commands are not failures, the reports (JSON, JUnit against its XSD, Markdown) and
//! baselines, and the safety of runs against real servers: connections that hang, close or
//! answer garbage; a non-empty database; no keys left behind; a target killed mid-run;
//! Ctrl-C; TLS, AUTH and db in URLs.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use hashcheck::cases::baseline::{self, Verdict};
use hashcheck::cases::format;
use hashcheck::cases::report::capabilities::{self, Support};
use hashcheck::cases::runner::suite::SuiteReport;
use hashcheck::cases::runner::{Details, RunOptions};
use hashcheck::process::{start_redis_8_2, ServerProcess};
use hashcheck::targets::{
    ClockKind, ConnectOptions, EmbeddedTarget, NetworkTarget, ServerIdentity, Target, TargetError,
};
use reference_engine::{Protocol, Reply};

fn here() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn workspace_cases() -> PathBuf {
    here().parent().unwrap().join("cases")
}

fn load_dir(dir: &Path) -> Vec<format::CaseFile> {
    hashcheck::cmd::run::case_files(dir)
        .unwrap()
        .iter()
        .map(|p| format::load(p).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

fn hashcheck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hashcheck"))
        .args(args)
        .current_dir(here())
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hashcheck-gate-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn redis() -> ServerProcess {
    start_redis_8_2()
        .unwrap()
        .expect("Redis 8.2.3 is needed (scripts/install-servers.sh)")
}

fn dbsize(addr: &str) -> i64 {
    let mut t =
        NetworkTarget::connect(addr, Some(Protocol::Resp2), Duration::from_secs(5)).unwrap();
    match t.call(&[b"DBSIZE".to_vec()]).unwrap() {
        Reply::Integer(n) => n,
        other => panic!("DBSIZE: {other:?}"),
    }
}

fn call(addr: &str, words: &[&str]) -> Reply {
    let mut t =
        NetworkTarget::connect(addr, Some(Protocol::Resp2), Duration::from_secs(5)).unwrap();
    t.call(
        &words
            .iter()
            .map(|w| w.as_bytes().to_vec())
            .collect::<Vec<_>>(),
    )
    .unwrap()
}

// ---------------------------------------------------------------------------------------
// A server that differs from Redis only where Redis allows it

/// The engine, answering as another product: HGETALL/HKEYS/HVALS in reverse order,
/// HRANDFIELD picking from the other end of the hash, HSCAN one element per page with
/// cursors of its own. Every reply is still one Redis may give.
struct Lawful {
    inner: EmbeddedTarget,
    identity: ServerIdentity,
}

impl Lawful {
    fn new(protocol: Protocol) -> Self {
        Self {
            inner: EmbeddedTarget::new(protocol),
            // As a proxy in front of Redis 8.2.3 would: its INFO says Redis.
            identity: ServerIdentity::from_info("redis_version:8.2.3\n"),
        }
    }

    fn fields(&mut self, key: &[u8]) -> Vec<(Reply, Reply)> {
        match self.inner.call(&[b"HGETALL".to_vec(), key.to_vec()]) {
            Ok(Reply::Map(kv)) => kv,
            Ok(Reply::Array(flat)) => flat
                .chunks(2)
                .map(|c| (c[0].clone(), c[1].clone()))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn hrandfield(&mut self, argv: &[Vec<u8>], inner: Reply) -> Reply {
        let mut fields = self.fields(&argv[1]);
        fields.reverse();
        let negative = argv.get(2).is_some_and(|c| c.starts_with(b"-"));
        match inner {
            Reply::Bulk(_) if !fields.is_empty() => fields[0].0.clone(),
            Reply::Array(items) if !items.is_empty() && !fields.is_empty() => {
                let pairs = matches!(items[0], Reply::Array(_));
                let with_values = argv.len() > 3;
                let n = if with_values && !pairs {
                    items.len() / 2
                } else {
                    items.len()
                };
                let picks: Vec<&(Reply, Reply)> = if negative {
                    vec![&fields[0]; n]
                } else {
                    fields.iter().take(n).collect()
                };
                Reply::Array(
                    picks
                        .into_iter()
                        .flat_map(|(f, v)| match (with_values, pairs) {
                            (false, _) => vec![f.clone()],
                            (true, true) => vec![Reply::Array(vec![f.clone(), v.clone()])],
                            (true, false) => vec![f.clone(), v.clone()],
                        })
                        .collect(),
                )
            }
            other => other,
        }
    }

    fn hscan(&mut self, argv: &[Vec<u8>], inner: Reply) -> Reply {
        if !matches!(inner, Reply::Array(_)) {
            return inner;
        }
        // Everything the scan would return, from the engine's own walk.
        let mut walk = argv.to_vec();
        walk[2] = b"0".to_vec();
        let mut all = Vec::new();
        loop {
            let Ok(Reply::Array(parts)) = self.inner.call(&walk) else {
                return inner;
            };
            let [Reply::Bulk(cursor), Reply::Array(items)] = parts.as_slice() else {
                return inner;
            };
            all.extend(items.iter().cloned());
            if cursor == b"0" {
                break;
            }
            walk[2] = cursor.clone();
        }
        let novalues = argv[3..]
            .iter()
            .any(|a| a.eq_ignore_ascii_case(b"NOVALUES"));
        let groups: Vec<&[Reply]> = all.chunks(if novalues { 1 } else { 2 }).collect();
        let cursor: u64 = String::from_utf8_lossy(&argv[2]).parse().unwrap_or(0);
        let index = cursor.saturating_sub(1000) as usize;
        let page: Vec<Reply> = groups.get(index).map(|g| g.to_vec()).unwrap_or_default();
        let next = if index + 1 < groups.len() {
            (1000 + index as u64 + 1).to_string()
        } else {
            "0".to_string()
        };
        Reply::Array(vec![Reply::bulk(next), Reply::Array(page)])
    }
}

impl Target for Lawful {
    fn name(&self) -> &str {
        "lawful"
    }
    fn protocol(&self) -> Protocol {
        self.inner.protocol()
    }
    fn identity(&self) -> &ServerIdentity {
        &self.identity
    }
    fn clock(&self) -> ClockKind {
        ClockKind::Virtual
    }
    fn call(&mut self, argv: &[Vec<u8>]) -> Result<Reply, TargetError> {
        let reply = self.inner.call(argv)?;
        let name = String::from_utf8_lossy(&argv[0]).to_ascii_uppercase();
        Ok(match (name.as_str(), reply) {
            ("HGETALL", Reply::Map(mut kv)) => {
                kv.reverse();
                Reply::Map(kv)
            }
            ("HGETALL", Reply::Array(flat)) => {
                Reply::Array(flat.chunks(2).rev().flatten().cloned().collect())
            }
            ("HKEYS" | "HVALS", Reply::Array(mut items)) => {
                items.reverse();
                Reply::Array(items)
            }
            ("HRANDFIELD", reply) if argv.len() >= 2 => self.hrandfield(argv, reply),
            ("HSCAN", reply) if argv.len() >= 3 => self.hscan(argv, reply),
            (_, reply) => reply,
        })
    }
    fn advance_clock(&mut self, ms: u64) -> Result<(), TargetError> {
        self.inner.advance_clock(ms)
    }
    fn now_ms(&mut self) -> Result<i64, TargetError> {
        self.inner.now_ms()
    }
}

/// Runs every case of `cases/` on [`Lawful`], in both protocols.
fn run_lawful(details: Details) -> SuiteReport {
    let files = load_dir(&workspace_cases());
    let state = hashcheck::cases::runner::RunState::new();
    let options = RunOptions {
        details,
        ..RunOptions::default()
    };
    let mut cases = Vec::new();
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        for file in &files {
            for (i, c) in file.cases.iter().enumerate() {
                if c.resp.contains(&protocol) {
                    let mut target = Lawful::new(protocol);
                    cases.push(hashcheck::cases::runner::run_case(
                        &mut target,
                        file,
                        i,
                        &state,
                        &options,
                    ));
                }
            }
        }
    }
    SuiteReport {
        identity: Lawful::new(Protocol::Resp2).identity.clone(),
        target: "lawful".into(),
        details: details.resolve(false),
        cases,
        stopped_early: false,
        stop: None,
        not_run: 0,
        key_prefix: String::new(),
        cleanup: Default::default(),
        elapsed: Duration::ZERO,
    }
}

#[test]
fn a_server_that_differs_only_where_redis_allows_it_passes() {
    let report = run_lawful(Details::Auto);
    let text = hashcheck::cases::report::suite(&report, here(), Default::default());
    assert!(report.passed(), "{text}");
    let ran = report
        .cases
        .iter()
        .filter(|c| c.outcome == hashcheck::cases::runner::Outcome::Pass)
        .count();
    assert!(ran > 600, "{ran} cases passed\n{text}");

    // The same server judged on Redis's own choices fails exactly there: so the differences
    // are real, and it is the policy that lets them pass.
    let strict = run_lawful(Details::Strict);
    let failed: std::collections::BTreeSet<&str> = strict
        .cases
        .iter()
        .flat_map(|c| c.outcome.failures())
        .map(|f| f.command.split(' ').next().unwrap())
        .collect();
    assert!(!strict.passed());
    for command in ["HGETALL", "HKEYS", "HVALS", "HRANDFIELD", "HSCAN"] {
        assert!(
            failed.contains(command),
            "{command} did not differ: {failed:?}"
        );
    }
    assert!(
        failed
            .iter()
            .all(|c| ["HGETALL", "HKEYS", "HVALS", "HRANDFIELD", "HSCAN"].contains(c)),
        "{failed:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Capabilities: a command the target lacks is unsupported, not failed

/// The engine without the 8.0 commands and with one wrong error text.
struct Partial {
    inner: EmbeddedTarget,
    identity: ServerIdentity,
}

impl Target for Partial {
    fn name(&self) -> &str {
        "partial"
    }
    fn protocol(&self) -> Protocol {
        self.inner.protocol()
    }
    fn identity(&self) -> &ServerIdentity {
        &self.identity
    }
    fn clock(&self) -> ClockKind {
        ClockKind::Virtual
    }
    fn call(&mut self, argv: &[Vec<u8>]) -> Result<Reply, TargetError> {
        let name = String::from_utf8_lossy(&argv[0]).to_ascii_uppercase();
        if ["HGETDEL", "HGETEX", "HSETEX"].contains(&name.as_str()) {
            return Ok(Reply::Error(format!(
                "ERR unknown command '{name}', with args beginning with: "
            )));
        }
        match self.inner.call(argv)? {
            Reply::Error(e) if name == "HSTRLEN" => Ok(Reply::Error(format!("{e}!"))),
            other => Ok(other),
        }
    }
    fn advance_clock(&mut self, ms: u64) -> Result<(), TargetError> {
        self.inner.advance_clock(ms)
    }
    fn now_ms(&mut self) -> Result<i64, TargetError> {
        self.inner.now_ms()
    }
}

#[test]
fn unknown_commands_are_unsupported_per_command_and_protocol() {
    let files = load_dir(&workspace_cases());
    let state = hashcheck::cases::runner::RunState::new();
    let mut cases = Vec::new();
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        for file in &files {
            for i in 0..file.cases.len() {
                let mut target = Partial {
                    inner: EmbeddedTarget::new(protocol),
                    identity: ServerIdentity {
                        product: "partial".into(),
                        version: "0.1".into(),
                        redis_version: None,
                    },
                };
                cases.push(hashcheck::cases::runner::run_case(
                    &mut target,
                    file,
                    i,
                    &state,
                    &RunOptions::default(),
                ));
            }
        }
    }
    let report = SuiteReport {
        identity: ServerIdentity::from_info("redis_version:1\n"),
        target: "partial".into(),
        details: Details::Legal,
        cases,
        stopped_early: false,
        stop: None,
        not_run: 0,
        key_prefix: String::new(),
        cleanup: Default::default(),
        elapsed: Duration::ZERO,
    };
    let verdict = Verdict::plain(&report);
    let rows = capabilities::commands(&verdict);
    for command in ["HGETDEL", "HGETEX", "HSETEX"] {
        for row in rows.iter().filter(|r| r.command == command) {
            assert_eq!(
                row.support,
                Support::No("unknown command".into()),
                "{row:?}"
            );
            assert_eq!(row.counts.failed, 0, "{row:?}");
            assert!(row.counts.unsupported > 0, "{row:?}");
        }
    }
    let hstrlen: Vec<_> = rows.iter().filter(|r| r.command == "HSTRLEN").collect();
    assert_eq!(hstrlen.len(), 2);
    for row in hstrlen {
        assert_eq!(row.support, Support::Yes);
        assert!(row.counts.failed > 0 && row.counts.passed > 0, "{row:?}");
    }
    let hset = rows.iter().find(|r| r.command == "HSET").unwrap();
    assert_eq!(
        (hset.support.clone(), hset.counts.failed),
        (Support::Yes, 0)
    );
    let table = capabilities::table(&rows);
    assert!(
        table.contains("HGETEX        RESP2: unsupported (unknown command); RESP3: unsupported (unknown command)"),
        "{table}"
    );
}

// ---------------------------------------------------------------------------------------
// Reports

#[test]
fn junit_json_and_markdown_from_one_run() {
    let dir = temp_dir("reports");
    let junit = dir.join("junit.xml");
    let markdown = dir.join("matrix.md");
    let out = hashcheck(&[
        "run",
        "tests/fixtures/planted",
        "tests/fixtures/good",
        "--format",
        "json",
        "--junit",
        junit.to_str().unwrap(),
        "--markdown",
        markdown.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], "hashcheck-report");
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["summary"]["passed"], false);
    assert_eq!(doc["target"]["product"], "hashcheck");
    // The embedded engine is checked on Redis's own choices, and the report says so.
    assert_eq!(doc["run"]["details"], "strict");
    let cases = doc["cases"].as_array().unwrap();
    let failed: Vec<&serde_json::Value> = cases.iter().filter(|c| c["status"] == "fail").collect();
    assert_eq!(
        failed.len() as u64,
        doc["summary"]["cases"]["failed"].as_u64().unwrap()
    );
    let null = failed
        .iter()
        .find(|c| c["file"] == "tests/fixtures/planted/null-not-empty.yaml")
        .unwrap();
    assert_eq!(null["failures"][0]["command"], "HKEYS nokey");
    assert_eq!(null["failures"][0]["expected"], "(nil)");
    assert_eq!(null["failures"][0]["actual"], "(empty array)");
    assert!(doc["commands"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["command"] == "HKEYS" && c["supported"] == "yes" && c["cases"]["failed"] == 1));

    // JUnit: valid against the schema CI servers read, with the failures in it.
    let xsd = here().join("tests/fixtures/junit.xsd");
    let lint = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&xsd)
        .arg(&junit)
        .output()
        .expect("xmllint is needed (apt-get install libxml2-utils; scripts/test.sh does)");
    assert!(lint.status.success(), "{}", text(&lint.stderr));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(&format!("failures=\"{}\"", failed.len())),
        "{xml}"
    );
    assert!(xml.contains("<failure message=\"HKEYS nokey: "), "{xml}");
    assert!(
        xml.contains("<property name=\"details\" value=\"strict\"/>"),
        "{xml}"
    );

    // The schema is not a rubber stamp: a count that is not a number fails it.
    let broken = dir.join("broken.xml");
    std::fs::write(&broken, xml.replacen("tests=\"", "tests=\"x", 1)).unwrap();
    let lint = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&xsd)
        .arg(&broken)
        .output()
        .unwrap();
    assert!(!lint.status.success());

    let md = std::fs::read_to_string(&markdown).unwrap();
    assert!(md.contains("| Command | hashcheck "), "{md}");
    assert!(md.contains("), details strict."), "{md}");
    assert!(md.contains("| HKEYS | ❌ "), "{md}");
    assert!(
        md.contains("planted/null-not-empty.yaml:4` missing key, RESP2+RESP3: `HKEYS nokey`"),
        "{md}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_baseline_lets_known_differences_pass_and_reports_fixed_entries() {
    let dir = temp_dir("baseline");
    let written = dir.join("known.yaml");
    let out = hashcheck(&[
        "run",
        "tests/fixtures/planted",
        "--write-baseline",
        written.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let b = baseline::load(&written).unwrap();
    assert!(!b.known.is_empty());
    assert_eq!(b.known.len(), 3, "{b:?}");
    assert!(
        b.known.iter().all(|e| e
            .file
            .as_deref()
            .unwrap()
            .starts_with("tests/fixtures/planted/")
            && e.case.is_some()
            && e.protocol.is_none()),
        "{b:?}"
    );
    // With it, the same failures are known: exit 0.
    let out = hashcheck(&[
        "run",
        "tests/fixtures/planted",
        "--baseline",
        written.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("known difference: "),
        "{}",
        text(&out.stdout)
    );

    // A new difference still fails; an entry whose case passes is reported as fixed.
    let json = dir.join("partial.json");
    std::fs::write(
        &json,
        r#"{"version": 1, "known": [
            {"file": "planted/null-not-empty.yaml", "reason": "nil vs empty", "link": "https://example.invalid/1"},
            {"file": "good/basics.yaml", "case": "plain replies", "reason": "fixed since"}
        ]}"#,
    )
    .unwrap();
    let out = hashcheck(&[
        "run",
        "tests/fixtures/planted",
        "tests/fixtures/good",
        "--baseline",
        json.to_str().unwrap(),
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("known difference: tests/fixtures/planted/null-not-empty.yaml"),
        "{stdout}"
    );
    assert!(
        stdout.contains("planted/swapped-pairs.yaml:8: HGETALL h"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "baseline entry now passes, remove it: good/basics.yaml: plain replies (fixed since)"
        ),
        "{stdout}"
    );
    // A baseline that would cover everything is refused.
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "version: 1\nknown:\n  - reason: everything\n").unwrap();
    let out = hashcheck(&[
        "run",
        "tests/fixtures/good",
        "--baseline",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("names no command, file or case"));
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------------------------------
// Fake servers that misbehave

#[derive(Clone, Copy, Debug)]
enum Misbehave {
    /// Reads the command and never answers.
    Hang,
    /// Closes the connection.
    Close,
    /// Answers bytes that are not RESP.
    Garbage,
}

/// Reads one command (an array of bulk strings) or None at EOF.
fn read_command(reader: &mut BufReader<TcpStream>) -> Option<Vec<Vec<u8>>> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let n: usize = line.trim_end().strip_prefix('*')?.parse().ok()?;
    let mut argv = Vec::with_capacity(n);
    for _ in 0..n {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let len: usize = line.trim_end().strip_prefix('$')?.parse().ok()?;
        let mut arg = vec![0; len + 2];
        reader.read_exact(&mut arg).ok()?;
        arg.truncate(len);
        argv.push(arg);
    }
    Some(argv)
}

/// A server on a free loopback port that misbehaves on every command, or, with `healthy`,
/// only on commands other than the few a run sends before its cases (INFO, DBSIZE, COMMAND).
fn fake_server(mode: Misbehave, healthy: bool) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            thread::spawn(move || serve_fake(stream, mode, healthy));
        }
    });
    port
}

fn serve_fake(stream: TcpStream, mode: Misbehave, healthy: bool) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    while let Some(argv) = read_command(&mut reader) {
        let name = String::from_utf8_lossy(&argv[0]).to_ascii_uppercase();
        let reply: &[u8] = match name.as_str() {
            "INFO" if healthy => b"$21\r\nredis_version:8.2.3\r\n\r\n",
            "DBSIZE" if healthy => b":0\r\n",
            _ => match mode {
                Misbehave::Hang => continue,
                Misbehave::Close => return,
                Misbehave::Garbage => b"hello, I am not a Redis server\r\n",
            },
        };
        if writer.write_all(reply).is_err() {
            return;
        }
    }
}

fn connect_error(port: u16, protocol: Protocol) -> (String, Duration) {
    let options = ConnectOptions {
        connect_timeout: Duration::from_millis(700),
        timeout: Duration::from_millis(700),
        ..ConnectOptions::default()
    };
    let started = Instant::now();
    let err = NetworkTarget::connect_with(&format!("127.0.0.1:{port}"), Some(protocol), &options)
        .err()
        .expect("a misbehaving server cannot be connected to");
    (err.to_string(), started.elapsed())
}

#[test]
fn connecting_to_a_server_that_hangs_closes_or_answers_garbage_fails_clearly_and_in_time() {
    let cases = [
        (
            Misbehave::Hang,
            Protocol::Resp2,
            "INFO server: no reply within 700ms",
        ),
        (
            Misbehave::Hang,
            Protocol::Resp3,
            "connection setup (TCP connect, HELLO 3): no reply within 700ms",
        ),
        (Misbehave::Close, Protocol::Resp2, "INFO server: "),
        (
            Misbehave::Close,
            Protocol::Resp3,
            "connection setup (TCP connect, HELLO 3): ",
        ),
        (
            Misbehave::Garbage,
            Protocol::Resp2,
            "INFO server: the reply is not valid RESP",
        ),
    ];
    for (mode, protocol, want) in cases {
        let port = fake_server(mode, false);
        let (err, took) = connect_error(port, protocol);
        assert!(
            err.starts_with(&format!("cannot connect to 127.0.0.1:{port}: {want}")),
            "{mode:?} {protocol:?}: {err}"
        );
        assert!(took < Duration::from_secs(3), "{mode:?}: took {took:?}");
    }
    let (err, _) = connect_error(fake_server(Misbehave::Close, false), Protocol::Resp2);
    assert!(
        err.contains("closed the connection") || err.contains("connection"),
        "{err}"
    );
}

#[test]
fn a_server_that_fails_mid_run_stops_the_run_with_exit_2_naming_the_step() {
    for (mode, want) in [
        (Misbehave::Hang, "no reply within 1s"),
        (Misbehave::Close, "the server closed the connection"),
        (Misbehave::Garbage, "the reply is not valid RESP"),
    ] {
        let port = fake_server(mode, true);
        let started = Instant::now();
        let out = hashcheck(&[
            "run",
            "tests/fixtures/good",
            "--target",
            &format!("127.0.0.1:{port}"),
            "--resp",
            "2",
            "--jobs",
            "2",
            "--timeout",
            "1s",
            "--connect-timeout",
            "1s",
        ]);
        let took = started.elapsed();
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(2), "{mode:?}\n{stdout}\n{stderr}");
        assert!(took < Duration::from_secs(8), "{mode:?}: took {took:?}");
        // The error names the case file, line and command, and what went wrong.
        assert!(
            stderr.starts_with("hashcheck: the run did not finish: ")
                && stderr.contains("tests/fixtures/good/")
                && stderr.contains(want),
            "{mode:?}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        // The report of what ran is printed, and says the run stopped.
        assert!(stdout.contains("stopped: the target failed"), "{stdout}");
        assert!(stdout.contains("aborted"), "{stdout}");
        assert!(stdout.contains("target failed: "), "{stdout}");
    }
}

// ---------------------------------------------------------------------------------------
// Against Redis 8.2.3

#[test]
fn a_database_that_holds_keys_is_refused_unless_allowed_and_is_left_as_it_was() {
    let server = redis();
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
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
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
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains(&format!("{addr}/3 = redis 8.2.3")));
    assert_eq!(dbsize(&addr), 1);
}

#[test]
fn the_whole_suite_leaves_no_keys_and_sends_no_flush() {
    let server = redis();
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
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
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
    Command::new(env!("CARGO_BIN_EXE_hashcheck"))
        .args([
            "run",
            "--target",
            addr,
            "--allow-debug",
            "--timeout",
            "2s",
            "--connect-timeout",
            "2s",
        ])
        .current_dir(here())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until the run has put keys on the server (it is in the middle of its cases).
fn wait_for_keys(addr: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while dbsize(addr) == 0 {
        assert!(Instant::now() < deadline, "the run never wrote a key");
        thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_target_killed_mid_run_gives_exit_2_and_the_report_so_far() {
    let server = redis();
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
    let server = redis();
    let addr = server.addr();
    let child = spawn_run(&addr);
    wait_for_keys(&addr);
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(stdout.contains("stopped: interrupted"), "{stdout}");
    assert_eq!(dbsize(&addr), 0, "{stdout}");
}

#[test]
fn user_password_and_db_come_from_the_url_and_never_show_in_reports() {
    let server = ServerProcess::redis(
        hashcheck::process::redis_8_2_binary().expect("Redis 8.2.3 is needed"),
        // Each word its own argument: redis-server joins them into one config line.
        &[
            "--user", "gate", "on", ">s3cret", "~*", "&*", "+@all", "--user", "default", "off",
        ],
    )
    .unwrap();
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

/// A CA and a server certificate for 127.0.0.1, made with the openssl command.
fn make_certificates(dir: &Path) {
    let run = |args: &[&str]| {
        let status = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl is needed for the TLS test");
        assert!(status.success(), "openssl {args:?}");
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=hashcheck test CA",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
}

#[test]
fn tls_with_a_ca_file_or_an_explicit_insecure_flag() {
    // Debian's Redis 7.0.15 is built with TLS (the 8.2.3 and Valkey wheels are not).
    let dir = temp_dir("tls");
    make_certificates(&dir);
    let file = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let tls_port = hashcheck::process::free_port().unwrap().to_string();
    let server = ServerProcess::redis(
        "/usr/bin/redis-server",
        &[
            "--tls-port",
            &tls_port,
            "--tls-cert-file",
            &file("server.crt"),
            "--tls-key-file",
            &file("server.key"),
            "--tls-ca-cert-file",
            &file("ca.crt"),
            "--tls-auth-clients",
            "no",
        ],
    )
    .expect("Redis 7.0.15 (/usr/bin/redis-server) is needed");
    let url = format!("rediss://127.0.0.1:{tls_port}");
    let out = hashcheck(&[
        "run",
        "tests/fixtures/good",
        "--target",
        &url,
        "--tls-ca",
        &file("ca.crt"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("= redis 7.0.15"));
    // The system's CAs do not know ours: refused, naming the TLS step.
    let out = hashcheck(&[
        "run",
        "tests/fixtures/good",
        "--target",
        &url,
        "--connect-timeout",
        "3s",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("TLS handshake") && stderr.to_lowercase().contains("certificate"),
        "{stderr}"
    );
    let out = hashcheck(&[
        "run",
        "tests/fixtures/good",
        "--target",
        &url,
        "--tls-insecure",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    // TLS flags on a plain URL are a mistake, said so.
    let out = hashcheck(&[
        "run",
        "tests/fixtures/good",
        "--target",
        &server.addr(),
        "--tls-insecure",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("need a rediss:// URL"));
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}
