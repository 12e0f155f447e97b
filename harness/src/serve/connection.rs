//! One client's connection: read, parse, run each command under the engine lock, write.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use reference_engine::resp::{Argv, RequestParser};
use reference_engine::{CommandError, Execution, Reply, Session};

use super::{memory, Executor, Shared, QUERY_BUFFER_LIMIT};

/// How much is read from a socket at a time. Redis reads 16KB (`PROTO_IOBUF_LEN`), and the
/// parser's 64KB line limits are checked against what has been read, so the same chunking
/// makes the same inputs fail.
const READ_CHUNK: usize = 16 * 1024;

/// Replies are written once this much has piled up, before the next command runs, and a
/// deferred reply is made this much at a time: a pipeline of huge replies holds one piece,
/// not all of them, and a client that does not read stalls only its own thread.
pub(super) const FLUSH_AT: usize = 64 * 1024;

/// Buffer capacity a connection keeps between reads. What a large request or reply grew
/// beyond it is given back, so that a thousand idle connections stay small.
const KEEP: usize = 16 * 1024;

/// Serves one client until it leaves, sends QUIT or breaks the protocol.
pub(super) fn serve<E: Executor>(mut stream: TcpStream, shared: &Shared<E>) {
    // Replies to single commands should not wait for Nagle's algorithm.
    let _ = stream.set_nodelay(true);
    let mut session = Session::new(shared.next_id.fetch_add(1, Ordering::Relaxed));
    let mut parser = RequestParser::new();
    let mut chunk = vec![0u8; READ_CHUNK];
    let mut out = Vec::new();
    loop {
        let n = match stream.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // A reset or any other read error: the client is gone.
            Err(_) => return,
        };
        parser.feed(&chunk[..n]);
        let mut sink = Sink::new(&mut stream);
        let Ok(close) = process(shared, &mut session, &mut parser, &mut out, &mut sink) else {
            return;
        };
        if sink.flush_out(&mut out).is_err() {
            return;
        }
        let written = sink.written;
        if close {
            linger_close(stream, &mut chunk);
            return;
        }
        if out.capacity() > KEEP {
            out = Vec::new();
        }
        parser.shrink(KEEP);
        if written >= memory::LARGE_REPLY {
            memory::give_back();
        }
    }
}

/// Where replies go, counting what was written.
struct Sink<'a, W> {
    writer: &'a mut W,
    written: usize,
}

impl<'a, W: Write> Sink<'a, W> {
    fn new(writer: &'a mut W) -> Self {
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

/// Runs the complete commands the parser holds, in order, one lock at a time, appending
/// their replies to `out` and writing `out` to `sink` whenever `FLUSH_AT` bytes pile up.
/// Returns whether the connection must be closed once the rest of `out` is written; an
/// error means the client is gone.
fn process<E: Executor, W: Write>(
    shared: &Shared<E>,
    session: &mut Session,
    parser: &mut RequestParser,
    out: &mut Vec<u8>,
    sink: &mut Sink<'_, W>,
) -> io::Result<bool> {
    loop {
        let argv = match parser.next_request() {
            Ok(Some(argv)) => argv,
            Ok(None) => break,
            Err(e) => {
                out.extend_from_slice(&e.to_wire());
                return Ok(true);
            }
        };
        if argv[0].eq_ignore_ascii_case(b"quit") {
            Reply::ok().encode(session.protocol, out);
            return Ok(true);
        }
        match execute_guarded(shared, session, &argv) {
            Execution::Reply(reply) => reply.encode(session.protocol, out),
            Execution::Deferred(mut deferred) => loop {
                let piece = catch_unwind(AssertUnwindSafe(|| {
                    deferred.encode_some(out, FLUSH_AT.saturating_sub(out.len()))
                }));
                match piece {
                    Ok(true) => break,
                    Ok(false) => sink.flush_out(out)?,
                    // Part of the reply may be out already; the connection cannot go on.
                    Err(_) => {
                        eprintln!("hashcheck serve: encoding a deferred reply panicked");
                        return Ok(true);
                    }
                }
            },
        }
        if out.len() >= FLUSH_AT {
            sink.flush_out(out)?;
        }
    }
    Ok(parser.buffered() > QUERY_BUFFER_LIMIT)
}

/// Runs one command under the engine lock, taken for this command only, turning a panic
/// into an error reply.
fn execute_guarded<E: Executor>(
    shared: &Shared<E>,
    session: &mut Session,
    argv: &Argv,
) -> Execution {
    let mut executor = shared.executor.lock().unwrap_or_else(|e| e.into_inner());
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

    /// Everything `process` writes for `input`, and whether it closes.
    fn run_wire<E: Executor>(
        shared: &Shared<E>,
        session: &mut Session,
        input: &[u8],
    ) -> (Vec<u8>, bool) {
        let mut parser = RequestParser::new();
        parser.feed(input);
        let mut written = Vec::new();
        let mut out = Vec::new();
        let mut sink = Sink::new(&mut written);
        let close = process(shared, session, &mut parser, &mut out, &mut sink).unwrap();
        sink.flush_out(&mut out).unwrap();
        (written, close)
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
            let mut session = Session::new(1);
            session.protocol = protocol;
            let mut parser = RequestParser::new();
            parser.feed(&input);
            let mut watch = Watch {
                shared: &shared,
                writes: Vec::new(),
                bytes: Vec::new(),
            };
            let mut out = Vec::new();
            let mut sink = Sink::new(&mut watch);
            assert!(!process(&shared, &mut session, &mut parser, &mut out, &mut sink).unwrap());
            sink.flush_out(&mut out).unwrap();

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
