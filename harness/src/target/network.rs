//! A server on the network as a [`Target`], through the `redis` crate.
//!
//! Only raw commands (`redis::cmd` with byte arguments) and `redis::Value` are used: the
//! crate's typed helpers coerce replies, and a conformance harness must see them as sent.
//! Two things in the crate would hide replies, and are avoided:
//! - `Cmd::query` turns any error reply, even one nested in an array, into a Rust `Err`.
//!   `ConnectionLike::req_command` returns the value as parsed, errors in place.
//! - `Pipeline::query` fails the whole pipeline when one reply is an error, unless
//!   `ignore_errors` is set; with it, every reply comes back in order.
//!
//! What the crate cannot carry: RESP2's `$-1` and `*-1` both become `Value::Nil`, read here
//! as [`Reply::Null`] (no hash command sends `*-1`); a simple string, error or verbatim
//! string that is not UTF-8 is a parse error ([`TargetError::Protocol`]); attributes are
//! dropped and pushes skipped, as the crate does.

use std::thread;
use std::time::Duration;

use redis::{ConnectionAddr, ConnectionLike, IntoConnectionInfo, ProtocolVersion, Value};
use reference_engine::{Protocol, Reply};

use super::{hello_protocol, ClockKind, ConnectOptions, ServerIdentity, Target, TargetError};

/// A connection to a Redis-compatible server.
pub struct NetworkTarget {
    name: String,
    connection: redis::Connection,
    protocol: Protocol,
    identity: ServerIdentity,
    /// Set after a transport failure: a timed-out reply may still arrive and would be read
    /// as the answer to the next command, so the connection is not used again.
    broken: bool,
    /// The command timeout, for error messages.
    timeout: Duration,
}

impl NetworkTarget {
    /// Connects to `spec`: `redis://[user:pass@]host:port[/db][?protocol=resp3]` (or
    /// `valkey://`), or plain `host:port`. `protocol` overrides the URL's; `timeout` bounds
    /// connecting and every read and write.
    pub fn connect(
        spec: &str,
        protocol: Option<Protocol>,
        timeout: Duration,
    ) -> Result<Self, TargetError> {
        Self::connect_with(spec, protocol, &ConnectOptions::new(timeout))
    }

    /// [`NetworkTarget::connect`] with TLS (`rediss://`) and separate timeouts. Every error
    /// names the step that failed: the URL, the TLS settings, the connection setup (TCP, TLS,
    /// HELLO/AUTH/SELECT) or the first command (`INFO server`).
    pub fn connect_with(
        spec: &str,
        protocol: Option<Protocol>,
        options: &ConnectOptions,
    ) -> Result<Self, TargetError> {
        let url = if spec.contains("://") {
            spec.to_string()
        } else {
            format!("redis://{spec}")
        };
        let connect_error = |reason: String| TargetError::Connect {
            target: redact(spec),
            reason,
        };
        let mut info = url
            .as_str()
            .into_connection_info()
            .map_err(|e| connect_error(format!("bad URL: {e}")))?;
        let tls = matches!(info.addr(), ConnectionAddr::TcpTls { .. });
        if !tls && (options.tls_ca.is_some() || options.tls_insecure) {
            return Err(connect_error(
                "--tls-ca and --tls-insecure need a rediss:// URL".to_string(),
            ));
        }
        let db = info.redis_settings().db();
        // Never let the name carry a password into a report.
        let mut name = match info.addr() {
            ConnectionAddr::Tcp(host, port) => format!("{host}:{port}"),
            ConnectionAddr::TcpTls { host, port, .. } => format!("rediss://{host}:{port}"),
            other => other.to_string(),
        };
        if db != 0 {
            name.push_str(&format!("/{db}"));
        }
        if let ConnectionAddr::TcpTls {
            host,
            port,
            tls_params,
            ..
        } = info.addr().clone()
        {
            // An explicit flag, never a URL fragment, decides whether certificates are checked.
            info = info.set_addr(ConnectionAddr::TcpTls {
                host,
                port,
                insecure: options.tls_insecure,
                tls_params,
            });
        }
        let mut settings = info.redis_settings().clone();
        if let Some(p) = protocol {
            settings = settings.set_protocol(match p {
                Protocol::Resp2 => ProtocolVersion::RESP2,
                Protocol::Resp3 => ProtocolVersion::RESP3,
            });
        }
        // CLIENT SETINFO would change the client's state on the server; a conformance run
        // sends only what its cases say.
        settings = settings.set_skip_set_lib_name();
        let protocol = match settings.protocol() {
            ProtocolVersion::RESP2 => Protocol::Resp2,
            _ => Protocol::Resp3,
        };
        let setup = setup_step(&settings, protocol, tls);
        info = info.set_redis_settings(settings);
        let client = match &options.tls_ca {
            Some(path) => {
                let pem = std::fs::read(path).map_err(|e| {
                    connect_error(format!("cannot read --tls-ca {}: {e}", path.display()))
                })?;
                redis::Client::build_with_tls(
                    info,
                    redis::TlsCertificates {
                        client_tls: None,
                        root_cert: Some(pem),
                    },
                )
            }
            None => redis::Client::open(info),
        }
        .map_err(|e| connect_error(format!("TLS settings: {e}")))?;
        let connection = client
            .get_connection_with_timeout(options.connect_timeout)
            .map_err(|e| {
                connect_error(format!(
                    "{setup}: {}",
                    describe(&e, options.connect_timeout)
                ))
            })?;
        connection
            .set_read_timeout(Some(options.timeout))
            .and_then(|()| connection.set_write_timeout(Some(options.timeout)))
            .map_err(|e| connect_error(e.to_string()))?;
        let mut target = Self {
            name,
            connection,
            protocol,
            identity: ServerIdentity::from_info(""),
            broken: false,
            timeout: options.timeout,
        };
        // rustls completes its handshake on the first read, so with nothing sent during
        // setup (RESP2, no AUTH, no SELECT) a certificate problem shows up here.
        let first = if tls && setup.ends_with("handshake)") {
            "TLS handshake + INFO server"
        } else {
            "INFO server"
        };
        let info = target
            .call(&[b"INFO".to_vec(), b"server".to_vec()])
            .map_err(|e| connect_error(format!("{first}: {}", e.reason())))?;
        match &info {
            Reply::Bulk(text) | Reply::Verbatim { text, .. } => {
                target.identity = ServerIdentity::from_info(&String::from_utf8_lossy(text));
            }
            // AUTH or ACL problems show up here when the URL had no password.
            Reply::Error(e) => return Err(connect_error(format!("INFO server: {e}"))),
            _ => {}
        }
        Ok(target)
    }

    fn command(argv: &[Vec<u8>]) -> redis::Cmd {
        let mut cmd = redis::Cmd::new();
        for arg in argv {
            cmd.arg(arg.as_slice());
        }
        cmd
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

    fn failure(&mut self, e: redis::RedisError) -> TargetError {
        self.broken = true;
        let (target, reason) = (self.name.clone(), describe(&e, self.timeout));
        if e.is_io_error() || e.is_timeout() || e.is_connection_dropped() {
            TargetError::Io { target, reason }
        } else {
            TargetError::Protocol { target, reason }
        }
    }

    fn note_hello(&mut self, argv: &[Vec<u8>], reply: &Reply) {
        if let Some(p) = hello_protocol(argv, reply) {
            self.protocol = p;
        }
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

    fn call(&mut self, argv: &[Vec<u8>]) -> Result<Reply, TargetError> {
        self.check_open()?;
        let value = match self.connection.req_command(&Self::command(argv)) {
            Ok(value) => value,
            Err(e) => return Err(self.failure(e)),
        };
        let reply = to_reply(value);
        self.note_hello(argv, &reply);
        Ok(reply)
    }

    fn call_batch(&mut self, batch: &[Vec<Vec<u8>>]) -> Result<Vec<Reply>, TargetError> {
        self.check_open()?;
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for argv in batch {
            pipe.add_command(Self::command(argv));
        }
        let value = match pipe.ignore_errors().query::<Value>(&mut self.connection) {
            Ok(value) => value,
            Err(e) => return Err(self.failure(e)),
        };
        let replies = match value {
            Value::Array(values) if values.len() == batch.len() => {
                values.into_iter().map(to_reply).collect::<Vec<_>>()
            }
            other => {
                self.broken = true;
                return Err(TargetError::Protocol {
                    target: self.name.clone(),
                    reason: format!("{} replies expected, got {other:?}", batch.len()),
                });
            }
        };
        for (argv, reply) in batch.iter().zip(&replies) {
            self.note_hello(argv, reply);
        }
        Ok(replies)
    }

    fn advance_clock(&mut self, ms: u64) -> Result<(), TargetError> {
        thread::sleep(Duration::from_millis(ms));
        Ok(())
    }
}

/// What the crate does while connecting, for naming the step that failed: TCP (and TLS),
/// then HELLO for RESP3, AUTH when the URL has a password, SELECT for a db other than 0.
fn setup_step(settings: &redis::RedisConnectionInfo, protocol: Protocol, tls: bool) -> String {
    let mut steps = vec![if tls {
        "TCP + TLS handshake"
    } else {
        "TCP connect"
    }
    .to_string()];
    if protocol == Protocol::Resp3 {
        steps.push("HELLO 3".to_string());
    }
    if settings.password().is_some() && protocol == Protocol::Resp2 {
        steps.push("AUTH".to_string());
    }
    if settings.db() != 0 {
        steps.push(format!("SELECT {}", settings.db()));
    }
    format!("connection setup ({})", steps.join(", "))
}

/// `spec` with any password replaced by `***`, for error messages.
fn redact(spec: &str) -> String {
    let Some((scheme, rest)) = spec.split_once("://") else {
        return spec.to_string();
    };
    match rest.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            format!("{scheme}://{user}:***@{host}")
        }
        None => spec.to_string(),
    }
}

/// A transport error in words a CI log reader can act on, on one line.
fn describe(e: &redis::RedisError, timeout: Duration) -> String {
    let text = describe_lines(e, timeout);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn describe_lines(e: &redis::RedisError, timeout: Duration) -> String {
    if e.is_timeout() {
        format!("no reply within {timeout:?} ({e})")
    } else if e.is_connection_refusal() {
        format!("connection refused ({e})")
    } else if e.is_connection_dropped() {
        format!("the server closed the connection ({e})")
    } else if e.kind() == redis::ErrorKind::Parse {
        format!("the reply is not valid RESP ({e})")
    } else {
        e.to_string()
    }
}

/// A `redis::Value` as the reply it was on the wire.
pub fn to_reply(value: Value) -> Reply {
    match value {
        Value::Nil => Reply::Null,
        Value::Int(n) => Reply::Integer(n),
        Value::BulkString(bytes) => Reply::Bulk(bytes),
        Value::Array(items) => Reply::Array(items.into_iter().map(to_reply).collect()),
        Value::SimpleString(s) => Reply::Simple(s),
        Value::Okay => Reply::ok(),
        Value::Map(pairs) => Reply::Map(
            pairs
                .into_iter()
                .map(|(k, v)| (to_reply(k), to_reply(v)))
                .collect(),
        ),
        Value::Attribute { data, .. } => to_reply(*data),
        Value::Set(items) => Reply::Set(items.into_iter().map(to_reply).collect()),
        Value::Double(d) => Reply::Double(d),
        Value::Boolean(b) => Reply::Boolean(b),
        Value::VerbatimString { format, text } => Reply::Verbatim {
            format: match format {
                redis::VerbatimFormat::Text => "txt".to_string(),
                redis::VerbatimFormat::Markdown => "mkd".to_string(),
                redis::VerbatimFormat::Unknown(f) => f,
                // VerbatimFormat is non-exhaustive; a future format keeps its Debug name.
                other => format!("{other:?}"),
            },
            text: text.into_bytes(),
        },
        Value::BigNumber(digits) => Reply::BigNumber(String::from_utf8_lossy(&digits).into_owned()),
        Value::Push { data, .. } => Reply::Array(data.into_iter().map(to_reply).collect()),
        // The crate splits an error into a code and the rest at the first space; joined
        // again, it is the text after the '-' byte for byte.
        Value::ServerError(e) => Reply::Error(match e.details() {
            Some(detail) => format!("{} {detail}", e.code()),
            None => e.code().to_string(),
        }),
        // Value is non-exhaustive; show anything newer rather than guess its meaning.
        other => Reply::Error(format!("hashcheck: unknown redis::Value {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The crate's own parser on wire bytes, as the connection would run it.
    fn parsed(bytes: &[u8]) -> Reply {
        to_reply(redis::parse_redis_value(bytes).unwrap())
    }

    #[test]
    fn server_errors_keep_their_exact_text() {
        assert_eq!(
            parsed(b"-ERR unknown command 'x', with args beginning with: \r\n"),
            Reply::Error("ERR unknown command 'x', with args beginning with: ".into())
        );
        assert_eq!(
            parsed(b"-WRONGTYPE Operation against a key\r\n"),
            Reply::Error("WRONGTYPE Operation against a key".into())
        );
        assert_eq!(parsed(b"-NOPROTO\r\n"), Reply::Error("NOPROTO".into()));
        assert_eq!(parsed(b"-ERR \r\n"), Reply::Error("ERR ".into()));
        assert_eq!(
            parsed(b"*2\r\n:1\r\n-ERR inner\r\n"),
            Reply::Array(vec![Reply::Integer(1), Reply::Error("ERR inner".into())])
        );
    }

    #[test]
    fn resp3_types_convert_faithfully() {
        assert_eq!(parsed(b"+OK\r\n"), Reply::ok());
        assert_eq!(parsed(b"_\r\n"), Reply::Null);
        assert_eq!(parsed(b",1.5\r\n"), Reply::Double(1.5));
        assert_eq!(parsed(b"#t\r\n"), Reply::Boolean(true));
        assert_eq!(
            parsed(b"(12345678901234567890\r\n"),
            Reply::BigNumber("12345678901234567890".into())
        );
        assert_eq!(
            parsed(b"=7\r\ntxt:a:b\r\n"),
            Reply::Verbatim {
                format: "txt".into(),
                text: b"a:b".to_vec()
            }
        );
        assert_eq!(
            parsed(b"%1\r\n$1\r\nf\r\n~1\r\n$1\r\nv\r\n"),
            Reply::Map(vec![(Reply::bulk("f"), Reply::Set(vec![Reply::bulk("v")]))])
        );
        assert_eq!(parsed(b"|1\r\n+a\r\n+b\r\n:3\r\n"), Reply::Integer(3));
        // The crate merges RESP2's two nulls.
        assert_eq!(parsed(b"*-1\r\n"), Reply::Null);
    }

    #[test]
    fn every_encodable_reply_survives_the_crate() {
        let reply = Reply::Array(vec![
            Reply::Map(vec![(Reply::bulk("a\0b"), Reply::Double(-0.25))]),
            Reply::Set(vec![Reply::Integer(i64::MIN), Reply::Boolean(false)]),
            Reply::Error("ERR x".into()),
            Reply::Simple("PONG".into()),
            Reply::Null,
            Reply::Bulk(vec![0xff, b'\r', b'\n']),
        ]);
        for protocol in [Protocol::Resp2, Protocol::Resp3] {
            let bytes = reply.to_bytes(protocol);
            assert_eq!(
                parsed(&bytes),
                reference_engine::resp::canonical(&reply, protocol),
                "{protocol:?}"
            );
        }
    }

    #[test]
    fn passwords_never_reach_error_messages() {
        assert_eq!(redact("redis://u:pw@h:1/2"), "redis://u:***@h:1/2");
        assert_eq!(redact("rediss://:pw@h:1"), "rediss://:***@h:1");
        assert_eq!(redact("h:1"), "h:1");
        let err =
            NetworkTarget::connect("redis://u:secret@127.0.0.1:1", None, Duration::from_secs(2))
                .err()
                .unwrap();
        assert!(!err.to_string().contains("secret"), "{err}");
    }

    #[test]
    fn unreachable_servers_are_connect_errors() {
        // Port 1 on loopback: nothing listens there, the connection is refused at once.
        let err = NetworkTarget::connect("127.0.0.1:1", None, Duration::from_secs(2))
            .err()
            .unwrap();
        assert!(matches!(err, TargetError::Connect { .. }), "{err}");
        let err = NetworkTarget::connect("redis://[bad", None, Duration::from_secs(2))
            .err()
            .unwrap();
        assert!(matches!(err, TargetError::Connect { .. }), "{err}");
    }
}
