//! `hashcheck serve` stays fair and small under a pipelined burst of huge replies.
//!
//! These check structure, not speed (the figures are in `benches/serve.rs`): that another
//! client's command runs between a burst's commands rather than after all of them, and that
//! memory goes back after the burst. The burst is `HRANDFIELD h -1000000 WITHVALUES`, which
//! only ever goes to hashcheck's own engine: a real Redis tries to serve it and runs out of
//! memory.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use hashcheck::serve::memory::{peak_resident_bytes, resident_bytes};
use hashcheck::serve::{Executor, Server};
use reference_engine::resp::encode_request;
use reference_engine::{Engine, Execution, Reply, Session, SystemClock};

use crate::support::{self, servers};

const PICKS: u64 = 1_000_000;
/// One RESP2 reply: the header and a million 14-byte picks (`$1\r\na\r\n$1\r\n1\r\n`).
const REPLY_BYTES: u64 = 10 + PICKS * 14;

/// The engine, logging the name of every command it runs, in the order it runs them. It
/// also knows SLOW, which takes `SLOW` and answers +OK: a slow command with a short reply.
struct Logged {
    engine: Engine,
    log: Arc<Mutex<Vec<String>>>,
}

impl Logged {
    fn note(&self, argv: &[Vec<u8>]) {
        let name = String::from_utf8_lossy(&argv[0]).to_uppercase();
        self.log.lock().unwrap().push(name);
    }
}

impl Executor for Logged {
    fn execute(&mut self, session: &mut Session, argv: &[Vec<u8>]) -> Reply {
        self.note(argv);
        self.engine.execute(session, argv)
    }

    fn execute_deferrable(&mut self, session: &mut Session, argv: &[Vec<u8>]) -> Execution {
        self.note(argv);
        if argv[0] == b"SLOW" {
            thread::sleep(SLOW);
            return Execution::Reply(Reply::ok());
        }
        self.engine.execute_deferrable(session, argv)
    }
}

const SLOW: Duration = Duration::from_millis(10);

fn logged_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let engine = Engine::with_seed(Arc::new(SystemClock), 1);
    let executor = Logged {
        engine,
        log: Arc::clone(&log),
    };
    let server = Server::bind("127.0.0.1:0", executor).unwrap();
    let addr = server.local_addr().unwrap().to_string();
    thread::spawn(move || server.run());
    (addr, log)
}

fn connect(addr: &str) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    stream
}

fn read_exactly(stream: &mut TcpStream, n: u64) -> Vec<u8> {
    let mut first = Vec::new();
    let mut chunk = vec![0u8; 256 * 1024];
    let mut left = n;
    while left > 0 {
        let want = left.min(chunk.len() as u64) as usize;
        let got = stream.read(&mut chunk[..want]).unwrap();
        assert!(got > 0, "closed with {left} bytes still to come");
        if first.len() < 64 {
            first.extend_from_slice(&chunk[..got.min(64)]);
        }
        left -= got as u64;
    }
    first
}

fn five_field_hash(addr: &str) {
    let mut c = connect(addr);
    c.write_all(&encode_request(&[
        "HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5",
    ]))
    .unwrap();
    assert_eq!(read_exactly(&mut c, 4), b":5\r\n");
}

fn burst(count: usize) -> Vec<u8> {
    encode_request(&["HRANDFIELD", "h", &format!("-{PICKS}"), "WITHVALUES"]).repeat(count)
}

#[test]
fn another_clients_ping_runs_between_the_commands_of_a_burst() {
    let _turn = support::light();
    let (addr, log) = logged_server();
    five_field_hash(&addr);

    // The burst client reads one byte and then nothing, so the burst stalls on its own
    // socket partway through its first 14MB reply. Had the lock been taken for the whole
    // pipeline, every HRANDFIELD would run before the PING.
    const BURST: usize = 10;
    let mut hostile = connect(&addr);
    hostile.write_all(&burst(BURST)).unwrap();
    let mut first = [0u8; 1];
    hostile.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"*");

    let mut other = connect(&addr);
    other.write_all(b"PING\r\n").unwrap();
    assert_eq!(read_exactly(&mut other, 7), b"+PONG\r\n");
    let ran: Vec<String> = log.lock().unwrap().clone();
    let before_ping = ran.iter().filter(|c| *c == "HRANDFIELD").count();
    assert!(
        ran.last().map(String::as_str) == Some("PING") && before_ping < BURST,
        "the PING ran after {before_ping} of {BURST} HRANDFIELDs: {ran:?}"
    );

    // The rest of the burst is still served, whole.
    let rest = read_exactly(&mut hostile, REPLY_BYTES * BURST as u64 - 1);
    assert!(rest.starts_with(b"2000000\r\n$1\r\n"), "{rest:?}");
    let ran = log.lock().unwrap().clone();
    assert_eq!(ran.iter().filter(|c| *c == "HRANDFIELD").count(), BURST);
}

/// Slow commands with short replies, pipelined in one write, are not a burst of huge
/// replies: the client is not moved off the event loop. Its turn still ends after a few of
/// them, and another client's PING runs before the rest.
#[test]
fn another_clients_ping_runs_between_the_turns_of_a_slow_pipeline() {
    let _turn = support::light();
    let (addr, log) = logged_server();
    const PIPELINE: usize = 64;
    let mut slow = connect(&addr);
    slow.write_all(&b"SLOW\r\n".repeat(PIPELINE)).unwrap();
    // The PING goes once the pipeline is running, so that it could be made to wait.
    while !log.lock().unwrap().iter().any(|c| c == "SLOW") {
        thread::sleep(Duration::from_millis(1));
    }
    let mut other = connect(&addr);
    other.write_all(b"PING\r\n").unwrap();
    assert_eq!(read_exactly(&mut other, 7), b"+PONG\r\n");
    let ran = log.lock().unwrap().clone();
    let before_ping = ran.iter().position(|c| c == "PING").unwrap();
    // A turn is 8 commands here (each outlasts the turn's 1 ms), and the PING waits for the
    // turn under way plus, while it is accepted and read, up to two more.
    assert!(
        before_ping <= PIPELINE / 2,
        "the PING ran after {before_ping} of {PIPELINE} SLOWs: {ran:?}"
    );
    assert_eq!(
        read_exactly(&mut slow, 5 * PIPELINE as u64),
        b"+OK\r\n".repeat(PIPELINE)[..64].to_vec()
    );
}

#[test]
fn memory_goes_back_after_a_burst() {
    let _turn = support::light();
    let server = servers::serve(&["--seed", "1"]);
    let addr = server.addr();
    five_field_hash(&addr);
    thread::sleep(Duration::from_millis(200));
    let before = resident_bytes(server.pid()).unwrap();

    const BURST: usize = 20;
    let mut hostile = connect(&addr);
    hostile.write_all(&burst(BURST)).unwrap();
    read_exactly(&mut hostile, REPLY_BYTES * BURST as u64);
    drop(hostile);
    thread::sleep(Duration::from_millis(500));

    // Generous bounds: the burst was 280MB of replies, and before this change its peak
    // was well over 1GB and most of it stayed.
    let peak = peak_resident_bytes(server.pid()).unwrap();
    let after = resident_bytes(server.pid()).unwrap();
    let mb = |b: u64| b / (1024 * 1024);
    assert!(mb(peak) < 200, "peak {} MB", mb(peak));
    assert!(
        after < 2 * before + (16 << 20),
        "after the burst {} MB, before {} MB",
        mb(after),
        mb(before)
    );
}

#[test]
fn idle_clients_cost_little() {
    let _turn = support::light();
    let server = servers::serve(&["--seed", "1"]);
    let addr = server.addr();
    thread::sleep(Duration::from_millis(200));
    let without = resident_bytes(server.pid()).unwrap();
    const IDLE: u64 = 200;
    let mut clients: Vec<TcpStream> = (0..IDLE).map(|_| connect(&addr)).collect();
    for c in &mut clients {
        c.write_all(b"PING\r\n").unwrap();
    }
    for c in &mut clients {
        assert_eq!(read_exactly(c, 7), b"+PONG\r\n");
    }
    thread::sleep(Duration::from_millis(300));
    let with = resident_bytes(server.pid()).unwrap();
    // A thread with its stack, a 16KB read chunk and its allocator pages: tens of KB.
    // Generous: the goal is 50KB, and a thread with a 2MB stack on THP cost ~600KB.
    let each = with.saturating_sub(without) / IDLE;
    assert!(each < 150 * 1024, "{} KB per idle client", each / 1024);
}
