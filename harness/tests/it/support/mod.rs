//! What more than one test file needs: the paths, running the hashcheck binary, scratch
//! directories, taking turns on the machine, the servers ([`servers`]), the engine behind
//! another face ([`fake`]) and loopback proxies and fake servers ([`net`]).

pub mod cluster;
pub mod fake;
pub mod net;
pub mod servers;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------
// Turns
//
// WHY: all the tests are one binary, so libtest runs tests of different files side by
// side (one thread per core), where before each file was its own binary and the files ran
// one after another. A test whose verdict depends on how much gets done in a span of time
// while it keeps both cores busy (the planted servers, the differential tests, coverage's
// 60 s fuzz run) would then share the machine with any other test, and a 2-core CI
// machine would turn that into false failures. So a test that starts a process or a
// server takes a turn: `heavy` alone, `light` beside other light ones (at most one other,
// as siblings in one binary were before), never beside a heavy one. Tests that stay in
// this process and time nothing take no turn. The lock is writer-preferring (std's futex
// RwLock), so a waiting heavy test is not starved by a stream of light ones.
//
// A lock, not RUST_TEST_THREADS=1 in scripts/test.sh: that would also run the unit tests
// of both crates and all the light tests one at a time, making the suite slower, and every
// other way of calling `cargo test` would need it too.

static MACHINE: RwLock<()> = RwLock::new(());

/// The machine to itself: no other test that takes a turn runs meanwhile.
pub fn heavy() -> RwLockWriteGuard<'static, ()> {
    MACHINE.write().unwrap_or_else(|e| e.into_inner())
}

/// The machine shared with other light tests only.
pub fn light() -> RwLockReadGuard<'static, ()> {
    MACHINE.read().unwrap_or_else(|e| e.into_inner())
}

// ---------------------------------------------------------------------------------------
// Paths

/// The harness crate (`harness/`): the hashcheck binary runs here, so `tests/fixtures/..`
/// paths in its output read the same on every machine.
pub fn here() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The workspace root, which holds `cases/`.
pub fn workspace() -> &'static Path {
    here().parent().unwrap()
}

pub fn fixtures() -> PathBuf {
    here().join("tests/fixtures")
}

/// The case files under `dir` (recursively, sorted), loaded; a file that does not load
/// fails the test.
pub fn load_dir(dir: &Path) -> Vec<hashcheck::cases::format::CaseFile> {
    hashcheck::cmd::run::case_files(dir)
        .unwrap()
        .iter()
        .map(|p| hashcheck::cases::format::load(p).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Scratch directories

/// A path under the system's temp directory that nothing uses yet, named for `name`. The
/// tests share one process, so the process id alone does not tell two tests apart.
pub fn scratch(name: &str) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path =
        std::env::temp_dir().join(format!("hashcheck-test-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    path
}

/// [`scratch`], created.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = scratch(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---------------------------------------------------------------------------------------
// The hashcheck binary

/// `hashcheck ARGS` in `harness/`, without colour, ready to run or spawn.
pub fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hashcheck"));
    command.args(args).current_dir(here()).env("NO_COLOR", "1");
    command
}

/// Runs `hashcheck ARGS` in `harness/` to its end.
pub fn hashcheck(args: &[&str]) -> Output {
    command(args).output().unwrap()
}

/// Runs `hashcheck ARGS` in `cwd` to its end.
pub fn hashcheck_in(cwd: &Path, args: &[&str]) -> Output {
    command(args).current_dir(cwd).output().unwrap()
}

/// Starts `hashcheck ARGS` in `harness/` with its output piped, in the background.
pub fn spawn(args: &[&str]) -> Child {
    command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Sends `signal` (`INT`, `KILL`, ...) to the child we started, by its PID.
pub fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signal} {}", child.id());
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Exit code, stdout and stderr in one text, for an assertion's message.
pub fn all(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr)
    )
}

/// Waits until `check` holds, or fails naming `what`.
pub fn wait_until(what: &str, within: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        thread::sleep(Duration::from_millis(5));
    }
}

/// Asserts the exit code, showing all the output when it is not `code`.
pub fn assert_exit(output: &Output, code: i32) {
    assert_eq!(output.status.code(), Some(code), "{}", all(output));
}
