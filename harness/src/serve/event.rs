//! The event loop: one thread serving every client that is quick to serve, with epoll, as
//! Redis does.
//!
//! WHY: with a thread per connection, every request of a client that waits for its reply
//! (`redis-benchmark -P 1`) wakes a thread and puts it back to sleep. Measured with 50
//! clients, that made serve spend twice Redis's CPU time per request (12 us against 6.5 us),
//! all of it in the kernel switching threads; the syscalls were the same one read and one
//! write per request. One thread that takes whichever sockets are ready does no switching.
//!
//! The guarantees of a thread per connection stay, because a client that could hurt the
//! others moves to a thread of its own, for good (`connection::serve`):
//! - a deferred reply (HRANDFIELD's million picks) is handed over before any of it is made;
//! - replies that the socket does not take at once: a client that does not read stalls
//!   only its own thread, never the loop;
//! - QUIT, a protocol error or the query buffer limit: the final reply and the lingering
//!   close happen there.
//!
//! A client's turn runs the requests one read brought under one taking of the engine lock
//! (which the client threads and the expiry thread wait for), and ends early after `TURN`
//! (looked at every few commands) or once `FLUSH_AT` bytes of replies are waiting; the rest waits for its next
//! turn, after every other ready client has had one. A client whose turn ended early is not
//! read from until what it sent is done, so its input does not pile up.

use std::collections::{HashMap, VecDeque};
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::connection::{self, Client, Mode, Sink, Stop, READ_CHUNK};
use super::readiness::Readiness;
use super::{memory, Executor, Shared};

/// The longest a client's turn goes on while it has requests left.
const TURN: Duration = Duration::from_millis(1);
/// The listener's token; clients are numbered from 0. (`usize::MAX` is polling's own.)
const LISTENER: usize = usize::MAX - 1;
/// Connections accepted per wake-up, so a flood of connects does not starve the clients.
const ACCEPTS: usize = 64;

struct Light {
    stream: TcpStream,
    client: Client,
    /// In the backlog: its last turn ended with requests left.
    queued: bool,
}

/// Serves `listener`'s clients until the process ends. Returns only if the poller fails.
pub(super) fn run<E: Executor>(listener: &TcpListener, shared: &Arc<Shared<E>>) -> io::Result<()> {
    // Declared before the poller, so dropped after it: a socket is to be forgotten by the
    // poller before it is closed, which cannot matter once the poller is gone.
    let mut clients: HashMap<usize, Light> = HashMap::new();
    let mut poll = Readiness::new()?;
    listener.set_nonblocking(true)?;
    poll.watch(listener, LISTENER)?;
    let mut backlog: VecDeque<usize> = VecDeque::new();
    let mut next_token = 0usize;
    let mut chunk = vec![0u8; READ_CHUNK];
    let mut ready: Vec<usize> = Vec::new();
    loop {
        // Clients with requests left must not wait for new input to get their turn.
        let timeout = if backlog.is_empty() {
            None
        } else {
            Some(Duration::ZERO)
        };
        ready.clear();
        poll.wait(&mut ready, timeout)?;
        for &token in &ready {
            if token == LISTENER {
                accept(listener, &poll, shared, &mut clients, &mut next_token);
                continue;
            }
            let Some(light) = clients.get_mut(&token) else {
                continue;
            };
            if light.queued {
                continue;
            }
            match light.stream.read(&mut chunk) {
                Ok(0) => {
                    forget(&poll, &mut clients, token);
                    continue;
                }
                Ok(n) => light.client.parser.feed(&chunk[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                    ) =>
                {
                    continue
                }
                // A reset or any other read error: the client is gone.
                Err(_) => {
                    forget(&poll, &mut clients, token);
                    continue;
                }
            }
            light.queued = true;
            backlog.push_back(token);
        }
        // One turn for each client that had work when this round began.
        for _ in 0..backlog.len() {
            let Some(token) = backlog.pop_front() else {
                break;
            };
            let Some(light) = clients.get_mut(&token) else {
                continue;
            };
            light.queued = false;
            match catch_unwind(AssertUnwindSafe(|| turn(shared, light))) {
                Ok(Next::Stay { more: false }) => {}
                Ok(Next::Stay { more: true }) => {
                    light.queued = true;
                    backlog.push_back(token);
                }
                Ok(Next::Thread(stop)) => {
                    // Its socket stays open, in the thread's hands; the loop stops watching it.
                    if let Some(light) = forget(&poll, &mut clients, token) {
                        hand_over(light, shared, stop);
                    }
                }
                Ok(Next::Gone) => {
                    forget(&poll, &mut clients, token);
                }
                Err(_) => {
                    eprintln!("hashcheck serve: a client's turn panicked; it is dropped");
                    forget(&poll, &mut clients, token);
                }
            }
        }
    }
}

/// What becomes of a client after its turn.
enum Next {
    /// It stays on the loop; `more` when it has requests left.
    Stay { more: bool },
    /// It goes to a thread of its own, which goes on from `Stop`.
    Thread(Stop),
    /// It left, or its socket failed.
    Gone,
}

/// Runs one turn of `light`'s requests and writes the replies without waiting.
fn turn<E: Executor>(shared: &Shared<E>, light: &mut Light) -> Next {
    let mut nowhere = io::sink();
    let mut sink = Sink::new(&mut nowhere);
    let ends = Instant::now() + TURN;
    let stop = {
        // Held for the turn, released before any write.
        let mut executor = shared.executor.lock().unwrap_or_else(|e| e.into_inner());
        let mode = Mode::Turn(&mut *executor, ends);
        match connection::process(mode, &mut light.client, &mut sink) {
            Ok(stop) => stop,
            Err(_) => return Next::Gone,
        }
    };
    let more = match stop {
        Stop::Drained => false,
        Stop::Yield => true,
        Stop::Close | Stop::Deferred(_) => return Next::Thread(stop),
    };
    let out = &mut light.client.out;
    let mut written = 0;
    while written < out.len() {
        match light.stream.write(&out[written..]) {
            Ok(0) => return Next::Gone,
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                // The client is not reading: what is left, and all it sends from now on,
                // is its own thread's to wait for.
                out.drain(..written);
                return Next::Thread(if more { Stop::Yield } else { Stop::Drained });
            }
            Err(_) => return Next::Gone,
        }
    }
    out.clear();
    light.client.tidy(written);
    Next::Stay { more }
}

/// Accepts what connections are waiting, up to `ACCEPTS`, each onto the loop (or, if the
/// poller refuses it, a thread).
fn accept<E: Executor>(
    listener: &TcpListener,
    poll: &Readiness,
    shared: &Arc<Shared<E>>,
    clients: &mut HashMap<usize, Light>,
    next_token: &mut usize,
) {
    for _ in 0..ACCEPTS {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // Out of descriptors or a connection reset before accept: back off a little
            // and keep accepting; one bad moment must not end the server.
            Err(e) => {
                eprintln!("hashcheck serve: accept failed: {e}");
                thread::sleep(Duration::from_millis(10));
                return;
            }
        };
        let client = Client::new(shared.next_id.fetch_add(1, Ordering::Relaxed));
        // Replies to single commands should not wait for Nagle's algorithm.
        let _ = stream.set_nodelay(true);
        let token = *next_token;
        *next_token += 1;
        let light = Light {
            stream,
            client,
            queued: false,
        };
        if light.stream.set_nonblocking(true).is_ok() && poll.watch(&light.stream, token).is_ok() {
            clients.insert(token, light);
        } else {
            hand_over(light, shared, Stop::Drained);
        }
    }
}

/// Moves a client to a thread of its own for the rest of its connection.
fn hand_over<E: Executor>(light: Light, shared: &Arc<Shared<E>>, stop: Stop) {
    let shared = Arc::clone(shared);
    let Light { stream, client, .. } = light;
    let spawned = thread::Builder::new()
        .name("hashcheck-client".to_string())
        .stack_size(memory::CLIENT_STACK)
        .spawn(move || connection::serve(stream, &shared, client, stop));
    if let Err(e) = spawned {
        eprintln!("hashcheck serve: cannot start a client thread: {e}");
    }
}

/// Takes a client off the loop, and stops watching its socket (which stays open while the
/// returned client lives: it may be going to a thread).
/// The listener outlives `run`'s poller; a client is closed or handed over only after this,
/// or when `run` ends, after its poller is dropped.
fn forget(poll: &Readiness, clients: &mut HashMap<usize, Light>, token: usize) -> Option<Light> {
    let light = clients.remove(&token)?;
    poll.forget(&light.stream);
    Some(light)
}
