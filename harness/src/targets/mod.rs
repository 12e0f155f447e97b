//! The one interface to whatever answers commands: the embedded engine or a server on the
//! network. The case runner, the differential fuzzer and the CI gate see only [`Target`], so
//! each of them works unchanged against the reference, Redis, Valkey or `hashcheck serve`.
//!
//! A Redis error is a reply (`Ok(Reply::Error(..))`), as on the wire. [`TargetError`] means
//! the conversation itself failed (unreachable server, timeout, bytes that are not RESP),
//! and the caller should stop using that target.
//!
//! - [`embedded`]: the reference engine in process, on a manual clock.
//! - [`network`]: any server speaking RESP, over [`wire`] (bounded in size and time).
//! - [`cluster`]: a Redis Cluster, one [`network`] connection per node, commands routed by
//!   their keys' slot ([`slots`], [`keys`]) and redirects followed.

use std::fmt;
use std::time::Duration;

use reference_engine::{Protocol, Reply};
use thiserror::Error;

pub mod address;
pub mod busy_poll;
pub mod cluster;
pub mod embedded;
mod frame;
pub mod keys;
pub mod network;
pub mod scan;
pub mod slots;
mod tls;
pub mod wire;

pub use address::redact;
pub use cluster::ClusterTarget;
pub use embedded::EmbeddedTarget;
pub use network::NetworkTarget;

/// Something that answers Redis commands.
pub trait Target {
    /// A short name for reports: `embedded`, `127.0.0.1:6379`.
    fn name(&self) -> &str;

    /// The protocol replies are read in. HELLO sent through [`Target::call`] changes it.
    fn protocol(&self) -> Protocol;

    /// What the server says it is, read once when the target was opened.
    fn identity(&self) -> &ServerIdentity;

    /// Whether [`Target::advance_clock`] moves a virtual clock or waits in real time.
    fn clock(&self) -> ClockKind;

    /// Whether this is the reference engine in this process (checked on Redis's own
    /// choices by default, see `runner::Details`). Never read from INFO: a server on the
    /// network is never the in-process engine, whatever it says it is.
    fn in_process(&self) -> bool {
        false
    }

    /// Whether the connection can still be used: false after a transport failure, even one
    /// a caller chose to ignore (a cleanup that could not be sent).
    fn usable(&self) -> bool {
        true
    }

    /// Whether this is a Redis Cluster, whose keys must share a slot to be used together
    /// (the runner then puts a hash tag in each case's prefix, see `runner::prefix`).
    fn is_cluster(&self) -> bool {
        false
    }

    /// How many HSCAN pages so far were answered by another node than the walk's previous
    /// page (a cluster's slot moved mid-walk). The cursor then means nothing where it is
    /// used, and Redis Cluster promises only that what the walk returns was in the hash;
    /// a walker that sees this change walks again or checks the walk as a subset.
    fn scans_moved(&self) -> u64 {
        0
    }

    /// How many batches so far ran out of order across keys: a cluster sends a command told
    /// ASK (its key already on another node) again after the commands behind it, which ran
    /// in place. Each key's own commands keep their order; only what one key's reply says
    /// about the time another key's command ran at does not hold for such a batch.
    fn batches_reordered(&self) -> u64 {
        0
    }

    /// Runs one command and returns the reply exactly as a client of [`Target::protocol`]
    /// would read it (RESP2 projects maps, doubles and the rest; see `resp::canonical`).
    fn call(&mut self, argv: &[Vec<u8>]) -> Result<Reply, TargetError>;

    /// Runs commands in order, one reply each; a network target pipelines them. Error replies
    /// do not stop the batch.
    fn call_batch(&mut self, batch: &[Vec<Vec<u8>>]) -> Result<Vec<Reply>, TargetError> {
        batch.iter().map(|argv| self.call(argv)).collect()
    }

    /// Lets `ms` milliseconds pass for the server: instantly on a virtual clock, by sleeping
    /// on a real one.
    fn advance_clock(&mut self, ms: u64) -> Result<(), TargetError>;

    /// The target's time in unix milliseconds, as its commands see it: by default the
    /// server's TIME (so relative EXAT/PXAT times in cases follow the server's clock).
    fn now_ms(&mut self) -> Result<i64, TargetError> {
        let reply = self.call(&[b"TIME".to_vec()])?;
        let number = |r: &Reply| match r {
            Reply::Bulk(b) => std::str::from_utf8(b).ok()?.parse::<i64>().ok(),
            _ => None,
        };
        match &reply {
            Reply::Array(parts) if parts.len() == 2 => {
                if let (Some(s), Some(us)) = (number(&parts[0]), number(&parts[1])) {
                    return Ok(s * 1000 + us / 1000);
                }
            }
            _ => {}
        }
        Err(TargetError::Protocol {
            target: self.name().to_string(),
            reason: format!("TIME replied {reply:?}, not [seconds, microseconds]"),
        })
    }
}

/// How a target's time passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockKind {
    /// Time moves only through `advance_clock`, so TTL replies are exact.
    Virtual,
    /// Wall-clock time: TTL readings drift by the time a round trip takes.
    Real,
}

/// What a server reports about itself (INFO server), used for version gates and reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerIdentity {
    /// `redis`, `valkey`, `hashcheck`, or `unknown` when the server would not say.
    pub product: String,
    /// The product's own version.
    pub version: String,
    /// The Redis version the server claims to be compatible with (`redis_version`).
    pub redis_version: Option<String>,
}

impl ServerIdentity {
    /// Reads an INFO reply: `hashcheck_version`, then `valkey_version`, then
    /// `redis_version` decide the product (Valkey also reports a `redis_version`).
    pub fn from_info(info: &str) -> Self {
        let field = |name: &str| {
            info.lines().find_map(|line| {
                let (k, v) = line.split_once(':')?;
                (k == name).then(|| v.trim().to_string())
            })
        };
        let redis_version = field("redis_version");
        let (product, version) = if let Some(v) = field("hashcheck_version") {
            ("hashcheck", Some(v))
        } else if let Some(v) = field("valkey_version") {
            ("valkey", Some(v))
        } else if let Some(v) = redis_version.clone() {
            ("redis", Some(v))
        } else {
            ("unknown", None)
        };
        Self {
            product: product.to_string(),
            version: version.unwrap_or_else(|| "unknown".to_string()),
            redis_version,
        }
    }
}

impl ServerIdentity {
    /// A server that would not say what it is (no INFO, no HELLO).
    pub fn unknown() -> Self {
        Self::from_info("")
    }

    /// Reads a HELLO reply's `server` and `version`, for servers without INFO (fakeredis,
    /// proxies that pass HELLO through). Only a server calling itself `redis` has its
    /// version taken as a Redis version; any other names its own product's version.
    pub fn from_hello(reply: &Reply) -> Option<Self> {
        let text = |r: &Reply| match r {
            Reply::Bulk(b) => Some(String::from_utf8_lossy(b).into_owned()),
            Reply::Simple(s) => Some(s.clone()),
            _ => None,
        };
        let pairs: Vec<(&Reply, &Reply)> = match reply {
            Reply::Map(pairs) => pairs.iter().map(|(k, v)| (k, v)).collect(),
            Reply::Array(items) => items
                .chunks(2)
                .filter_map(|kv| Some((kv.first()?, kv.get(1)?)))
                .collect(),
            _ => return None,
        };
        let field = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| text(k).as_deref() == Some(name))
                .and_then(|(_, v)| text(v))
        };
        let product = field("server")?.trim().to_ascii_lowercase();
        if product.is_empty() {
            return None;
        }
        let version = field("version").unwrap_or_else(|| "unknown".to_string());
        Some(Self {
            redis_version: (product == "redis").then(|| version.clone()),
            product,
            version,
        })
    }
}

/// Whether an error reply means "not allowed in": wrong or missing credentials. Any other
/// error to an optional command (INFO, HELLO, DBSIZE, ...) means the server or a proxy in
/// front of it does not offer that command, which a conformance run can do without.
pub(crate) fn is_auth_error(error: &str) -> bool {
    ["NOAUTH", "WRONGPASS", "NOPERM"]
        .iter()
        .any(|code| error.starts_with(code))
}

impl fmt::Display for ServerIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.product, self.version)
    }
}

/// A failure of the conversation with a target, as opposed to an error reply.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TargetError {
    /// The server could not be reached or the connection could not be set up.
    #[error("cannot connect to {target}: {reason}")]
    Connect { target: String, reason: String },
    /// The connection failed during a call: I/O error, timeout, closed by the server.
    #[error("{target}: connection failed: {reason}")]
    Io { target: String, reason: String },
    /// The server sent something that is not a valid reply.
    #[error("{target}: bad reply: {reason}")]
    Protocol { target: String, reason: String },
    /// The target cannot do what was asked.
    #[error("{target}: not supported: {what}")]
    Unsupported { target: String, what: String },
}

impl TargetError {
    /// The cause without the target's name.
    pub fn reason(&self) -> &str {
        match self {
            TargetError::Connect { reason, .. }
            | TargetError::Io { reason, .. }
            | TargetError::Protocol { reason, .. } => reason,
            TargetError::Unsupported { what, .. } => what,
        }
    }
}

/// Opens a target from its command-line spelling: `embedded`, or a server as
/// `redis://[user:pass@]host:port[/db][?protocol=resp3]` or `host:port`, or the nodes of a
/// Redis Cluster as a comma-separated list of those (one node alone is enough). An explicit
/// `protocol` wins over the URL's. `timeout` bounds connecting and every command.
pub fn open(
    spec: &str,
    protocol: Option<Protocol>,
    timeout: Duration,
) -> Result<Box<dyn Target>, TargetError> {
    open_with(spec, protocol, &ConnectOptions::new(timeout))
}

/// [`open`] with separate connect and command timeouts and TLS settings
/// (`rediss://[user:pass@]host:port[/db]`).
pub fn open_with(
    spec: &str,
    protocol: Option<Protocol>,
    options: &ConnectOptions,
) -> Result<Box<dyn Target>, TargetError> {
    if spec == "embedded" {
        return Ok(Box::new(EmbeddedTarget::new(protocol.unwrap_or_default())));
    }
    Ok(open_network(spec, protocol, options)?)
}

/// A server on the network: a [`ClusterTarget`] when `spec` lists several nodes or the one
/// it names says it is a cluster node (INFO's `redis_mode`), else a [`NetworkTarget`].
pub fn open_network(
    spec: &str,
    protocol: Option<Protocol>,
    options: &ConnectOptions,
) -> Result<Box<dyn Target + Send>, TargetError> {
    if spec.contains(',') {
        return Ok(Box::new(ClusterTarget::connect(spec, protocol, options)?));
    }
    let node = NetworkTarget::connect_with(spec, protocol, options)?;
    if node.cluster_mode() {
        return Ok(Box::new(ClusterTarget::from_node(node, spec, options)?));
    }
    Ok(Box::new(node))
}

/// How to reach a server: how long to wait, and whom to trust over TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectOptions {
    /// Bounds the TCP connect, the TLS handshake and the connection setup (HELLO, AUTH,
    /// SELECT) together.
    pub connect_timeout: Duration,
    /// Bounds each command, or each pipelined batch: from sending it to the last byte of
    /// its last reply.
    pub timeout: Duration,
    /// The largest reply accepted, in bytes plus [`wire::ELEMENT_COST`] per element.
    pub max_reply: u64,
    /// A PEM file with the CA certificate(s) that signed the server's certificate, instead of
    /// the system's trust store (`rediss://` only).
    pub tls_ca: Option<std::path::PathBuf>,
    /// Accept any server certificate (`rediss://` only): the traffic is encrypted, but the
    /// server is not authenticated. Only ever on explicit request.
    pub tls_insecure: bool,
    /// Poll the socket for a short while before sleeping for a reply (see `busy_poll.rs`):
    /// for a fuzz lane, whose core has nothing else to do meanwhile.
    pub busy_poll: bool,
}

impl ConnectOptions {
    /// One timeout for connecting and for every command; TLS trusts the system's CAs.
    pub fn new(timeout: Duration) -> Self {
        Self {
            connect_timeout: timeout,
            timeout,
            max_reply: wire::DEFAULT_MAX_REPLY,
            tls_ca: None,
            tls_insecure: false,
            busy_poll: false,
        }
    }
}

impl Default for ConnectOptions {
    /// 5 s to connect, 10 s per command: far beyond any healthy server on a CI network, short
    /// enough that a hung one fails the job quickly.
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            ..Self::new(Duration::from_secs(10))
        }
    }
}

/// Switches a connection to `protocol` with HELLO. An error (a server without RESP3, a
/// reply that does not switch it) names the target and what it replied.
pub fn switch_protocol(target: &mut dyn Target, protocol: Protocol) -> Result<(), TargetError> {
    if target.protocol() == protocol {
        return Ok(());
    }
    let version = protocol.version().to_string().into_bytes();
    let reply = target.call(&[b"HELLO".to_vec(), version])?;
    if target.protocol() == protocol {
        return Ok(());
    }
    Err(TargetError::Protocol {
        target: target.name().to_string(),
        reason: format!("HELLO {} replied {reply}", protocol.version()),
    })
}

/// The protocol a successful HELLO reply announces (its `proto` field), if `reply` is one.
pub(crate) fn hello_protocol(argv: &[Vec<u8>], reply: &Reply) -> Option<Protocol> {
    if !argv.first()?.eq_ignore_ascii_case(b"hello") {
        return None;
    }
    let proto = match reply {
        Reply::Map(pairs) => pairs
            .iter()
            .find(|(k, _)| *k == Reply::bulk("proto"))?
            .1
            .clone(),
        Reply::Array(items) => items
            .chunks(2)
            .find(|kv| kv[0] == Reply::bulk("proto"))?
            .get(1)?
            .clone(),
        _ => return None,
    };
    match proto {
        Reply::Integer(2) => Some(Protocol::Resp2),
        Reply::Integer(3) => Some(Protocol::Resp3),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_from_info() {
        let redis =
            ServerIdentity::from_info("# Server\r\nredis_version:8.2.3\r\nredis_mode:x\r\n");
        assert_eq!(redis.to_string(), "redis 8.2.3");
        let valkey = ServerIdentity::from_info(
            "# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:9.1.2\r\n",
        );
        assert_eq!(valkey.to_string(), "valkey 9.1.2");
        assert_eq!(valkey.redis_version.as_deref(), Some("7.2.4"));
        let ours = ServerIdentity::from_info("redis_version:8.2.3\nhashcheck_version:0.1.0\n");
        assert_eq!(ours.to_string(), "hashcheck 0.1.0");
        assert_eq!(ServerIdentity::from_info("").to_string(), "unknown unknown");
    }

    #[test]
    fn identity_from_hello_when_there_is_no_info() {
        let fake = Reply::Map(vec![
            (Reply::bulk("server"), Reply::bulk("fakeredis")),
            (Reply::bulk("version"), Reply::bulk("2.41.0")),
            (Reply::bulk("proto"), Reply::Integer(3)),
        ]);
        let id = ServerIdentity::from_hello(&fake).unwrap();
        assert_eq!(id.to_string(), "fakeredis 2.41.0");
        // Only Redis's own version gates cases by `since:`.
        assert_eq!(id.redis_version, None);
        let redis = ServerIdentity::from_hello(&Reply::Array(vec![
            Reply::bulk("server"),
            Reply::bulk("redis"),
            Reply::bulk("version"),
            Reply::bulk("8.2.3"),
        ]))
        .unwrap();
        assert_eq!(redis.redis_version.as_deref(), Some("8.2.3"));
        assert_eq!(
            ServerIdentity::from_hello(&Reply::Error("ERR unknown command 'HELLO'".into())),
            None
        );
        assert_eq!(ServerIdentity::unknown().to_string(), "unknown unknown");
        assert!(is_auth_error("NOAUTH Authentication required."));
        assert!(!is_auth_error("ERR unknown command 'INFO'"));
    }

    #[test]
    fn hello_reply_switches_protocol() {
        let hello = vec![b"HELLO".to_vec(), b"3".to_vec()];
        let map = Reply::Map(vec![
            (Reply::bulk("server"), Reply::bulk("redis")),
            (Reply::bulk("proto"), Reply::Integer(3)),
        ]);
        assert_eq!(hello_protocol(&hello, &map), Some(Protocol::Resp3));
        assert_eq!(
            hello_protocol(&hello, &map.to_resp2()),
            Some(Protocol::Resp3)
        );
        let flat = Reply::Array(vec![Reply::bulk("proto"), Reply::Integer(2)]);
        assert_eq!(hello_protocol(&hello, &flat), Some(Protocol::Resp2));
        assert_eq!(
            hello_protocol(&hello, &Reply::Error("NOPROTO x".into())),
            None
        );
        assert_eq!(hello_protocol(&[b"PING".to_vec()], &map), None);
    }
}
