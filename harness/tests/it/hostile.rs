//! hashcheck against servers that attack it: a proxy in front of Redis 8.2.3 forwards every
//! command, except one, chosen by its place in the run, whose reply is an attack:
//! - an endless bulk string (`$9223372036854775807` and bytes without end);
//! - an endless array (`*9223372036854775807` and `:1` without end);
//! - an endless simple string (`+` and bytes without end), under `--max-reply 16mb`;
//! - the real reply, one byte a second;
//! - no reply: the connection closed.
//!
//! `run` and `fuzz` must stop with exit 2 and a one-line cause, within the timeout (a second
//! more for the drip), with a peak resident memory under 100 MB, and report what ran before.
//! Memory is the child's own peak (`VmHWM`, read while it runs).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use hashcheck::process::ServerProcess;
use reference_engine::resp::encode_request;

use crate::support::net::{self, Proxy};
use crate::support::{self, servers};

const MAX_RSS_KB: i64 = 100 * 1024;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Attack {
    EndlessBulk,
    EndlessArray,
    /// A simple string that never ends: no length to refuse, only bytes to count.
    EndlessLine,
    Drip,
    /// No reply at all: the connection is closed instead, as a server does that crashes or
    /// drops a client on a command it cannot handle.
    Close,
}

/// A proxy to `upstream` that attacks the reply to the request numbered `at` (counting
/// from 0 over all connections) and forwards everything else.
struct Attacker {
    proxy: Proxy,
    /// When the attack began.
    attacked: Arc<Mutex<Option<Instant>>>,
}

impl Attacker {
    fn start(upstream: u16, attack: Attack, at: usize) -> Self {
        let attacked = Arc::new(Mutex::new(None));
        let count = AtomicUsize::new(0);
        let shared = Arc::clone(&attacked);
        let proxy = Proxy::start(upstream, move |argv, server, client| {
            let reply = server.forward(argv)?;
            if count.fetch_add(1, Ordering::SeqCst) != at {
                return client.write_all(&reply);
            }
            *shared.lock().unwrap() = Some(Instant::now());
            attack_with(attack, &reply, client)
        });
        Self { proxy, attacked }
    }

    fn addr(&self) -> String {
        self.proxy.addr()
    }

    fn attacked(&self) -> Instant {
        self.attacked.lock().unwrap().expect("the attack happened")
    }
}

/// Writes the attack to `client` until the client goes away (or at once, for Close).
fn attack_with(attack: Attack, reply: &[u8], client: &mut TcpStream) -> io::Result<()> {
    match attack {
        Attack::EndlessBulk => {
            client.write_all(b"$9223372036854775807\r\n")?;
            let bytes = vec![b'a'; 1 << 16];
            loop {
                client.write_all(&bytes)?;
            }
        }
        Attack::EndlessArray => {
            client.write_all(b"*9223372036854775807\r\n")?;
            let ones = b":1\r\n".repeat(1 << 14);
            loop {
                client.write_all(&ones)?;
            }
        }
        Attack::EndlessLine => {
            client.write_all(b"+")?;
            let bytes = vec![b'a'; 1 << 16];
            loop {
                client.write_all(&bytes)?;
            }
        }
        // An error ends the connection, closing it.
        Attack::Close => Err(io::ErrorKind::ConnectionAborted.into()),
        Attack::Drip => loop {
            for b in reply {
                client.write_all(std::slice::from_ref(b))?;
                thread::sleep(Duration::from_secs(1));
            }
            // Then the same again, as if the reply went on.
        },
    }
}

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    /// Peak resident memory, in KB.
    max_rss_kb: i64,
    ended: Instant,
}

/// Runs hashcheck and collects its exit, output and peak memory.
///
/// WHY not `ru_maxrss` from `wait4`: the kernel folds into it the memory the child had
/// before `exec`, that is the whole test process (fork and vfork alike), so it measured this
/// test binary as much as hashcheck. `VmHWM` of the running child counts its own image only;
/// it is read every few milliseconds until the child has exited (waited for without being
/// reaped, so its pid cannot be reused meanwhile).
fn hashcheck(args: &[&str]) -> Ran {
    let mut child = support::command(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let drain = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let pid = child.id();
    let exited = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let poller = {
        let exited = exited.clone();
        thread::spawn(move || {
            let mut peak_kb = 0;
            while !exited.load(Ordering::SeqCst) {
                if let Some(kb) = vm_hwm_kb(pid) {
                    peak_kb = peak_kb.max(kb);
                }
                thread::sleep(Duration::from_millis(2));
            }
            peak_kb
        })
    };
    // SAFETY: siginfo is plain data; the child is ours and WNOWAIT leaves it unreaped.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let waited = unsafe {
        libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOWAIT,
        )
    };
    assert_eq!(waited, 0, "waitid: {}", std::io::Error::last_os_error());
    let ended = Instant::now();
    exited.store(true, Ordering::SeqCst);
    let max_rss_kb = poller.join().unwrap();
    let status = child.wait().unwrap();
    Ran {
        code: status.code(),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
        max_rss_kb,
        ended,
    }
}

/// The peak resident memory of a running process, from `/proc/PID/status`.
fn vm_hwm_kb(pid: u32) -> Option<i64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The cause hashcheck printed: its last line on stderr.
fn cause(ran: &Ran) -> &str {
    ran.stderr.trim_end().lines().last().unwrap_or("")
}

fn run_args<'a>(addr: &'a str, timeout: &'a str) -> Vec<&'a str> {
    vec![
        "run",
        "tests/fixtures/good",
        "--target",
        addr,
        "--resp",
        "2",
        "-j",
        "1",
        "--timeout",
        timeout,
    ]
}

fn fuzz_args<'a>(addr: &'a str, timeout: &'a str, out: &'a str) -> Vec<&'a str> {
    vec![
        "fuzz",
        "--target",
        addr,
        "--seed",
        "1",
        "--ops",
        "20000",
        "--timeout",
        timeout,
        "--out",
        out,
    ]
}

fn out_dir(name: &str) -> String {
    support::scratch(name).to_string_lossy().into_owned()
}

/// Exit 2, the cause on one line naming the target, in time, in little memory.
fn assert_stopped(ran: &Ran, proxy: &Attacker, within: Duration, cause_has: &str) {
    let took = ran.ended - proxy.attacked();
    let line = cause(ran);
    eprintln!(
        "stopped {:.2} s after the attack, peak RSS {} MB: {line}",
        took.as_secs_f64(),
        ran.max_rss_kb / 1024
    );
    assert_eq!(ran.code, Some(2), "{}\n{}", ran.stdout, ran.stderr);
    assert!(
        line.contains(cause_has) && line.contains(&proxy.addr()),
        "{line}\n{}",
        ran.stderr
    );
    assert!(took <= within, "took {took:?}, allowed {within:?}");
    assert!(
        ran.max_rss_kb < MAX_RSS_KB,
        "peak RSS {} KB",
        ran.max_rss_kb
    );
}

#[test]
fn run_stops_at_an_endless_bulk_or_array() {
    let _turn = support::light();
    let redis = servers::redis();
    for attack in [Attack::EndlessBulk, Attack::EndlessArray] {
        // Past INFO and DBSIZE, inside the first case.
        let proxy = Attacker::start(redis.port(), attack, 6);
        let ran = hashcheck(&run_args(&proxy.addr(), "5s"));
        assert_stopped(&ran, &proxy, Duration::from_secs(5), "reply too large");
        assert!(cause(&ran).contains("--max-reply"), "{}", ran.stderr);
        // What ran before is reported.
        assert!(
            ran.stdout.contains("the case stopped here") && ran.stdout.contains("1 aborted"),
            "{}",
            ran.stdout
        );
    }
    let proxy = Attacker::start(redis.port(), Attack::EndlessLine, 6);
    let addr = proxy.addr();
    let mut args = run_args(&addr, "5s");
    args.extend(["--max-reply", "16mb"]);
    let ran = hashcheck(&args);
    assert_stopped(
        &ran,
        &proxy,
        Duration::from_secs(5),
        "bytes received and not complete",
    );
    assert!(cause(&ran).contains("over the limit of 16 MB (--max-reply)"));
}

/// `hashcheck fuzz` through an [`Attacker`] at the 400th request: it stops, saying how far
/// it got.
fn fuzz_attacked(redis: &ServerProcess, attack: Attack, cause_has: &str) -> Ran {
    let proxy = Attacker::start(redis.port(), attack, 400);
    let out = out_dir("attacked");
    let ran = hashcheck(&fuzz_args(&proxy.addr(), "5s", &out));
    assert_stopped(&ran, &proxy, Duration::from_secs(5), cause_has);
    assert!(
        ran.stderr.contains("the run stopped after"),
        "{}",
        ran.stderr
    );
    let _ = std::fs::remove_dir_all(&out);
    ran
}

#[test]
fn fuzz_stops_at_an_endless_bulk_or_array_and_says_how_far_it_got() {
    let _turn = support::light();
    let redis = servers::redis();
    for attack in [Attack::EndlessBulk, Attack::EndlessArray] {
        fuzz_attacked(&redis, attack, "reply too large");
    }
}

#[test]
fn fuzz_names_the_command_a_server_closed_the_connection_on() {
    let _turn = support::light();
    let redis = servers::redis();
    let ran = fuzz_attacked(&redis, Attack::Close, "the server closed the connection");
    // Which command of a pipelined batch went unanswered: the one to look at first.
    let line = cause(&ran);
    assert!(
        line.contains(", instead of answering ") && line.contains("sent together)"),
        "{line}"
    );
}

#[test]
fn a_server_that_drips_is_timed_out_per_reply_not_per_read() {
    let _turn = support::light();
    let redis = servers::redis();
    let allowed = Duration::from_secs(3);
    // From the first command (INFO server, at connect) and inside a run.
    for at in [0, 6] {
        let proxy = Attacker::start(redis.port(), Attack::Drip, at);
        let ran = hashcheck(&run_args(&proxy.addr(), "2s"));
        assert_stopped(&ran, &proxy, allowed, "within 2s (--timeout)");
    }
    for at in [0, 400] {
        let proxy = Attacker::start(redis.port(), Attack::Drip, at);
        let out = out_dir("drip");
        let ran = hashcheck(&fuzz_args(&proxy.addr(), "2s", &out));
        assert_stopped(&ran, &proxy, allowed, "within 2s (--timeout)");
        let _ = std::fs::remove_dir_all(&out);
    }
}

#[test]
fn the_reply_limit_is_a_flag() {
    let _turn = support::light();
    let redis = servers::redis();
    // HGETALL of a hash of 2,000 fields of 1 KB: about 2 MB.
    let mut setup = TcpStream::connect(redis.addr()).unwrap();
    let mut argv: Vec<Vec<u8>> = vec![b"HSET".to_vec(), b"big".to_vec()];
    for i in 0..2000 {
        argv.push(format!("f{i}").into_bytes());
        argv.push(vec![b'v'; 1024]);
    }
    setup.write_all(&encode_request(&argv)).unwrap();
    net::read_reply(&mut setup).unwrap();
    let connect = |limit: u64| {
        let options = hashcheck::targets::ConnectOptions {
            max_reply: limit,
            ..hashcheck::targets::ConnectOptions::default()
        };
        hashcheck::targets::NetworkTarget::connect_with(&redis.addr(), None, &options).unwrap()
    };
    use hashcheck::targets::Target;
    let hgetall = [b"HGETALL".to_vec(), b"big".to_vec()];
    let reply = connect(4 << 20).call(&hgetall).unwrap();
    assert!(matches!(reply, reference_engine::Reply::Array(a) if a.len() == 4000));
    let err = connect(1 << 20).call(&hgetall).err().unwrap().to_string();
    assert!(
        err.contains("reply too large") && err.contains("over the limit of 1 MB (--max-reply)"),
        "{err}"
    );
    let ran = hashcheck(&["run", "--max-reply", "1x"]);
    assert_eq!(ran.code, Some(2));
    assert!(
        ran.stderr.contains("is not a size like 512mb"),
        "{}",
        ran.stderr
    );
}

#[test]
fn connection_errors_read_the_same_in_run_matrix_and_fuzz() {
    let _turn = support::light();
    let addr = servers::closed_addr();
    let url = format!("redis://alice:s3cret@{addr}");
    let want = format!(
        "hashcheck: cannot connect to {addr}: connection setup (TCP connect, AUTH): \
         connection refused"
    );
    let out = out_dir("unreachable");
    for args in [
        vec!["run", "tests/fixtures/good", "--target", &url],
        vec!["matrix", "tests/fixtures/good", "--target", &url],
        vec!["fuzz", "--target", &url, "--ops", "10", "--out", &out],
    ] {
        let ran = hashcheck(&args);
        assert_eq!(ran.code, Some(2), "{args:?}: {}", ran.stderr);
        assert_eq!(ran.stderr.trim_end(), want, "{args:?}");
        // (matrix's Markdown column still shows the URL as given: issue 15's secrets work.)
        if args[0] != "matrix" {
            assert!(!ran.stdout.contains("s3cret"), "{args:?}: {}", ran.stdout);
        }
    }
}

#[test]
fn a_tls_handshake_that_drips_is_timed_out_too() {
    let _turn = support::light();
    // A TLS record header (handshake, 16 KB long), then its body a byte a second.
    let port = net::listen(|mut client| {
        let _ = client.write_all(&[0x16, 0x03, 0x03, 0x40, 0x00]);
        while client.write_all(&[0]).is_ok() {
            thread::sleep(Duration::from_secs(1));
        }
    });
    let url = format!("rediss://127.0.0.1:{port}");
    let started = Instant::now();
    let ran = hashcheck(&[
        "run",
        "tests/fixtures/good",
        "--target",
        &url,
        "--tls-insecure",
        "--connect-timeout",
        "2s",
    ]);
    let took = ran.ended - started;
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(
        cause(&ran).contains("TLS handshake not done within 2s (--connect-timeout)"),
        "{}",
        ran.stderr
    );
    assert!(took < Duration::from_secs(3), "took {took:?}");
}
