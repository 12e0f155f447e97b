//! Server processes for tests and benchmarks: start Redis, Valkey or `hashcheck serve` on a
//! free loopback port, wait until it answers, and kill it (by its own PID) when dropped.
//!
//! Tests never share a server or a fixed port: each starts its own, so they can run in
//! parallel next to other people's servers on the same machine.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// How long a server may take to answer its first PING.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(15);

/// A running server, killed when dropped.
pub struct ServerProcess {
    child: Child,
    port: u16,
    /// Where a Redis-like server's output goes, for the error message when it fails.
    log: Option<PathBuf>,
}

impl ServerProcess {
    /// Starts a Redis-compatible server binary (redis-server, valkey-server) on a free port,
    /// with no persistence and DEBUG enabled, plus `extra` arguments.
    pub fn redis(binary: impl AsRef<Path>, extra: &[&str]) -> io::Result<Self> {
        let binary = binary.as_ref();
        Self::on_free_port(binary, "server", |port, log| {
            let mut command = Command::new(binary);
            command
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .args(["--enable-debug-command", "yes", "--daemonize", "no"])
                .args(extra)
                .stdout(std::fs::File::create(log)?)
                .stderr(Stdio::null());
            Ok(command)
        })
    }

    /// Starts what `command` builds for a port and a log file, on a free loopback port.
    /// A free port can be taken by someone else between probing and binding: retried.
    fn on_free_port(
        program: &Path,
        name: &str,
        command: impl Fn(u16, &Path) -> io::Result<Command>,
    ) -> io::Result<Self> {
        let mut last_error = None;
        for _ in 0..5 {
            let port = free_port()?;
            let log = std::env::temp_dir().join(format!("hashcheck-{name}-{port}.log"));
            let child = command(port, &log)?
                .stdin(Stdio::null())
                .spawn()
                .map_err(|e| with_context(e, &format!("cannot start {}", program.display())))?;
            let mut server = Self {
                child,
                port,
                log: Some(log),
            };
            match server.wait_ready() {
                Ok(()) => return Ok(server),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::other(format!("{name} did not start"))))
    }

    /// Starts `hashcheck serve --port 0` from `binary` (in tests,
    /// `env!("CARGO_BIN_EXE_hashcheck")`) and reads its port from the startup line.
    pub fn hashcheck(binary: impl AsRef<Path>, extra: &[&str]) -> io::Result<Self> {
        let mut child = Command::new(binary.as_ref())
            .args(["serve", "--bind", "127.0.0.1", "--port", "0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            // Engine panics print here; in a test run they show next to the failure.
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout);
        let mut first = String::new();
        lines.read_line(&mut first)?;
        // Keep draining stdout, so a later print never meets a closed pipe.
        thread::spawn(move || io::copy(&mut lines, &mut io::sink()));
        let port = first
            .trim()
            .strip_prefix("hashcheck serve listening on ")
            .and_then(|addr| addr.rsplit(':').next())
            .and_then(|p| p.parse().ok());
        let mut server = Self {
            child,
            port: 0,
            log: None,
        };
        server.port = port.ok_or_else(|| {
            io::Error::other(format!(
                "unexpected startup line from hashcheck serve: {first:?}"
            ))
        })?;
        server.wait_ready()?;
        Ok(server)
    }

    /// Starts fakeredis's TCP server with `launcher` (scripts/fakeredis-server.sh, which
    /// takes the port) on a free loopback port.
    pub fn fakeredis(launcher: impl AsRef<Path>) -> io::Result<Self> {
        let launcher = launcher.as_ref();
        Self::on_free_port(launcher, "fakeredis", |port, log| {
            let mut command = Command::new("bash");
            command
                .arg(launcher)
                .arg(port.to_string())
                .stdout(std::fs::File::create(log)?)
                .stderr(std::fs::File::options().append(true).open(log)?);
            Ok(command)
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT`
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `redis://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until the server answers PING with any reply (an error reply counts: the
    /// server is up, whatever it thinks of PING).
    fn wait_ready(&mut self) -> io::Result<()> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Err(io::Error::other(format!(
                    "server exited during startup ({status}){}",
                    self.log_tail()
                )));
            }
            if ping(self.port).is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "server on port {} did not answer PING{}",
                        self.port,
                        self.log_tail()
                    ),
                ));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn log_tail(&self) -> String {
        let Some(log) = &self.log else {
            return String::new();
        };
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(5).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!("; log {}: {}", log.display(), tail.join(" | "))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // Child::kill signals exactly this PID; wait reaps it so no zombie is left.
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(log) = &self.log {
            let _ = std::fs::remove_file(log);
        }
    }
}

/// Sends PING and reads one reply line.
fn ping(port: u16) -> io::Result<()> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.write_all(b"*1\r\n$4\r\nPING\r\n")?;
    let mut reply = [0u8; 1];
    stream.read_exact(&mut reply)?;
    if matches!(reply[0], b'+' | b'-') {
        Ok(())
    } else {
        Err(io::Error::other("unexpected reply to PING"))
    }
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn with_context(e: io::Error, context: &str) -> io::Error {
    io::Error::new(e.kind(), format!("{context}: {e}"))
}

/// The workspace root, for finding `.servers/`.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The Redis 8.2.3 binary: `$HASHCHECK_REDIS_8_2` (set by scripts/test.sh), else
/// `.servers/redis-8.2.3/redis-server` in the workspace; None if neither exists.
pub fn redis_8_2_binary() -> Option<PathBuf> {
    installed("HASHCHECK_REDIS_8_2", ".servers/redis-8.2.3/redis-server")
}

/// The Valkey 9.1.2 binary, found like [`redis_8_2_binary`] (`$HASHCHECK_VALKEY_9_1`).
pub fn valkey_9_1_binary() -> Option<PathBuf> {
    installed(
        "HASHCHECK_VALKEY_9_1",
        ".servers/valkey-9.1.2/valkey-server",
    )
}

/// fakeredis's launcher, found like [`redis_8_2_binary`] (`$HASHCHECK_FAKEREDIS`), and only
/// when the venv it runs from is there.
pub fn fakeredis_launcher() -> Option<PathBuf> {
    let venv = workspace_root().join(".servers/venv/bin/python");
    installed("HASHCHECK_FAKEREDIS", "scripts/fakeredis-server.sh").filter(|_| venv.is_file())
}

/// Starts fakeredis, or fails when it is not installed (like [`start_redis_8_2`]).
pub fn start_fakeredis() -> io::Result<ServerProcess> {
    match fakeredis_launcher() {
        Some(launcher) => ServerProcess::fakeredis(launcher),
        None => Err(io::Error::other(
            "fakeredis is not installed: run scripts/install-servers.sh (tests never skip)",
        )),
    }
}

fn installed(var: &str, relative: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .map(PathBuf::from)
        .or_else(|| Some(workspace_root().join(relative)))
        .filter(|p| p.is_file())
}

/// Starts Redis 8.2.3, or fails when it is not installed, on a developer machine as under
/// CI: a test that cannot reach its oracle must fail, since a skipped test inside a passing
/// `cargo test` is invisible. (It never returns `Ok(None)`; the `Option` is kept so callers
/// written for an optional server keep compiling.)
pub fn start_redis_8_2() -> io::Result<Option<ServerProcess>> {
    match redis_8_2_binary() {
        Some(binary) => ServerProcess::redis(binary, &[]).map(Some),
        None => Err(io::Error::other(
            "Redis 8.2.3 is not installed: run scripts/install-servers.sh (tests never skip)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_starts_answers_and_dies_with_its_handle() {
        let Some(server) = start_redis_8_2().unwrap() else {
            return;
        };
        ping(server.port()).unwrap();
        let pid = server.pid();
        let port = server.port();
        drop(server);
        // The process is gone (reaped), and so is its port.
        assert!(!Path::new(&format!("/proc/{pid}")).exists());
        assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
    }

    #[test]
    fn a_binary_that_is_not_a_server_is_an_error() {
        let err = ServerProcess::redis("/bin/false", &[]).err().unwrap();
        assert!(err.to_string().contains("exited during startup"), "{err}");
    }
}
