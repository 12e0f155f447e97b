//! A server on the network as a [`Target`]: `redis://`, `rediss://` (TLS), `redis+unix://`
//! or plain `host:port`.
//!
//! The `redis` crate reads the URL (host, port, user, password, database, protocol), as every
//! Redis client reads it. The socket is hashcheck's own, and every byte of every reply,
//! the connection setup's included, goes through [`Wire`], which bounds each reply in size
//! and each batch in time. The crate's connection cannot do that: its parser takes any
//! declared length and keeps reading, and its timeouts bound each socket read, so a server
//! that answers `$9223372036854775807` and then streams bytes took a run to 3 GB in 9 s,
//! and one that sends a byte a second was never timed out. Owning the socket costs the
//! setup commands (HELLO/AUTH/SELECT, a few lines here) and TLS (`tls.rs`, rustls as the
//! crate used it).
//!
//! Replies are decoded with the engine's decoder, so they are exactly what the engine's
//! replies are compared in (`resp::canonical`): RESP2's `*-1` stays [`Reply::NullArray`],
//! errors keep their bytes, attributes are dropped and pushes skipped.

use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use redis::{ConnectionAddr, IntoConnectionInfo, ProtocolVersion};
use reference_engine::{Protocol, Reply};

use super::address::{check_scheme, redact};
use super::tls::{TlsStream, Trust};
use super::wire::{Deadline, Stream, Wire};
use super::{
    hello_protocol, is_auth_error, ClockKind, ConnectOptions, ServerIdentity, Target, TargetError,
};

/// A connection to a Redis-compatible server.
pub struct NetworkTarget {
    name: String,
    wire: Wire,
    protocol: Protocol,
    identity: ServerIdentity,
    /// Set after a transport failure: a timed-out reply may still arrive and would be read
    /// as the answer to the next command, so the connection is not used again.
    broken: bool,
    /// Bounds each call or batch.
    timeout: Duration,
    /// The server said it is a Redis Cluster node (INFO's `redis_mode`, or HELLO's `mode`).
    cluster_mode: bool,
}

impl NetworkTarget {
    /// Connects to `spec`: `redis://[user:pass@]host:port[/db][?protocol=resp3]` (or
    /// `valkey://`), or plain `host:port`. `protocol` overrides the URL's; `timeout` bounds
    /// connecting and every command.
    pub fn connect(
        spec: &str,
        protocol: Option<Protocol>,
        timeout: Duration,
    ) -> Result<Self, TargetError> {
        Self::connect_with(spec, protocol, &ConnectOptions::new(timeout))
    }

    /// [`NetworkTarget::connect`] with TLS (`rediss://`), separate timeouts and a reply
    /// limit. Every error names the address (never a credential) and the step that failed:
    /// the URL, the TLS settings, the connection setup (TCP, TLS, HELLO/AUTH/SELECT, within
    /// the connect timeout) or the first command (`INFO server`).
    pub fn connect_with(
        spec: &str,
        protocol: Option<Protocol>,
        options: &ConnectOptions,
    ) -> Result<Self, TargetError> {
        let started = Instant::now();
        check_scheme(spec).map_err(|reason| TargetError::Connect {
            target: redact(spec),
            reason,
        })?;
        let url = if spec.contains("://") {
            spec.to_string()
        } else {
            format!("redis://{spec}")
        };
        let info = url
            .as_str()
            .into_connection_info()
            .map_err(|e| TargetError::Connect {
                target: redact(spec),
                reason: format!("bad URL: {e}"),
            })?;
        let settings = info.redis_settings();
        let db = settings.db();
        let tls = matches!(info.addr(), ConnectionAddr::TcpTls { .. });
        // The name carries the address only, never a credential, into reports and errors.
        let mut name = match info.addr() {
            ConnectionAddr::Tcp(host, port) => format!("{host}:{port}"),
            ConnectionAddr::TcpTls { host, port, .. } => format!("rediss://{host}:{port}"),
            other => other.to_string(),
        };
        if db != 0 {
            name.push_str(&format!("/{db}"));
        }
        let fail = |reason: String| TargetError::Connect {
            target: name.clone(),
            reason,
        };
        if !tls && (options.tls_ca.is_some() || options.tls_insecure) {
            return Err(fail(
                "--tls-ca and --tls-insecure need a rediss:// URL".to_string(),
            ));
        }
        let protocol = protocol.unwrap_or(match settings.protocol() {
            ProtocolVersion::RESP2 => Protocol::Resp2,
            _ => Protocol::Resp3,
        });
        let setup = setup_commands(settings, protocol);
        let step = setup_step(&setup, tls);
        let setup_deadline = Deadline::after(options.connect_timeout, "--connect-timeout");
        let stream = open_stream(info.addr(), options, started + options.connect_timeout)
            .map_err(|e| fail(format!("{step}: {e}")))?;
        let mut wire = Wire::new(stream, options.max_reply);
        wire.set_busy_poll(options.busy_poll);
        let mut target = Self {
            name: name.clone(),
            wire,
            protocol: Protocol::Resp2,
            identity: ServerIdentity::unknown(),
            broken: false,
            timeout: options.timeout,
            cluster_mode: false,
        };
        // CLIENT SETINFO, which the crate would send, would change the client's state on the
        // server; a conformance run sends only what its cases say.
        let replies = target
            .wire
            .exchange(&setup, &setup_deadline)
            .map_err(|e| fail(format!("{step}: {e}")))?;
        let mut hello = None;
        for (argv, reply) in setup.iter().zip(&replies) {
            if argv[0] == b"HELLO" {
                if let Reply::Error(e) = reply {
                    // No HELLO (or no RESP3 behind it): this protocol is out of reach, the
                    // server is not. Credentials sent in HELLO were not checked, so a
                    // RESP2 connection (AUTH) still tells whether they are right.
                    if !is_auth_error(e) {
                        return Err(TargetError::Unsupported {
                            target: name.clone(),
                            what: format!("RESP3 (HELLO 3 replied {e})"),
                        });
                    }
                }
            }
            if let Reply::Error(e) = reply {
                return Err(fail(format!("{step}: {e}")));
            }
            if argv[0] == b"HELLO" {
                match hello_protocol(argv, reply) {
                    Some(p) => target.protocol = p,
                    None => return Err(fail(format!("{step}: HELLO 3 replied {reply}"))),
                }
                hello = Some(reply.clone());
            }
        }
        let info = target
            .call(&[b"INFO".to_vec(), b"server".to_vec()])
            .map_err(|e| fail(format!("INFO server: {}", e.reason())))?;
        target.cluster_mode = hello.as_ref().is_some_and(says_cluster);
        target.identity = match &info {
            Reply::Bulk(text) | Reply::Verbatim { text, .. } => {
                let text = String::from_utf8_lossy(text);
                target.cluster_mode |= info_says_cluster(&text);
                ServerIdentity::from_info(&text)
            }
            // AUTH or ACL problems show up here when the URL had no password.
            Reply::Error(e) if is_auth_error(e) => return Err(fail(format!("INFO server: {e}"))),
            // No INFO (fakeredis, twemproxy and other proxies): HELLO may still say what
            // the server is; else it is "unknown", and nothing is gated on its version.
            _ => target.identity_from_hello(hello)?,
        };
        Ok(target)
    }

    /// Whether the server is a Redis Cluster node, as it said when the connection was set up.
    pub fn cluster_mode(&self) -> bool {
        self.cluster_mode
    }

    /// What a server without INFO says it is in HELLO: the setup's reply (RESP3), or
    /// `HELLO 2`'s, which keeps a RESP2 connection as it is. Sent only after INFO failed.
    fn identity_from_hello(&mut self, hello: Option<Reply>) -> Result<ServerIdentity, TargetError> {
        let reply = match hello {
            Some(reply) => reply,
            None if self.protocol == Protocol::Resp2 => {
                self.call(&[b"HELLO".to_vec(), b"2".to_vec()])?
            }
            None => Reply::Null,
        };
        Ok(ServerIdentity::from_hello(&reply).unwrap_or_else(ServerIdentity::unknown))
    }

    fn check_open(&self) -> Result<(), TargetError> {
        if self.broken {
            return Err(TargetError::Io {
                target: self.name.clone(),
                reason: "connection unusable after an earlier failure".to_string(),
            });
        }
        Ok(())
    }

    fn exchange(&mut self, batch: &[Vec<Vec<u8>>]) -> Result<Vec<Reply>, TargetError> {
        self.check_open()?;
        let deadline = Deadline::after(self.timeout, "--timeout");
        let replies = match self.wire.exchange(batch, &deadline) {
            Ok(replies) => replies,
            Err(e) => {
                self.broken = true;
                let target = self.name.clone();
                let reason = match batch.get(self.wire.answered()) {
                    // Name the command the server did not answer: with a pipelined batch,
                    // "closed the connection" alone leaves the user guessing which one.
                    Some(argv) if batch.len() > 1 => format!(
                        "{e}, instead of answering {} (command {} of {} sent together)",
                        describe_command(argv),
                        self.wire.answered() + 1,
                        batch.len()
                    ),
                    Some(argv) if e.is_transport() => {
                        format!("{e}, instead of answering {}", describe_command(argv))
                    }
                    _ => e.to_string(),
                };
                return Err(if e.is_transport() {
                    TargetError::Io { target, reason }
                } else {
                    TargetError::Protocol { target, reason }
                });
            }
        };
        for (argv, reply) in batch.iter().zip(&replies) {
            if let Some(p) = hello_protocol(argv, reply) {
                self.protocol = p;
            }
        }
        Ok(replies)
    }
}

impl Target for NetworkTarget {
    fn name(&self) -> &str {
        &self.name
    }

    fn protocol(&self) -> Protocol {
        self.protocol
    }

    fn identity(&self) -> &ServerIdentity {
        &self.identity
    }

    fn clock(&self) -> ClockKind {
        ClockKind::Real
    }

    fn usable(&self) -> bool {
        !self.broken
    }

    fn call(&mut self, argv: &[Vec<u8>]) -> Result<Reply, TargetError> {
        let mut replies = self.exchange(std::slice::from_ref(&argv.to_vec()))?;
        Ok(replies.pop().unwrap_or(Reply::Null))
    }

    fn call_batch(&mut self, batch: &[Vec<Vec<u8>>]) -> Result<Vec<Reply>, TargetError> {
        if batch.is_empty() {
            return self.check_open().map(|()| Vec::new());
        }
        self.exchange(batch)
    }

    /// Returns early when a stop is requested (Ctrl-C, SIGTERM): the runner then ends the
    /// case and cleans up instead of sleeping on.
    fn advance_clock(&mut self, ms: u64) -> Result<(), TargetError> {
        crate::interrupt::sleep(Duration::from_millis(ms));
        Ok(())
    }
}

/// Whether `INFO server` says the server runs as a cluster node: `redis_mode:cluster`
/// (Valkey also writes `server_mode:cluster`).
fn info_says_cluster(info: &str) -> bool {
    info.lines().any(|line| {
        matches!(
            line.trim_end().split_once(':'),
            Some(("redis_mode" | "server_mode", "cluster"))
        )
    })
}

/// Whether a HELLO reply says `mode: cluster`.
fn says_cluster(hello: &Reply) -> bool {
    let is = |r: &Reply, want: &str| match r {
        Reply::Bulk(b) => b == want.as_bytes(),
        Reply::Simple(s) => s == want,
        _ => false,
    };
    match hello {
        Reply::Map(pairs) => pairs.iter().any(|(k, v)| is(k, "mode") && is(v, "cluster")),
        Reply::Array(items) => items
            .chunks(2)
            .any(|kv| kv.len() == 2 && is(&kv[0], "mode") && is(&kv[1], "cluster")),
        _ => false,
    }
}

/// The socket, connected (and for TLS, through its handshake) by `deadline`.
fn open_stream(
    addr: &ConnectionAddr,
    options: &ConnectOptions,
    deadline: Instant,
) -> Result<Stream, String> {
    let left = || {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(format!(
                "not connected within {:?} (--connect-timeout)",
                options.connect_timeout
            ))
        } else {
            Ok(left)
        }
    };
    match addr {
        ConnectionAddr::Tcp(host, port) => tcp(host, *port, left).map(Stream::Plain),
        ConnectionAddr::TcpTls { host, port, .. } => {
            let socket = tcp(host, *port, left)?;
            // An explicit flag, never a URL fragment, decides whether certificates are checked.
            let trust = match (&options.tls_ca, options.tls_insecure) {
                (_, true) => Trust::Anyone,
                (Some(path), false) => Trust::CaFile(path),
                (None, false) => Trust::System,
            };
            let mut tls = TlsStream::new(socket, host, trust)?;
            tls.handshake(deadline).map_err(|e| match e.kind() {
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => format!(
                    "TLS handshake not done within {:?} (--connect-timeout)",
                    options.connect_timeout
                ),
                _ => format!("TLS handshake: {e}"),
            })?;
            Ok(Stream::Tls(Box::new(tls)))
        }
        #[cfg(unix)]
        ConnectionAddr::Unix(path) => std::os::unix::net::UnixStream::connect(path)
            .map(Stream::Unix)
            .map_err(|e| format!("{}: {e}", path.display())),
        other => Err(format!("unsupported address {other}")),
    }
}

fn tcp(
    host: &str,
    port: u16,
    left: impl Fn() -> Result<Duration, String>,
) -> Result<TcpStream, String> {
    let mut last = format!("{host} resolves to no address");
    for addr in (host, port).to_socket_addrs().map_err(|e| e.to_string())? {
        match TcpStream::connect_timeout(&addr, left()?) {
            Ok(socket) => {
                socket.set_nodelay(true).map_err(|e| e.to_string())?;
                return Ok(socket);
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                last = "connection refused".to_string();
            }
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}

/// What is sent before the first command: HELLO 3 (with AUTH in it) for RESP3, AUTH for
/// RESP2 when the URL has a password, SELECT for a database other than 0.
fn setup_commands(settings: &redis::RedisConnectionInfo, protocol: Protocol) -> Vec<Vec<Vec<u8>>> {
    let mut commands = Vec::new();
    let password = settings.password();
    let user = settings.username();
    match protocol {
        Protocol::Resp3 => {
            let mut hello = vec![b"HELLO".to_vec(), b"3".to_vec()];
            if let Some(password) = password {
                hello.push(b"AUTH".to_vec());
                hello.push(user.unwrap_or("default").as_bytes().to_vec());
                hello.push(password.as_bytes().to_vec());
            }
            commands.push(hello);
        }
        Protocol::Resp2 => {
            if let Some(password) = password {
                let mut auth = vec![b"AUTH".to_vec()];
                if let Some(user) = user {
                    auth.push(user.as_bytes().to_vec());
                }
                auth.push(password.as_bytes().to_vec());
                commands.push(auth);
            }
        }
    }
    if settings.db() != 0 {
        commands.push(vec![
            b"SELECT".to_vec(),
            settings.db().to_string().into_bytes(),
        ]);
    }
    commands
}

/// The setup's steps, for naming the one that failed: `connection setup (TCP connect,
/// HELLO 3, SELECT 2)`. Never the arguments: AUTH's are credentials.
fn setup_step(setup: &[Vec<Vec<u8>>], tls: bool) -> String {
    let mut steps = vec![if tls {
        "TCP + TLS handshake"
    } else {
        "TCP connect"
    }
    .to_string()];
    for argv in setup {
        steps.push(match argv[0].as_slice() {
            b"HELLO" => "HELLO 3".to_string(),
            b"SELECT" => format!("SELECT {}", String::from_utf8_lossy(&argv[1])),
            other => String::from_utf8_lossy(other).into_owned(),
        });
    }
    format!("connection setup ({})", steps.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A loopback port with nothing listening: bound, then closed.
    fn closed_port() -> u16 {
        crate::process::free_port().unwrap()
    }

    #[test]
    fn passwords_never_reach_error_messages() {
        let port = closed_port();
        let err = NetworkTarget::connect(
            &format!("redis://u:secret@127.0.0.1:{port}"),
            None,
            Duration::from_secs(2),
        )
        .err()
        .unwrap();
        assert!(!err.to_string().contains("secret"), "{err}");
        assert!(
            err.to_string()
                .starts_with(&format!("cannot connect to 127.0.0.1:{port}: ")),
            "{err}"
        );
    }

    #[test]
    fn unreachable_servers_are_connect_errors() {
        let port = closed_port();
        let err =
            NetworkTarget::connect(&format!("127.0.0.1:{port}"), None, Duration::from_secs(2))
                .err()
                .unwrap();
        assert!(matches!(err, TargetError::Connect { .. }), "{err}");
        assert!(err.to_string().contains("connection refused"), "{err}");
        let err = NetworkTarget::connect("redis://[bad", None, Duration::from_secs(2))
            .err()
            .unwrap();
        assert!(matches!(err, TargetError::Connect { .. }), "{err}");
    }

    #[test]
    fn cluster_mode_is_read_from_info_or_hello() {
        assert!(info_says_cluster("# Server\r\nredis_mode:cluster\r\n"));
        assert!(!info_says_cluster("# Server\r\nredis_mode:standalone\r\n"));
        let hello = Reply::Map(vec![(Reply::bulk("mode"), Reply::bulk("cluster"))]);
        assert!(says_cluster(&hello));
        assert!(says_cluster(&hello.to_resp2()));
        assert!(!says_cluster(&Reply::Map(vec![(
            Reply::bulk("mode"),
            Reply::bulk("standalone")
        )])));
    }

    #[test]
    fn setup_sends_credentials_only_inside_auth_and_never_names_them() {
        let info = "redis://alice:pw@h:1/3".into_connection_info().unwrap();
        let resp3 = setup_commands(info.redis_settings(), Protocol::Resp3);
        assert_eq!(
            resp3,
            [
                vec!["HELLO", "3", "AUTH", "alice", "pw"],
                vec!["SELECT", "3"]
            ]
            .map(|c| c.iter().map(|w| w.as_bytes().to_vec()).collect::<Vec<_>>())
        );
        let resp2 = setup_commands(info.redis_settings(), Protocol::Resp2);
        assert_eq!(resp2[0][0], b"AUTH");
        let step = setup_step(&resp2, false);
        assert_eq!(step, "connection setup (TCP connect, AUTH, SELECT 3)");
        let plain = "redis://h:1".into_connection_info().unwrap();
        assert!(setup_commands(plain.redis_settings(), Protocol::Resp2).is_empty());
    }
}

/// A command as a short line for an error: its words, each cut to 40 bytes and escaped, at
/// most 8 of them. A command that carries credentials shows only its name.
fn describe_command(argv: &[Vec<u8>]) -> String {
    let carries_secret = argv.iter().any(|a| a.eq_ignore_ascii_case(b"AUTH"));
    let shown = if carries_secret { 1 } else { 8 };
    let mut words: Vec<String> = argv
        .iter()
        .take(shown)
        .map(|a| {
            let cut = &a[..a.len().min(40)];
            let mut w: String = cut.escape_ascii().to_string();
            if a.len() > cut.len() {
                w.push_str("...");
            }
            w
        })
        .collect();
    if argv.len() > shown {
        words.push(format!("(+{} more)", argv.len() - shown));
    }
    words.join(" ")
}

#[cfg(test)]
mod describe_tests {
    use super::describe_command;

    fn argv(words: &[&[u8]]) -> Vec<Vec<u8>> {
        words.iter().map(|w| w.to_vec()).collect()
    }

    #[test]
    fn a_command_is_named_short_and_escaped() {
        let long = vec![b'x'; 50];
        let line = describe_command(&argv(&[b"HSET", b"k", b"f\x00", &long]));
        assert_eq!(line, format!("HSET k f\\x00 {}...", "x".repeat(40)));
        assert_eq!(
            describe_command(&argv(&[b"HGET", b"k", b"\n"])),
            "HGET k \\n"
        );
    }

    #[test]
    fn credentials_are_never_shown() {
        let line = describe_command(&argv(&[b"HELLO", b"3", b"AUTH", b"alice", b"s3cret"]));
        assert_eq!(line, "HELLO (+4 more)");
    }
}
