//! Fake servers that misbehave (hang, close the connection, answer garbage), at connect
//! time and in the middle of a run: a clear error naming the step, in time.

use std::io::Write;
use std::time::{Duration, Instant};

use hashcheck::targets::{ConnectOptions, NetworkTarget};
use reference_engine::Protocol;

use crate::support::net::{self, Requests};
use crate::support::{self, hashcheck, text};

#[derive(Clone, Copy, Debug)]
enum Misbehave {
    /// Reads the command and never answers.
    Hang,
    /// Closes the connection.
    Close,
    /// Answers bytes that are not RESP.
    Garbage,
}

/// A server on a free loopback port that misbehaves on every command, or, with `healthy`,
/// only on commands other than the few a run sends before its cases (INFO, DBSIZE, COMMAND).
fn fake_server(mode: Misbehave, healthy: bool) -> u16 {
    net::listen(move |stream| {
        let mut writer = stream.try_clone().unwrap();
        let mut requests = Requests::new(stream);
        while let Ok(Some(argv)) = requests.next() {
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
    })
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
    let _turn = support::light();
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
    let _turn = support::light();
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
