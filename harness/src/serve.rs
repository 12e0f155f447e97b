//! `hashcheck serve`: the reference engine behind a TCP socket, so any Redis client (and
//! `redis-cli`, `redis-benchmark`, the network target) can talk to it as to Redis.
//!
//! Plain std threads, one per connection, and no async runtime: the server exists to be
//! correct and easy to read, not fast. All clients share one engine behind a mutex; each
//! connection has its own `Session` (protocol, selected db), as each Redis client has.
//!
//! What it copies from Redis, because a client can tell the difference:
//! - requests are parsed with `resp::RequestParser` (multibulk and inline, Redis's rules);
//! - every complete command in what was read runs before anything is written, and the
//!   replies go out together (pipelining), each in the protocol its session had after it;
//! - a protocol error is answered with Redis's error text, then the connection is closed;
//! - QUIT answers `+OK` and closes, skipping whatever follows it;
//! - a client holding more than 1GB of unparsed input is dropped without a reply
//!   (`client-query-buffer-limit`).
//!
//! What keeps one client from hurting the others: the mutex is held only while commands
//! run, never during socket reads or writes, so a slow or stalled client blocks only its
//! own thread; a panic inside the engine is caught, answered with an error reply, and the
//! mutex is used again even if poisoned; I/O errors end only their own connection.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use reference_engine::resp::{Argv, RequestParser};
use reference_engine::{CommandError, Engine, Reply, Session};

/// How much is read from a socket at a time. Redis reads 16KB (`PROTO_IOBUF_LEN`), and the
/// parser's 64KB line limits are checked against what has been read, so the same chunking
/// makes the same inputs fail.
const READ_CHUNK: usize = 16 * 1024;

/// Redis's default `client-query-buffer-limit`.
pub const QUERY_BUFFER_LIMIT: usize = 1024 * 1024 * 1024;

/// What runs the commands. The server needs nothing else from the engine, and tests can put
/// a misbehaving executor behind the same socket code.
pub trait Executor: Send + 'static {
    /// Runs one command for `session`, returning the RESP3-shaped reply.
    fn execute(&mut self, session: &mut Session, argv: &[Vec<u8>]) -> Reply;
}

impl Executor for Engine {
    fn execute(&mut self, session: &mut Session, argv: &[Vec<u8>]) -> Reply {
        Engine::execute(self, session, argv)
    }
}

/// State shared by all connections.
struct Shared<E> {
    executor: Mutex<E>,
    /// Session ids, as CLIENT ID reports them: increasing, never reused.
    next_id: AtomicU64,
}

/// A bound listener, ready to serve.
pub struct Server<E> {
    listener: TcpListener,
    shared: Arc<Shared<E>>,
}

impl<E: Executor> Server<E> {
    /// Binds `addr` (port 0 picks a free port; see [`Server::local_addr`]).
    pub fn bind(addr: impl ToSocketAddrs, executor: E) -> io::Result<Self> {
        Ok(Self {
            listener: TcpListener::bind(addr)?,
            shared: Arc::new(Shared {
                executor: Mutex::new(executor),
                next_id: AtomicU64::new(1),
            }),
        })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Accepts connections forever, one thread each.
    pub fn run(self) -> io::Result<()> {
        for stream in self.listener.incoming() {
            match stream {
                Ok(stream) => {
                    let shared = Arc::clone(&self.shared);
                    let spawned = thread::Builder::new()
                        .name("hashcheck-client".to_string())
                        .spawn(move || serve_connection(stream, &shared));
                    if let Err(e) = spawned {
                        eprintln!("hashcheck serve: cannot start a client thread: {e}");
                    }
                }
                // Out of descriptors or a connection reset before accept: back off a little
                // and keep accepting; one bad moment must not end the server.
                Err(e) => {
                    eprintln!("hashcheck serve: accept failed: {e}");
                    thread::sleep(Duration::from_millis(10));
                }
            }
        }
        Ok(())
    }
}

/// Serves one client until it leaves, sends QUIT or breaks the protocol.
fn serve_connection<E: Executor>(mut stream: TcpStream, shared: &Shared<E>) {
    // Replies to single commands should not wait for Nagle's algorithm.
    let _ = stream.set_nodelay(true);
    let mut session = Session::new(shared.next_id.fetch_add(1, Ordering::Relaxed));
    let mut parser = RequestParser::new();
    let mut chunk = vec![0u8; READ_CHUNK];
    loop {
        let n = match stream.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // A reset or any other read error: the client is gone.
            Err(_) => return,
        };
        parser.feed(&chunk[..n]);
        let (out, close) = process(shared, &mut session, &mut parser);
        if !out.is_empty() && stream.write_all(&out).is_err() {
            return;
        }
        if close {
            linger_close(stream, &mut chunk);
            return;
        }
    }
}

/// Closes after a final reply (QUIT, protocol error). Closing a socket with unread input
/// makes the kernel send a reset, which can destroy the reply before the client reads it;
/// so the write side is shut first and what the client still sends is read and dropped,
/// for a short while only, so a client that keeps sending cannot hold the thread.
fn linger_close(mut stream: TcpStream, chunk: &mut [u8]) {
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
    let deadline = std::time::Instant::now() + Duration::from_secs(1);
    while std::time::Instant::now() < deadline {
        match stream.read(chunk) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
}

/// Runs every complete command the parser holds. Returns the reply bytes and whether the
/// connection must be closed after they are written.
fn process<E: Executor>(
    shared: &Shared<E>,
    session: &mut Session,
    parser: &mut RequestParser,
) -> (Vec<u8>, bool) {
    let mut commands = Vec::new();
    let error = loop {
        match parser.next_request() {
            Ok(Some(argv)) => commands.push(argv),
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    let mut out = Vec::new();
    if !commands.is_empty() {
        // Held for the batch only, as Redis runs one client's complete commands together.
        let mut executor = shared.executor.lock().unwrap_or_else(|e| e.into_inner());
        for argv in &commands {
            if argv[0].eq_ignore_ascii_case(b"quit") {
                Reply::ok().encode(session.protocol, &mut out);
                return (out, true);
            }
            let reply = execute_guarded(&mut *executor, session, argv);
            reply.encode(session.protocol, &mut out);
        }
    }
    if let Some(e) = error {
        out.extend_from_slice(&e.to_wire());
        return (out, true);
    }
    if parser.buffered() > QUERY_BUFFER_LIMIT {
        return (out, true);
    }
    (out, false)
}

/// Runs one command, turning a panic into an error reply.
fn execute_guarded<E: Executor>(executor: &mut E, session: &mut Session, argv: &Argv) -> Reply {
    // Unwind safety: after a panic the engine may hold a half-applied command; the server
    // reports it rather than pretend, and keeps going, which is what a fuzzing run needs.
    match catch_unwind(AssertUnwindSafe(|| executor.execute(session, argv))) {
        Ok(reply) => reply,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown cause".to_string());
            Reply::Error(CommandError::EnginePanicked(message).to_string())
        }
    }
}

/// Options of `hashcheck serve`.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub bind: String,
    pub port: u16,
    /// Seeds HRANDFIELD's choices; None keeps the engine's default.
    pub seed: Option<u64>,
}

/// Runs `hashcheck serve`: the engine on the wall clock, behind `bind:port`, until killed.
pub fn serve(options: &ServeOptions) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let clock = Arc::new(reference_engine::SystemClock);
    let engine = match options.seed {
        Some(seed) => Engine::with_seed(clock, seed),
        None => Engine::new(clock),
    };
    let address = format!("{}:{}", options.bind, options.port);
    let server = Server::bind(address.as_str(), engine)
        .with_context(|| format!("cannot listen on {address}"))?;
    let local = server.local_addr()?;
    // Scripts and tests wait for this line and read the port from it (useful with --port 0).
    println!("hashcheck serve listening on {local}");
    io::stdout().flush()?;
    server.run()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reference_engine::resp::decode_replies;
    use reference_engine::Protocol;

    /// Answers PANIC by panicking and anything else with its first argument.
    struct Flaky;

    impl Executor for Flaky {
        fn execute(&mut self, _session: &mut Session, argv: &[Vec<u8>]) -> Reply {
            if argv[0] == b"PANIC" {
                panic!("asked to");
            }
            if argv[0] == b"NULL" {
                return Reply::Null;
            }
            Reply::Bulk(argv[0].clone())
        }
    }

    fn run(shared: &Shared<Flaky>, input: &[u8]) -> (Vec<Reply>, bool) {
        let mut session = Session::new(1);
        let mut parser = RequestParser::new();
        parser.feed(input);
        let (out, close) = process(shared, &mut session, &mut parser);
        (decode_replies(&out).unwrap(), close)
    }

    fn shared() -> Shared<Flaky> {
        Shared {
            executor: Mutex::new(Flaky),
            next_id: AtomicU64::new(1),
        }
    }

    #[test]
    fn a_panic_is_an_error_reply_and_the_batch_goes_on() {
        let shared = shared();
        let (replies, close) = run(&shared, b"A\r\nPANIC\r\nB\r\n");
        assert_eq!(
            replies,
            vec![
                Reply::bulk("A"),
                Reply::Error("ERR hashcheck engine panicked: asked to".into()),
                Reply::bulk("B"),
            ]
        );
        assert!(!close);
        assert!(!shared.executor.is_poisoned());
    }

    #[test]
    fn a_poisoned_lock_still_serves() {
        let shared = Arc::new(shared());
        let s = Arc::clone(&shared);
        let _ = thread::spawn(move || {
            let _guard = s.executor.lock().unwrap();
            panic!("poison it");
        })
        .join();
        assert!(shared.executor.is_poisoned());
        assert_eq!(run(&shared, b"X\r\n").0, vec![Reply::bulk("X")]);
    }

    #[test]
    fn quit_and_protocol_errors_close_after_earlier_replies() {
        let shared = shared();
        let (replies, close) = run(&shared, b"A\r\nquit now\r\nB\r\n*x\r\n");
        assert_eq!(replies, vec![Reply::bulk("A"), Reply::ok()]);
        assert!(close);
        let (replies, close) = run(&shared, b"A\r\n*1\r\n:1\r\n");
        assert_eq!(
            replies,
            vec![
                Reply::bulk("A"),
                Reply::Error("ERR Protocol error: expected '$', got ':'".into())
            ]
        );
        assert!(close);
    }

    #[test]
    fn replies_use_the_session_protocol() {
        let shared = shared();
        for (protocol, wire) in [
            (Protocol::Resp2, &b"$-1\r\n"[..]),
            (Protocol::Resp3, b"_\r\n"),
        ] {
            let mut session = Session::new(1);
            session.protocol = protocol;
            let mut parser = RequestParser::new();
            parser.feed(b"*0\r\nNULL\r\n");
            assert_eq!(
                process(&shared, &mut session, &mut parser),
                (wire.to_vec(), false)
            );
        }
    }
}
