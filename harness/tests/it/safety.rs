//! hashcheck on a server that is not its own (issue 15): no credential in anything it prints
//! or writes; a case may send only what the allow-list says, and settings changed under
//! --allow-debug are put back even after a double Ctrl-C; a wait ends at Ctrl-C; and case
//! files that nest too deeply or wait too long are refused at their line.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::thread;
use std::time::{Duration, Instant};

use hashcheck::cases::format;
use reference_engine::Reply;

use crate::support::servers::{self, call};
use crate::support::{self, hashcheck, signal, spawn, temp_dir, text};

const USER: &str = "hcuser-q7";
const PASSWORD: &str = "pw-z9x8c7";

fn write_case(dir: &Path, name: &str, steps: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "source: https://redis.io/docs/latest/commands/hset/\nbehaviour: safety test\ncases:\n  - name: c\n    steps:\n{steps}"
        ),
    )
    .unwrap();
    path
}

/// Every file under `dir`, with its text.
fn files_under(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.push((path, text(&bytes)));
            }
        }
    }
    out
}

#[test]
fn no_user_name_or_password_in_anything_run_matrix_fuzz_or_replay_write() {
    // hash-max-listpack-entries 0: small hashes are not listpacks, so HVALS order differs
    // from the engine's and `fuzz --details strict` finds a divergence and writes a case.
    let _turn = support::light();
    let server = servers::redis_with(&[
        "--hash-max-listpack-entries",
        "0",
        "--user",
        USER,
        "on",
        &format!(">{PASSWORD}"),
        "~*",
        "&*",
        "+@all",
        "--user",
        "default",
        "off",
    ]);
    let url = format!("redis://{USER}:{PASSWORD}@{}", server.addr());
    let closed = format!("redis://{USER}:{PASSWORD}@{}", servers::closed_addr());
    let dir = temp_dir("secrets");
    let out = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let mut streams: Vec<(String, Output)> = Vec::new();
    let mut run = |label: &str, args: &[&str]| {
        let output = hashcheck(args);
        streams.push((label.to_string(), output));
    };
    for format in ["human", "json"] {
        // The planted fixtures fail, so failure reports are written too.
        run(
            &format!("run {format}"),
            &[
                "run",
                "tests/fixtures/good",
                "tests/fixtures/planted",
                "--target",
                &url,
                "--format",
                format,
                "--junit",
                &out(&format!("junit-{format}.xml")),
                "--markdown",
                &out(&format!("report-{format}.md")),
                "--write-baseline",
                &out(&format!("baseline-{format}.yaml")),
            ],
        );
    }
    run(
        "run unreachable",
        &[
            "run",
            "tests/fixtures/good",
            "--target",
            &closed,
            "--format",
            "json",
        ],
    );
    run(
        "run bad scheme",
        &[
            "run",
            "tests/fixtures/good",
            "--target",
            &format!("http://{USER}:{PASSWORD}@h:1"),
        ],
    );
    run(
        "matrix",
        &[
            "matrix",
            "tests/fixtures/good",
            "--target",
            &url,
            "--target",
            &closed,
            "-o",
            &out("matrix.md"),
        ],
    );
    run(
        "fuzz",
        &[
            "fuzz",
            "--target",
            &url,
            "--seed",
            "1",
            "--ops",
            "3000",
            "--details",
            "strict",
            "--max-cases",
            "1",
            "--shrink-time",
            "10s",
            "--out",
            &out("fuzz-out"),
        ],
    );
    run(
        "fuzz unreachable",
        &[
            "fuzz",
            "--target",
            &closed,
            "--ops",
            "10",
            "--out",
            &out("fuzz-none"),
        ],
    );
    let artifact = dir.join("crash-0123");
    std::fs::write(&artifact, b"\x01\x02\x03hset\x00\x07\x09").unwrap();
    run(
        "replay",
        &[
            "replay",
            artifact.to_str().unwrap(),
            "--out",
            &out("replayed.yaml"),
        ],
    );

    let written = files_under(&dir);
    // Each command did what it is for, so there was something to leak.
    let names: Vec<String> = written
        .iter()
        .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in [
        "junit-json.xml",
        "report-human.md",
        "baseline-json.yaml",
        "matrix.md",
        "replayed.yaml",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} not in {names:?}"
        );
    }
    let fuzz_cases: Vec<&(PathBuf, String)> = written
        .iter()
        .filter(|(p, _)| p.starts_with(dir.join("fuzz-out")))
        .collect();
    assert_eq!(fuzz_cases.len(), 1, "{streams:?}");
    // The header, the rerun line and the note name the server by its address alone.
    let (_, case_text) = fuzz_cases[0];
    let masked = format!("redis://***@{}", server.addr());
    assert!(
        case_text.contains(&format!("# Rerun: hashcheck fuzz --target {masked} ")),
        "{case_text}"
    );
    assert!(
        case_text.contains(&format!("at {masked} in RESP")),
        "{case_text}"
    );
    let matrix = std::fs::read_to_string(dir.join("matrix.md")).unwrap();
    assert!(matrix.contains("redis://***@127.0.0.1:"), "{matrix}");

    for secret in [USER, PASSWORD] {
        for (label, output) in &streams {
            for (stream, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
                let t = text(bytes);
                assert!(
                    !t.contains(secret),
                    "{label} {stream} shows {secret:?}:\n{t}"
                );
            }
        }
        for (path, t) in &written {
            assert!(
                !t.contains(secret),
                "{} shows {secret:?}:\n{t}",
                path.display()
            );
        }
    }
    let bad_scheme = text(
        &streams
            .iter()
            .find(|(l, _)| l == "run bad scheme")
            .unwrap()
            .1
            .stderr,
    );
    assert!(
        bad_scheme.contains("http:// is not a Redis address; use redis://, rediss://"),
        "{bad_scheme}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn debug_config_and_flushall_are_refused_at_their_line_before_anything_is_sent() {
    let dir = temp_dir("refused");
    let _turn = support::light();
    // Nothing listens here: a refusal that came after connecting would say so instead.
    let target = servers::closed_addr();
    for (step, line, words) in [
        (
            "      - send: [DEBUG, SET-ACTIVE-EXPIRE, \"0\"]\n",
            7,
            "DEBUG SET-ACTIVE-EXPIRE 0",
        ),
        (
            "      - send: [CONFIG, SET, maxmemory, \"1\"]\n",
            7,
            "CONFIG SET maxmemory 1",
        ),
        ("      - send: [FLUSHALL]\n", 7, "FLUSHALL"),
        (
            "      - send: [ZUNIONSTORE, d, \"1\", s]\n",
            7,
            "ZUNIONSTORE d 1 s",
        ),
    ] {
        let path = write_case(
            &dir,
            "c.yaml",
            &format!("      - send: [HSET, h, f, v]\n{step}"),
        );
        for flag in [None, Some("--allow-debug")] {
            let mut args = vec!["run", path.to_str().unwrap(), "--target", &target];
            args.extend(flag);
            let out = hashcheck(&args);
            let stderr = text(&out.stderr);
            let flagged = words.starts_with("DEBUG") || words.starts_with("CONFIG");
            if flagged && flag.is_some() {
                // Allowed now: the run goes on to connect, and fails there.
                assert!(stderr.contains("cannot connect"), "{stderr}");
                continue;
            }
            assert_eq!(out.status.code(), Some(2), "{stderr}");
            assert!(
                stderr.starts_with(&format!("hashcheck: {}:{line}: {words}", path.display())),
                "{stderr}"
            );
            assert!(!stderr.contains("cannot connect"), "{stderr}");
            let expected = if !flagged {
                "refused"
            } else {
                "pass --allow-debug"
            };
            assert!(stderr.contains(expected), "{stderr}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `INFO stats` expired_keys.
fn expired_keys(addr: &str) -> i64 {
    let Reply::Bulk(info) = call(addr, &["INFO", "stats"]) else {
        panic!()
    };
    text(&info)
        .lines()
        .find_map(|l| l.strip_prefix("expired_keys:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn settings_changed_under_allow_debug_are_put_back_after_a_double_ctrl_c() {
    let _turn = support::light();
    let server = servers::redis_with(&[]);
    let addr = server.addr();
    let config = |addr: &str| call(addr, &["CONFIG", "GET", "hash-max-listpack-entries"]);
    let original = config(&addr);
    let dir = temp_dir("restore");
    let path = write_case(
        &dir,
        "settings.yaml",
        "      - send: [CONFIG, SET, hash-max-listpack-entries, \"7\"]\n      - send: [DEBUG, SET-ACTIVE-EXPIRE, \"0\"]\n      - wait: 1000\n      - send: [HSET, h, f, v]\n",
    );
    let child = spawn(&[
        "run",
        path.to_str().unwrap(),
        "--target",
        &addr,
        "--allow-debug",
        "--resp",
        "2",
        "--timeout",
        "60s",
    ]);
    let changed = Reply::Array(vec![
        Reply::bulk("hash-max-listpack-entries"),
        Reply::bulk("7"),
    ]);
    support::wait_until(
        "the case changed the setting",
        Duration::from_secs(20),
        || config(&addr) == changed,
    );
    // The case's HSET now blocks: the run sits still while it is interrupted twice. CONFIG
    // and DEBUG are not writes, so the restore still gets through.
    assert_eq!(
        call(&addr, &["CLIENT", "PAUSE", "30000", "WRITE"]),
        Reply::ok()
    );
    thread::sleep(Duration::from_millis(1500));
    signal(&child, "INT");
    thread::sleep(Duration::from_millis(300));
    signal(&child, "INT");
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("restored 2 server settings"), "{stderr}");
    assert_eq!(call(&addr, &["CLIENT", "UNPAUSE"]), Reply::ok());
    assert_eq!(config(&addr), original);
    // Active expiry is on again: a key that expires is reclaimed without being touched.
    let before = expired_keys(&addr);
    assert_eq!(call(&addr, &["SET", "probe", "1", "PX", "1"]), Reply::ok());
    support::wait_until(
        "active expiry reclaimed the key",
        Duration::from_secs(20),
        || expired_keys(&addr) > before,
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ctrl_c_ends_a_wait_at_once_and_the_keys_are_deleted() {
    let _turn = support::light();
    let server = servers::redis_with(&[]);
    let addr = server.addr();
    let dir = temp_dir("wait");
    let path = write_case(
        &dir,
        "wait.yaml",
        "      - send: [HSET, h, f, v]\n      - wait: 20000\n      - send: [HGET, h, f]\n        expect: v\n",
    );
    let child = spawn(&[
        "run",
        path.to_str().unwrap(),
        "--target",
        &addr,
        "--resp",
        "2",
    ]);
    support::wait_until("the case wrote its key", Duration::from_secs(20), || {
        call(&addr, &["DBSIZE"]) == Reply::Integer(1)
    });
    let signalled = Instant::now();
    signal(&child, "INT");
    let out = child.wait_with_output().unwrap();
    let took = signalled.elapsed();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    eprintln!("Ctrl-C during a 20 s wait: the run ended {took:?} later");
    // Far less than the wait: it was cut short, not waited out.
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(
        stdout.contains(&format!(
            "interrupted during the wait at {}:7",
            path.display()
        )),
        "{stdout}"
    );
    assert_eq!(call(&addr, &["DBSIZE"]), Reply::Integer(0));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn deep_nesting_and_endless_waits_are_refused_at_their_line() {
    let depth = 100 << 10;
    let deep = format!(
        "source: s\nbehaviour: b\ncases:\n  - name: deep\n    steps:\n      - send: [HGET, h, f]\n        expect: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    assert_eq!(deep.len() / 1024, 200);
    let err = format::load_str(Path::new("deep.yaml"), &deep).unwrap_err();
    assert_eq!(err.loc.line, 7, "{err}");
    assert!(err.to_string().starts_with("deep.yaml:7: nested "), "{err}");
    assert!(err.message.contains("at most 64 levels"), "{err}");
    let dashes = format!(
        "source: s\nbehaviour: b\ncases:\n  - name: deep\n    steps:\n      - send: [HGET, h, f]\n        expect:\n          {}x\n",
        "- ".repeat(depth)
    );
    let err = format::load_str(Path::new("dashes.yaml"), &dashes).unwrap_err();
    assert_eq!(err.loc.line, 8, "{err}");

    let endless = "source: s\nbehaviour: b\ncases:\n  - name: w\n    steps:\n      - send: [HSET, h, f, v]\n      - wait: 18446744073709551615\n";
    let err = format::load_str(Path::new("w.yaml"), endless).unwrap_err();
    assert_eq!(
        err.to_string(),
        "w.yaml:7: wait: 18446744073709551615 is longer than a case may wait (at most 3600000 ms, one hour)"
    );
    let hour = endless.replace("18446744073709551615", "3600000");
    assert!(format::load_str(Path::new("w.yaml"), &hour).is_ok());
}
