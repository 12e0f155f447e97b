//! One client's connection on a thread of its own: read, parse, run each command under the
//! engine lock, write. A client starts on the event loop ([`super::event`]) and comes here
//! when it needs a thread: a deferred reply, replies that outrun its reading, or a close.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use reference_engine::resp::{Argv, RequestParser};
use reference_engine::{CommandError, DeferredReply, Execution, Reply, Session};

use super::{memory, Executor, Shared, QUERY_BUFFER_LIMIT};

/// How much is read from a socket at a time. Redis reads 16KB (`PROTO_IOBUF_LEN`), and the
/// parser's 64KB line limits are checked against what has been read, so the same chunking
/// makes the same inputs fail.
pub(super) const READ_CHUNK: usize = 16 * 1024;

/// Replies are written once this much has piled up, before the next command runs, and a
/// deferred reply is made this much at a time: a pipeline of huge replies holds one piece,
/// not all of them, and a client that does not read stalls only its own thread.
pub(super) const FLUSH_AT: usize = 64 * 1024;

/// Buffer capacity a connection keeps between reads. What a large request or reply grew
/// beyond it is given back, so that a thousand idle connections stay small.
const KEEP: usize = 16 * 1024;

/// What a client carries from read to read, on the event loop or on its own thread.
pub(super) struct Client {
    pub(super) session: Session,
    pub(super) parser: RequestParser,
    /// Replies not written yet.
    pub(super) out: Vec<u8>,
}

impl Client {
    pub(super) fn new(id: u64) -> Self {
        Self {
            session: Session::new(id),
            parser: RequestParser::new(),
            out: Vec::new(),
        }
    }

    /// After the replies to a read are out (`written` bytes): gives back what a large
    /// request or reply made the buffers grow by.
    pub(super) fn tidy(&mut self, written: usize) {
        if self.out.capacity() > KEEP {
            self.out = Vec::new();
        }
        self.parser.shrink(KEEP);
        if written >= memory::LARGE_REPLY {
            memory::give_back();
        }
    }
}

/// Why [`process`] returned.
pub(super) enum Stop {
    /// Every complete request has run.
    Drained,
    /// The connection closes once `out` is written (QUIT, a protocol error, the query
    /// buffer limit).
    Close,
    /// Event loop only: its turn is over (time, or `FLUSH_AT` bytes of replies); the rest
    /// runs on a later turn.
    Yield,
    /// Event loop only: a deferred reply, not started; it and what follows need a thread.
    Deferred(DeferredReply),
}

/// Serves `client` on the calling thread until it leaves, sends QUIT or breaks the
/// protocol. `stop` is where the event loop left it (`Drained` for a fresh client); what
/// `out` holds is written first.
pub(super) fn serve<E: Executor>(
    mut stream: TcpStream,
    shared: &Shared<E>,
    mut client: Client,
    stop: Stop,
) {
    if stream.set_nonblocking(false).is_err() {
        return;
    }
    // Replies to single commands should not wait for Nagle's algorithm.
    let _ = stream.set_nodelay(true);
    let mut chunk = vec![0u8; READ_CHUNK];
    let (mut pending, mut close) = match stop {
        Stop::Close => (None, true),
        Stop::Deferred(deferred) => (Some(deferred), false),
        Stop::Drained | Stop::Yield => (None, false),
    };
    loop {
        let mut sink = Sink::new(&mut stream);
        if !close {
            let ran = match pending.take() {
                Some(deferred) => finish_deferred(deferred, &mut client.out, &mut sink),
                None => Ok(false),
            };
            let ran = ran.and_then(|closed| {
                if closed {
                    return Ok(true);
                }
                let stop = process(Mode::Thread(shared), &mut client, &mut sink)?;
                Ok(matches!(stop, Stop::Close))
            });
            let Ok(closed) = ran else {
                return;
            };
            close = closed;
        }
        if sink.flush_out(&mut client.out).is_err() {
            return;
        }
        let written = sink.written;
        if close {
            linger_close(stream, &mut chunk);
            return;
        }
        client.tidy(written);
        let n = match stream.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // A reset or any other read error: the client is gone.
            Err(_) => return,
        };
        client.parser.feed(&chunk[..n]);
    }
}

/// Where replies go, counting what was written.
pub(super) struct Sink<'a, W> {
    writer: &'a mut W,
    written: usize,
}

impl<'a, W: Write> Sink<'a, W> {
    pub(super) fn new(writer: &'a mut W) -> Self {
        Self { writer, written: 0 }
    }

    /// Writes `out` and empties it, keeping its capacity for the next piece.
    fn flush_out(&mut self, out: &mut Vec<u8>) -> io::Result<()> {
        if !out.is_empty() {
            self.writer.write_all(out)?;
            self.written += out.len();
            out.clear();
        }
        Ok(())
    }
}

/// Closes after a final reply (QUIT, protocol error). Closing a socket with unread input
/// makes the kernel send a reset, which can destroy the reply before the client reads it;
/// so the write side is shut first and what the client still sends is read and dropped,
/// for a short while only, so a client that keeps sending cannot hold the thread.
fn linger_close(mut stream: TcpStream, chunk: &mut [u8]) {
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
    let deadline = Instant::now() + Duration::from_secs(1);
    while Instant::now() < deadline {
        match stream.read(chunk) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
}

/// How [`process`] gets at the engine.
pub(super) enum Mode<'a, E> {
    /// On a client's own thread: the lock is taken for each command, and `out` is written
    /// to the sink whenever `FLUSH_AT` bytes pile up.
    Thread(&'a Shared<E>),
    /// On the event loop: the engine, locked for this client's turn, which ends at the
    /// instant given. Nothing is written.
    Turn(&'a mut E, Instant),
}

/// The event loop looks at the time after this many commands, not after each: reading the
/// clock cost as much as a PING (a seventh of serve's time at `-P 64`, on this VM).
const TIME_EVERY: u32 = 8;

/// Runs the complete commands the parser holds, in order, appending their replies to `out`.
///
/// On a thread, it returns `Drained` or `Close`; a deferred reply is encoded piece by piece
/// as it goes. On the event loop, it yields once `out` holds `FLUSH_AT` bytes or the turn is
/// over, and hands a deferred reply back unstarted. An error means the client is gone.
pub(super) fn process<E: Executor, W: Write>(
    mut mode: Mode<'_, E>,
    client: &mut Client,
    sink: &mut Sink<'_, W>,
) -> io::Result<Stop> {
    let Client {
        session,
        parser,
        out,
    } = client;
    let mut ran = 0u32;
    loop {
        let argv = match parser.next_request() {
            Ok(Some(argv)) => argv,
            Ok(None) => break,
            Err(e) => {
                out.extend_from_slice(&e.to_wire());
                return Ok(Stop::Close);
            }
        };
        if argv[0].eq_ignore_ascii_case(b"quit") {
            Reply::ok().encode(session.protocol, out);
            return Ok(Stop::Close);
        }
        ran += 1;
        match &mut mode {
            Mode::Thread(shared) => {
                // The lock is held for the command only, not for encoding its reply.
                let execution = {
                    let mut executor = shared.executor.lock().unwrap_or_else(|e| e.into_inner());
                    execute_caught(&mut *executor, session, &argv)
                };
                match execution {
                    Execution::Reply(reply) => reply.encode(session.protocol, out),
                    Execution::Deferred(deferred) => {
                        if finish_deferred(deferred, out, sink)? {
                            return Ok(Stop::Close);
                        }
                    }
                }
                if out.len() >= FLUSH_AT {
                    sink.flush_out(out)?;
                }
            }
            Mode::Turn(executor, ends) => {
                // In a pipeline the next command is already here: its field is loaded
                // into the cache while this one runs (see `Table::prefetch`).
                if let Some(next) = parser.peek_request() {
                    executor.prefetch(session, next);
                }
                match execute_caught(&mut **executor, session, &argv) {
                    Execution::Reply(reply) => reply.encode(session.protocol, out),
                    Execution::Deferred(deferred) => return Ok(Stop::Deferred(deferred)),
                }
                if out.len() >= FLUSH_AT || (ran % TIME_EVERY == 0 && Instant::now() >= *ends) {
                    return Ok(Stop::Yield);
                }
            }
        }
    }
    Ok(if parser.buffered() > QUERY_BUFFER_LIMIT {
        Stop::Close
    } else {
        Stop::Drained
    })
}

/// Encodes a deferred reply into `out` piece by piece, writing each piece to `sink` before
/// the next is made. Returns whether the connection must close: encoding panicked, and part
/// of the reply may be out already.
fn finish_deferred<W: Write>(
    mut deferred: DeferredReply,
    out: &mut Vec<u8>,
    sink: &mut Sink<'_, W>,
) -> io::Result<bool> {
    loop {
        let piece = catch_unwind(AssertUnwindSafe(|| {
            deferred.encode_some(out, FLUSH_AT.saturating_sub(out.len()))
        }));
        match piece {
            Ok(true) => return Ok(false),
            Ok(false) => sink.flush_out(out)?,
            Err(_) => {
                eprintln!("hashcheck serve: encoding a deferred reply panicked");
                return Ok(true);
            }
        }
    }
}

/// Runs one command, turning a panic into an error reply.
fn execute_caught<E: Executor>(executor: &mut E, session: &mut Session, argv: &Argv) -> Execution {
    // Unwind safety: after a panic the engine may hold a half-applied command; the server
    // reports it rather than pretend, and keeps going, which is what a fuzzing run needs.
    match catch_unwind(AssertUnwindSafe(|| {
        executor.execute_deferrable(session, argv)
    })) {
        Ok(execution) => execution,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown cause".to_string());
            Execution::Reply(Reply::Error(
                CommandError::EnginePanicked(message).to_string(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU64;
    use std::sync::{Arc, Mutex};
    use std::thread;

    use super::*;
    use reference_engine::resp::decode_replies;
    use reference_engine::{Engine, ManualClock, Protocol};

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

    fn shared<E>(executor: E) -> Shared<E> {
        Shared {
            executor: Mutex::new(executor),
            next_id: AtomicU64::new(1),
        }
    }

    /// Everything `process` writes for `input` on a thread, and whether it closes.
    fn run_wire<E: Executor>(
        shared: &Shared<E>,
        session: &mut Session,
        input: &[u8],
    ) -> (Vec<u8>, bool) {
        let mut client = Client::new(session.id);
        client.session = session.clone();
        client.parser.feed(input);
        let mut written = Vec::new();
        let mut sink = Sink::new(&mut written);
        let stop = process(Mode::Thread(shared), &mut client, &mut sink).unwrap();
        sink.flush_out(&mut client.out).unwrap();
        *session = client.session;
        (written, matches!(stop, Stop::Close))
    }

    fn run(shared: &Shared<Flaky>, input: &[u8]) -> (Vec<Reply>, bool) {
        let (wire, close) = run_wire(shared, &mut Session::new(1), input);
        (decode_replies(&wire).unwrap(), close)
    }

    #[test]
    fn a_panic_is_an_error_reply_and_the_batch_goes_on() {
        let shared = shared(Flaky);
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
        let shared = Arc::new(shared(Flaky));
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
        let shared = shared(Flaky);
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
        let shared = shared(Flaky);
        for (protocol, wire) in [
            (Protocol::Resp2, &b"$-1\r\n"[..]),
            (Protocol::Resp3, b"_\r\n"),
        ] {
            let mut session = Session::new(1);
            session.protocol = protocol;
            assert_eq!(
                run_wire(&shared, &mut session, b"*0\r\nNULL\r\n"),
                (wire.to_vec(), false)
            );
        }
    }

    /// Records every write: its size, and whether the engine lock was free meanwhile.
    struct Watch<'a> {
        shared: &'a Shared<Engine>,
        writes: Vec<(usize, bool)>,
        bytes: Vec<u8>,
    }

    impl Write for Watch<'_> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let free = self.shared.executor.try_lock().is_ok();
            self.writes.push((buf.len(), free));
            self.bytes.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn huge_replies_go_out_in_pieces_without_the_lock_and_match_execute() {
        let clock = Arc::new(ManualClock::new(1_700_000_000_000));
        let shared = shared(Engine::with_seed(clock.clone(), 7));
        let mut reference = Engine::with_seed(clock, 7);
        let lines = [
            "HSET h a 1 b 2 c 3",
            "HRANDFIELD h -200000 WITHVALUES",
            "PING",
            "HRANDFIELD h -100000",
            "HRANDFIELD h -5",
        ];
        let input: Vec<u8> = lines
            .iter()
            .map(|l| format!("{l}\r\n"))
            .collect::<String>()
            .into();
        for protocol in [Protocol::Resp2, Protocol::Resp3] {
            let mut client = Client::new(1);
            client.session.protocol = protocol;
            client.parser.feed(&input);
            let mut watch = Watch {
                shared: &shared,
                writes: Vec::new(),
                bytes: Vec::new(),
            };
            let mut sink = Sink::new(&mut watch);
            let stop = process(Mode::Thread(&shared), &mut client, &mut sink).unwrap();
            assert!(matches!(stop, Stop::Drained));
            sink.flush_out(&mut client.out).unwrap();
            let session = client.session;

            let mut expected = Vec::new();
            let mut ref_session = session.clone();
            for line in lines {
                let argv: Vec<Vec<u8>> = line.split(' ').map(|w| w.as_bytes().to_vec()).collect();
                reference
                    .execute(&mut ref_session, &argv)
                    .encode(protocol, &mut expected);
            }
            assert!(
                watch.bytes == expected,
                "{protocol:?}: the bytes execute gives"
            );
            // ~3MB of replies: dozens of writes, none much past FLUSH_AT, none under the lock.
            assert!(watch.writes.len() > 20, "{:?}", watch.writes.len());
            assert!(watch.writes.iter().all(|&(len, _)| len <= FLUSH_AT + 64));
            assert!(watch.writes.iter().all(|&(_, free)| free));
        }
    }
}
