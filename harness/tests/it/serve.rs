//! `hashcheck serve` from the outside: a real process on a free loopback port, driven over
//! raw sockets and through the network target.
//!
//! Each hostile-client test keeps a second, well-behaved client connected and checks that
//! it is still served afterwards: one client must never be able to hurt another. Where Redis
//! 8.2.3 is installed, the same raw bytes also go to Redis and the answers must match byte
//! for byte.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use hashcheck::process::ServerProcess;
use hashcheck::targets::{EmbeddedTarget, NetworkTarget, Target};
use reference_engine::resp::{decode_reply, encode_request};
use reference_engine::{Protocol, Reply};

use crate::support::{self, servers};

fn serve() -> ServerProcess {
    servers::serve(&["--seed", "1"])
}

/// A raw RESP client.
struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    fn connect(addr: &str) -> Self {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Self {
            stream,
            buf: Vec::new(),
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    fn read_reply(&mut self) -> Reply {
        loop {
            if let Some((reply, used)) = decode_reply(&self.buf).unwrap() {
                self.buf.drain(..used);
                return reply;
            }
            let mut chunk = [0u8; 64 * 1024];
            let n = self.stream.read(&mut chunk).unwrap();
            assert!(n > 0, "connection closed while waiting for a reply");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    fn call(&mut self, words: &[&str]) -> Reply {
        self.send(&encode_request(words));
        self.read_reply()
    }

    /// Everything the server sends until it closes the connection or stays silent for
    /// `idle`, and whether it closed.
    fn drain(&mut self, idle: Duration) -> (Vec<u8>, bool) {
        self.stream.set_read_timeout(Some(idle)).unwrap();
        let mut out = std::mem::take(&mut self.buf);
        let mut chunk = [0u8; 64 * 1024];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return (out, true),
                Ok(n) => out.extend_from_slice(&chunk[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return (out, false)
                }
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return (out, true),
                Err(e) => panic!("{e}"),
            }
        }
    }
}

/// The well-behaved client's check: a write and a read, with the replies Redis gives.
fn still_served(client: &mut Client, tag: &str) {
    assert_eq!(client.call(&["HSET", tag, "f", "v"]), Reply::Integer(1));
    assert_eq!(client.call(&["HGET", tag, "f"]), Reply::bulk("v"));
    assert_eq!(client.call(&["HDEL", tag, "f"]), Reply::Integer(1));
}

fn error(text: &str) -> Reply {
    Reply::Error(text.to_string())
}

#[test]
fn garbage_gets_a_protocol_error_and_a_close() {
    let _turn = support::light();
    let server = serve();
    let mut bystander = Client::connect(&server.addr());
    for (garbage, reply) in [
        (
            &b"*1\r\nxyz\r\n"[..],
            "ERR Protocol error: expected '$', got 'x'",
        ),
        (b"*abc\r\n", "ERR Protocol error: invalid multibulk length"),
        (
            b"\"open quote\r\n",
            "ERR Protocol error: unbalanced quotes in request",
        ),
    ] {
        let mut hostile = Client::connect(&server.addr());
        hostile.send(garbage);
        assert_eq!(hostile.read_reply(), error(reply));
        assert!(
            hostile.drain(Duration::from_secs(5)).1,
            "closed after {reply}"
        );
    }
    // 100KB of binary noise without a newline (with NULs and 0xff) is a too-big inline request.
    let noise: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8 | 1).collect();
    let noise: Vec<u8> = noise.into_iter().filter(|&b| b != b'\n').collect();
    let mut hostile = Client::connect(&server.addr());
    hostile.send(&noise);
    let (bytes, closed) = hostile.drain(Duration::from_secs(5));
    assert_eq!(bytes, b"-ERR Protocol error: too big inline request\r\n");
    assert!(closed);
    still_served(&mut bystander, "garbage");
}

#[test]
fn bulk_length_over_512mb_is_refused_without_allocating() {
    let _turn = support::light();
    let server = serve();
    let mut bystander = Client::connect(&server.addr());
    let mut hostile = Client::connect(&server.addr());
    hostile.send(b"*2\r\n$4\r\nHGET\r\n$536870913\r\n");
    assert_eq!(
        hostile.read_reply(),
        error("ERR Protocol error: invalid bulk length")
    );
    assert!(hostile.drain(Duration::from_secs(5)).1);
    // Exactly 512MB is allowed: the server waits for the data, holding only what arrived.
    let mut patient = Client::connect(&server.addr());
    patient.send(b"*2\r\n$4\r\nECHO\r\n$536870912\r\nabc");
    assert_eq!(patient.drain(Duration::from_millis(300)), (vec![], false));
    let rss_kb = std::fs::read_to_string(format!("/proc/{}/status", server.pid()))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse::<u64>().ok())
        .unwrap();
    assert!(rss_kb < 100 * 1024, "server holds {rss_kb} kB");
    still_served(&mut bystander, "bulk");
}

#[test]
fn an_unterminated_array_waits_and_blocks_nobody() {
    let _turn = support::light();
    let server = serve();
    let mut bystander = Client::connect(&server.addr());
    let mut slow = Client::connect(&server.addr());
    slow.send(b"*4\r\n$4\r\nHSET\r\n$4\r\nslow\r\n$1\r\nf\r\n");
    assert_eq!(slow.drain(Duration::from_millis(200)), (vec![], false));
    still_served(&mut bystander, "unterminated");
    // The rest arrives later, split mid-length and mid-data.
    slow.send(b"$");
    slow.send(b"2\r\nv");
    slow.send(b"v\r\n");
    assert_eq!(slow.read_reply(), Reply::Integer(1));
    assert_eq!(slow.call(&["HGET", "slow", "f"]), Reply::bulk("vv"));
}

#[test]
fn clients_leaving_mid_command_are_dropped_quietly() {
    let _turn = support::light();
    let server = serve();
    let mut bystander = Client::connect(&server.addr());
    for partial in [
        &b"*3\r\n$4\r\nHGET\r\n$1\r\nk"[..],
        b"*2\r\n$4\r\nECHO\r\n$100000\r\nxxxx",
        b"HSET k f",
        b"*10",
    ] {
        let mut leaver = Client::connect(&server.addr());
        leaver.send(partial);
        // A reset (unread data, SO_LINGER 0 would be harsher) or a plain close: both end it.
        leaver.stream.shutdown(Shutdown::Both).unwrap();
    }
    // A client that leaves while its replies are still being written.
    let mut leaver = Client::connect(&server.addr());
    let big = "x".repeat(100_000);
    leaver.call(&["HSET", "big", "f", &big]);
    leaver.send(&encode_request(&["HGET", "big", "f"]).repeat(50));
    drop(leaver);
    still_served(&mut bystander, "leavers");
    assert_eq!(
        Client::connect(&server.addr()).call(&["HSTRLEN", "big", "f"]),
        Reply::Integer(100_000)
    );
}

#[test]
fn a_client_that_never_reads_blocks_nobody() {
    let _turn = support::light();
    let server = serve();
    let mut bystander = Client::connect(&server.addr());
    let mut stuck = Client::connect(&server.addr());
    let big = "y".repeat(200_000);
    assert_eq!(stuck.call(&["HSET", "huge", "f", &big]), Reply::Integer(1));
    // 100 replies of 200KB: far more than the socket buffers hold, so the server's writer
    // for this client blocks. It must not be holding the engine while it waits.
    stuck.send(&encode_request(&["HGET", "huge", "f"]).repeat(100));
    std::thread::sleep(Duration::from_millis(200));
    still_served(&mut bystander, "stuck");
    drop(stuck);
    still_served(&mut bystander, "stuck-gone");
}

#[test]
fn a_thousand_pipelined_commands_answer_in_order() {
    let _turn = support::light();
    let server = serve();
    let mut bystander = Client::connect(&server.addr());
    let mut client = Client::connect(&server.addr());
    let mut batch = Vec::new();
    for i in 0..1000 {
        batch.extend(encode_request(&[
            "HSET",
            "pipe",
            &format!("f{i}"),
            &i.to_string(),
        ]));
    }
    for i in (0..1000).step_by(7) {
        batch.extend(encode_request(&["HGET", "pipe", &format!("f{i}")]));
    }
    client.send(&batch);
    for _ in 0..1000 {
        assert_eq!(client.read_reply(), Reply::Integer(1));
    }
    for i in (0..1000).step_by(7) {
        assert_eq!(client.read_reply(), Reply::bulk(i.to_string()));
    }
    assert_eq!(client.call(&["HLEN", "pipe"]), Reply::Integer(1000));
    still_served(&mut bystander, "pipeline");
}

#[test]
fn inline_commands_with_quotes() {
    let _turn = support::light();
    let server = serve();
    let mut bystander = Client::connect(&server.addr());
    let mut client = Client::connect(&server.addr());
    client.send(b"HSET inline \"a b\" 'it\\'s' plain \"\\x00\\n\"\r\n");
    assert_eq!(client.read_reply(), Reply::Integer(2));
    client.send(b"HGET inline \"a b\"\nHGET inline plain\r\n\r\n   \r\n");
    assert_eq!(client.read_reply(), Reply::bulk("it's"));
    assert_eq!(client.read_reply(), Reply::bulk("\0\n"));
    // Mixed with multibulk in one write.
    client.send(b"HLEN inline\r\n*2\r\n$4\r\nHLEN\r\n$6\r\ninline\r\n");
    assert_eq!(client.read_reply(), Reply::Integer(2));
    assert_eq!(client.read_reply(), Reply::Integer(2));
    still_served(&mut bystander, "inline");
}

#[test]
fn hello_3_switches_one_connection_to_resp3() {
    let _turn = support::light();
    let server = serve();
    let mut resp2 = Client::connect(&server.addr());
    let mut resp3 = Client::connect(&server.addr());
    assert_eq!(resp2.call(&["HSET", "h", "f", "v"]), Reply::Integer(1));
    let hello = resp3.call(&["HELLO", "3"]);
    let Reply::Map(fields) = &hello else {
        panic!("HELLO 3 replied {hello:?}");
    };
    assert!(
        fields.contains(&(Reply::bulk("proto"), Reply::Integer(3))),
        "{hello:?}"
    );
    // The same command, two shapes: a map for the RESP3 connection only.
    resp3.send(&encode_request(&["HGETALL", "h"]));
    let mut raw = vec![0u8; 64];
    let n = resp3.stream.read(&mut raw).unwrap();
    assert_eq!(&raw[..n], b"%1\r\n$1\r\nf\r\n$1\r\nv\r\n");
    assert_eq!(
        resp2.call(&["HGETALL", "h"]),
        Reply::Array(vec![Reply::bulk("f"), Reply::bulk("v")])
    );
    assert_eq!(resp3.call(&["HGET", "h", "nope"]), Reply::Null);
    resp2.send(&encode_request(&["HGET", "h", "nope"]));
    let n = resp2.stream.read(&mut raw).unwrap();
    assert_eq!(&raw[..n], b"$-1\r\n");
}

#[test]
fn quit_answers_ok_and_closes() {
    let _turn = support::light();
    let server = serve();
    let mut client = Client::connect(&server.addr());
    client.send(b"HSET q f v\r\nQUIT\r\nHSET q g v\r\n");
    assert_eq!(
        client.drain(Duration::from_secs(5)),
        (b":1\r\n+OK\r\n".to_vec(), true)
    );
    assert_eq!(
        Client::connect(&server.addr()).call(&["HLEN", "q"]),
        Reply::Integer(1)
    );
}

/// Commands whose replies are deterministic and the same in every engine state used here.
fn sample_commands() -> Vec<Vec<Vec<u8>>> {
    let words: &[&[&str]] = &[
        &["HSET", "t", "a", "1", "b", "2.5"],
        &["HGET", "t", "a"],
        &["HGET", "t", "missing"],
        &["HMGET", "t", "a", "missing", "b"],
        &["HGETALL", "t"],
        &["HINCRBYFLOAT", "t", "b", "1"],
        &["HINCRBY", "t", "b", "1"],
        &["HGET", "t"],
        &["NOSUCH", "x"],
        &["HLEN", "t"],
        &["HDEL", "t", "a", "b"],
        &["HGETALL", "t"],
    ];
    words
        .iter()
        .map(|w| w.iter().map(|s| s.as_bytes().to_vec()).collect())
        .collect()
}

#[test]
fn network_target_on_serve_matches_embedded_target() {
    let _turn = support::light();
    let server = serve();
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let mut network =
            NetworkTarget::connect(&server.url(), Some(protocol), Duration::from_secs(10)).unwrap();
        let mut embedded = EmbeddedTarget::new(protocol);
        assert_eq!(network.protocol(), protocol);
        assert_eq!(network.identity().redis_version.as_deref(), Some("8.2.3"));
        let commands = sample_commands();
        for argv in &commands {
            assert_eq!(
                network.call(argv).unwrap(),
                embedded.call(argv).unwrap(),
                "{protocol:?} {}",
                String::from_utf8_lossy(&argv.join(&b' '))
            );
        }
        // The same again as one pipeline: every reply, errors included, in order.
        let piped = network.call_batch(&commands).unwrap();
        let direct = embedded.call_batch(&commands).unwrap();
        assert_eq!(piped.len(), commands.len());
        assert!(piped.iter().any(Reply::is_error));
        assert_eq!(piped, direct, "{protocol:?}");
    }
}

#[test]
fn network_target_on_redis_keeps_errors_in_place() {
    let _turn = support::light();
    let redis = servers::redis();
    let mut target = NetworkTarget::connect(&redis.addr(), None, Duration::from_secs(10)).unwrap();
    assert_eq!(target.identity().to_string(), "redis 8.2.3");
    let argv = |s: &str| {
        s.split(' ')
            .map(|w| w.as_bytes().to_vec())
            .collect::<Vec<_>>()
    };
    // An error inside an array (EXEC) stays an element of the array.
    assert_eq!(target.call(&argv("SET s 1")).unwrap(), Reply::ok());
    assert_eq!(target.call(&argv("MULTI")).unwrap(), Reply::ok());
    assert_eq!(
        target.call(&argv("HSET s f v")).unwrap(),
        Reply::Simple("QUEUED".into())
    );
    assert_eq!(
        target.call(&argv("INCR s")).unwrap(),
        Reply::Simple("QUEUED".into())
    );
    assert_eq!(
        target.call(&argv("EXEC")).unwrap(),
        Reply::Array(vec![
            error("WRONGTYPE Operation against a key holding the wrong kind of value"),
            Reply::Integer(2),
        ])
    );
    // A pipeline with errors in the middle returns every reply.
    let replies = target
        .call_batch(&[
            argv("HSET s f v"),
            argv("GET s"),
            argv("HGET s"),
            argv("INCR s"),
        ])
        .unwrap();
    assert_eq!(
        replies,
        vec![
            error("WRONGTYPE Operation against a key holding the wrong kind of value"),
            Reply::bulk("2"),
            error("ERR wrong number of arguments for 'hget' command"),
            Reply::Integer(3),
        ]
    );
    // HELLO through call switches the target's protocol, and RESP3 types come through.
    assert_eq!(target.protocol(), Protocol::Resp2);
    target.call(&argv("HELLO 3")).unwrap();
    assert_eq!(target.protocol(), Protocol::Resp3);
    target.call(&argv("HSET h f 1.5")).unwrap();
    assert_eq!(
        target.call(&argv("HGETALL h")).unwrap(),
        Reply::Map(vec![(Reply::bulk("f"), Reply::bulk("1.5"))])
    );
    assert_eq!(
        target.call(&argv("HINCRBYFLOAT h f 1")).unwrap(),
        Reply::bulk("2.5")
    );
}

/// Raw byte streams that stress the parser. Each goes to Redis 8.2.3 and to hashcheck serve
/// on a fresh connection; what comes back, and whether the connection is closed, must match.
#[test]
fn raw_bytes_answer_like_redis() {
    let _turn = support::light();
    let redis = servers::redis();
    let ours = serve();
    let inputs: Vec<Vec<u8>> = vec![
        b"*1\r\nxyz\r\n".to_vec(),
        b"*1\r\n\xff\r\n".to_vec(),
        b"*1\r\n\r\n".to_vec(),
        b"*-0\r\n".to_vec(),
        b"*2147483648\r\n".to_vec(),
        b"*2\r\n$4\r\nHGET\r\n$-1\r\n".to_vec(),
        b"*1\r\n$536870913\r\n".to_vec(),
        b"*0\r\n*-1\r\nNOSUCH a\r\n".to_vec(),
        b"*2\r\n$4\r\nHLENXY$2\r\nrbZZ".to_vec(),
        b"*2\rX$4\r\nHLEN\r\n$3\rXraw\r\n".to_vec(),
        b"NOSUCH \"a\\x41\\n\" 'b\\'c' d\"e f\"g \"\\xZZ\"\r\n".to_vec(),
        b"NOSUCH a\x0bb \x0bc\x0c\r\n\t\r\n\r\n".to_vec(),
        b"\"unbalanced\r\n".to_vec(),
        b"NOSUCH \"a\"b\r\n".to_vec(),
        b"NOSUCH\r\nQUIT\r\nNOSUCH2\r\n".to_vec(),
        b"NOSUCH\r\n*1\r\n:1\r\nNOSUCH2\r\n".to_vec(),
        b"HLEN raw\x00\r\n".to_vec(),
        b"*1\r\n$0\r\n\r\n".to_vec(),
        vec![b'a'; 65537],
        [b"*1\r\n$".to_vec(), vec![b'1'; 65536]].concat(),
    ];
    for input in &inputs {
        let answers: Vec<(Vec<u8>, bool)> = [redis.addr(), ours.addr()]
            .iter()
            .map(|addr| {
                let mut client = Client::connect(addr);
                client.send(input);
                client.drain(Duration::from_millis(300))
            })
            .collect();
        assert_eq!(
            answers[0],
            answers[1],
            "input {}",
            reference_engine::reply::quote(&input[..input.len().min(80)])
        );
    }
}

#[test]
fn a_killed_server_is_gone() {
    let _turn = support::light();
    let server = serve();
    let (pid, addr) = (server.pid(), server.addr());
    drop(server);
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(&addr).is_ok() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(TcpStream::connect(&addr).is_err());
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
}

fn run_client(program: &std::path::Path, args: &[String], stdin: &str) -> String {
    let mut child = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        program.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn redis_cli_can_use_serve_in_both_protocols() {
    let _turn = support::light();
    let server = serve();
    let cli = servers::client_program("REDIS_CLI", "/usr/bin/redis-cli");
    let port = server.port().to_string();
    // Commands typed one per line, as in a session; redis-cli prints raw replies when its
    // output is not a terminal.
    let session = "HSET bike:1 model Deimos brand Ergonom\nHGET bike:1 model\nHGETALL bike:1\n";
    let out = run_client(&cli, &["-p".into(), port.clone()], session);
    assert_eq!(out, "2\nDeimos\nmodel\nDeimos\nbrand\nErgonom\n");
    // In RESP3 the reply is a map, which redis-cli prints one pair per line (as it does
    // for Redis 8.2.3).
    let out = run_client(
        &cli,
        &[
            "-3".into(),
            "-p".into(),
            port,
            "HGETALL".into(),
            "bike:1".into(),
        ],
        "",
    );
    assert_eq!(out, "model Deimos\nbrand Ergonom\n");
}

#[test]
fn redis_py_with_protocol_3_can_hset_and_hgetall() {
    let _turn = support::light();
    let python = servers::client_program(
        "PYTHON_REDIS",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../.servers/venv/bin/python"),
    );
    let server = serve();
    let script = "import sys, redis\n\
        r = redis.Redis(host='127.0.0.1', port=int(sys.argv[1]), protocol=3)\n\
        assert r.hset('h', mapping={'a': '1', 'b': '2'}) == 2\n\
        print(sorted(r.hgetall('h').items()))\n";
    let out = run_client(
        &python,
        &["-c".into(), script.into(), server.port().to_string()],
        "",
    );
    assert_eq!(out, "[(b'a', b'1'), (b'b', b'2')]\n");
}
