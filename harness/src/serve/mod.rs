//! `hashcheck serve`: the reference engine behind a TCP socket, so any Redis client (and
//! `redis-cli`, `redis-benchmark`, the network target) can talk to it as to Redis.
//!
//! No async runtime: clients start on one event loop thread ([`event`], epoll, as Redis
//! serves them) and any client that could hold the others up moves to a std thread of its
//! own ([`connection`]). All share one engine behind a mutex; each connection has its own
//! `Session` (protocol, selected db), as each Redis client has. What keeps the process
//! small is in [`memory`].
//!
//! What it copies from Redis, because a client can tell the difference:
//! - requests are parsed with `resp::RequestParser` (multibulk and inline, Redis's rules);
//! - pipelined commands run in order, each reply in the protocol its session had after it;
//! - a protocol error is answered with Redis's error text, then the connection is closed;
//! - QUIT answers `+OK` and closes, skipping whatever follows it;
//! - a client holding more than 1GB of unparsed input is dropped without a reply
//!   (`client-query-buffer-limit`).
//!
//! Like Redis, it reclaims expired hash fields in the background, every 100 ms, unless
//! `DEBUG SET-ACTIVE-EXPIRE 0` says not to ([`expiry`]).
//!
//! What keeps one client from hurting the others:
//! - on a client's own thread, the mutex is held for one command at a time, never for a
//!   pipeline, a reply's encoding or any socket read or write; on the event loop, for one
//!   client's turn (its requests from one read, at most about 1 ms), never for a write. A
//!   pipeline of slow commands lets every other client in between its turns, and a client
//!   that does not read is moved to a thread and stalls only that thread;
//! - a reply too long to build at once (HRANDFIELD's million repeated picks) is taken from
//!   the engine deferred and encoded without the mutex, 64KB at a time, each piece written
//!   before the next is made (`reference_engine::deferred`);
//! - a panic inside the engine is caught, answered with an error reply, and the mutex is
//!   used again even if poisoned; I/O errors end only their own connection;
//! - an idle connection on the event loop holds no thread and no read buffer; on a thread of
//!   its own, its 16KB read chunk and a small stack.

use std::io;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reference_engine::{Engine, Execution, Reply, Session};

mod connection;
#[cfg(target_os = "linux")]
mod event;
pub mod expiry;
pub mod memory;
#[cfg(target_os = "linux")]
mod readiness;

/// Redis's default `client-query-buffer-limit`.
pub const QUERY_BUFFER_LIMIT: usize = 1024 * 1024 * 1024;

/// What runs the commands. The server needs nothing else from the engine, and tests can put
/// a misbehaving executor behind the same socket code.
pub trait Executor: Send + 'static {
    /// Runs one command for `session`, returning the RESP3-shaped reply.
    fn execute(&mut self, session: &mut Session, argv: &[Vec<u8>]) -> Reply;

    /// Runs one command, allowed to hand back a long reply to encode later, without the
    /// executor (see `reference_engine::deferred`). By default every reply is built at once.
    fn execute_deferrable(&mut self, session: &mut Session, argv: &[Vec<u8>]) -> Execution {
        Execution::Reply(self.execute(session, argv))
    }

    /// A hint that `argv` is `session`'s next command, given while the one before runs:
    /// the executor may start loading what it will read. Must change nothing. By default
    /// it does nothing.
    fn prefetch(&self, _session: &Session, _argv: &[Vec<u8>]) {}

    /// One slice of background expiry over at most `keys` keys: `Some(true)` when the cycle
    /// has gone round, `Some(false)` when there is more, `None` when there is no background
    /// expiry (switched off, or an executor without it, the default).
    fn expire_slice(&mut self, _keys: usize) -> Option<bool> {
        None
    }

    /// Records a background cycle's duration and whether its time limit stopped it.
    fn record_expire_cycle(&mut self, _elapsed: Duration, _time_cap_reached: bool) {}
}

impl Executor for Engine {
    fn execute(&mut self, session: &mut Session, argv: &[Vec<u8>]) -> Reply {
        Engine::execute(self, session, argv)
    }

    fn execute_deferrable(&mut self, session: &mut Session, argv: &[Vec<u8>]) -> Execution {
        Engine::execute_deferrable(self, session, argv)
    }

    fn prefetch(&self, session: &Session, argv: &[Vec<u8>]) {
        Engine::prefetch(self, session, argv);
    }

    fn expire_slice(&mut self, keys: usize) -> Option<bool> {
        if !self.active_expire_enabled() {
            return None;
        }
        Some(self.active_expire_cycle(keys).done)
    }

    fn record_expire_cycle(&mut self, elapsed: Duration, time_cap_reached: bool) {
        Engine::record_expire_cycle(self, elapsed, time_cap_reached);
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

    /// Starts the background expiry cycle ([`expiry`]), then serves clients forever: on
    /// the event loop ([`event`]), or where there is no epoll, one thread each.
    pub fn run(self) -> io::Result<()> {
        expiry::start(Arc::clone(&self.shared));
        #[cfg(target_os = "linux")]
        return event::run(&self.listener, &self.shared);
        #[cfg(not(target_os = "linux"))]
        self.thread_each()
    }

    /// Accepts connections forever, each on a thread of its own.
    #[cfg(not(target_os = "linux"))]
    fn thread_each(self) -> io::Result<()> {
        for stream in self.listener.incoming() {
            match stream {
                Ok(stream) => {
                    let shared = Arc::clone(&self.shared);
                    let client = connection::Client::new(
                        shared
                            .next_id
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                    );
                    let spawned = std::thread::Builder::new()
                        .name("hashcheck-client".to_string())
                        .stack_size(memory::CLIENT_STACK)
                        .spawn(move || {
                            connection::serve(stream, &shared, client, connection::Stop::Drained)
                        });
                    if let Err(e) = spawned {
                        eprintln!("hashcheck serve: cannot start a client thread: {e}");
                    }
                }
                // Out of descriptors or a connection reset before accept: back off a little
                // and keep accepting; one bad moment must not end the server.
                Err(e) => {
                    eprintln!("hashcheck serve: accept failed: {e}");
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        }
        Ok(())
    }
}
