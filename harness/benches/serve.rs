//! `cargo bench -p harness --bench serve`: is `hashcheck serve` fair and small under abuse?
//!
//! Not a test: it prints figures and asserts nothing about speed. Against a fresh `hashcheck
//! serve` (this build's, or `HASHCHECK_BENCH_SERVE_BINARY` to measure another build the same
//! way), it measures, in this order:
//! - the burst: one client writes 50 pipelined `HRANDFIELD h -1000000 WITHVALUES` (h has
//!   five fields) in one write and reads the 700MB of replies, while another client sends
//!   PING after PING: the other client's worst and p99 PING latency during the burst (goal:
//!   worst under 100 ms);
//! - RSS before the burst, its peak (VmHWM, the process being fresh), and RSS one second
//!   after the burst client has left (goal: within 2x of before);
//! - 1,000 idle clients, each having sent one PING: RSS with them minus RSS without (goal:
//!   under 50 MB);
//! - `redis-benchmark -P 64` and `-P 1` HSET throughput (`HASHCHECK_REDIS_BENCHMARK` or
//!   redis-benchmark on PATH), so a change for fairness can be seen not to cost speed.
//!
//! Only ever against `hashcheck serve`: a real Redis tries to serve this burst and runs out
//! of memory.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use hashcheck::process::ServerProcess;
use hashcheck::serve::memory::{peak_resident_bytes, resident_bytes};
use reference_engine::resp::encode_request;

mod common;

const BURST: usize = 50;
const PICKS: u64 = 1_000_000;
const IDLE: usize = 1_000;
/// One pick's RESP2 bytes for a one-byte field and value: `$1\r\na\r\n$1\r\n1\r\n`.
const PICK_BYTES: u64 = 14;

fn main() -> ExitCode {
    common::exit(run(), "bench")
}

fn run() -> Result<()> {
    let binary = std::env::var("HASHCHECK_BENCH_SERVE_BINARY")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_hashcheck").to_string());
    let server = ServerProcess::hashcheck(&binary, &["--seed", "1"]).context("starting serve")?;
    let pid = server.pid();
    let rss = || resident_bytes(pid).context("reading VmRSS");
    println!("hashcheck serve benchmark");
    println!("  binary: {binary} on {}", server.addr());
    println!("  load average: {}", load_average());
    println!();

    let mut setup = connect(&server.addr())?;
    setup.write_all(&encode_request(&[
        "HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5",
    ]))?;
    read_exactly(&mut setup, b":5\r\n".len())?;
    thread::sleep(Duration::from_millis(300));
    let before = rss()?;

    let burst = burst(&server.addr())?;
    let peak = peak_resident_bytes(pid).context("reading VmHWM")?;
    thread::sleep(Duration::from_secs(1));
    let after = rss()?;

    let idle = idle_clients(&server.addr(), pid)?;

    println!(
        "Burst: {BURST} x HRANDFIELD h -{PICKS} WITHVALUES in one write, {:.0} MB of replies",
        burst.bytes as f64 / 1e6
    );
    println!(
        "  burst took                      {:>10.2} s",
        burst.took.as_secs_f64()
    );
    println!(
        "  PINGs answered during it        {:>10}",
        burst.pings.len()
    );
    println!(
        "  worst PING latency              {:>10.1} ms   (goal < 100 ms)",
        ms(burst.worst())
    );
    println!(
        "  p99 PING latency                {:>10.1} ms",
        ms(burst.p99())
    );
    println!("Memory (VmRSS)");
    println!("  before the burst                {:>10.1} MB", mb(before));
    println!("  peak (VmHWM)                    {:>10.1} MB", mb(peak));
    println!(
        "  1 s after the burst             {:>10.1} MB   ({:.2}x before; goal <= 2x)",
        mb(after),
        after as f64 / before as f64
    );
    println!(
        "  {IDLE} idle clients             {:>10.1} MB   ({:.1} KB each; goal < 50 MB)",
        mb(idle),
        idle as f64 / 1024.0 / IDLE as f64
    );
    println!("redis-benchmark HSET against serve (-c 50, -r 100000)");
    for pipeline in ["64", "1"] {
        let requests = if pipeline == "1" { "200000" } else { "1000000" };
        let rate = redis_benchmark(&server, pipeline, requests)?;
        println!(
            "  -P {pipeline:<3} -n {requests:<8}          {:>10.0} requests/s",
            rate
        );
    }
    Ok(())
}

struct Burst {
    took: Duration,
    bytes: u64,
    pings: Vec<Duration>,
}

impl Burst {
    fn worst(&self) -> Duration {
        self.pings.iter().max().copied().unwrap_or_default()
    }

    fn p99(&self) -> Duration {
        let mut sorted = self.pings.clone();
        sorted.sort();
        sorted
            .get((sorted.len() * 99 / 100).min(sorted.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    }
}

/// Sends the burst in one write and reads all of it, while another client PINGs.
fn burst(addr: &str) -> Result<Burst> {
    let mut pinger = connect(addr)?;
    let mut hostile = connect(addr)?;
    let command = encode_request(&["HRANDFIELD", "h", &format!("-{PICKS}"), "WITHVALUES"]);
    let batch = command.repeat(BURST);
    let reply_bytes = format!("*{}\r\n", 2 * PICKS).len() as u64 + PICKS * PICK_BYTES;
    let total = reply_bytes * BURST as u64;

    let done = Arc::new(AtomicBool::new(false));
    let pings = {
        let done = Arc::clone(&done);
        thread::spawn(move || -> Result<Vec<Duration>> {
            let mut latencies = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let sent = Instant::now();
                pinger.write_all(b"PING\r\n")?;
                read_exactly(&mut pinger, b"+PONG\r\n".len())?;
                latencies.push(sent.elapsed());
                thread::sleep(Duration::from_millis(1));
            }
            Ok(latencies)
        })
    };
    let start = Instant::now();
    hostile.write_all(&batch)?;
    let bytes = read_exactly(&mut hostile, total as usize)?;
    let took = start.elapsed();
    done.store(true, Ordering::Relaxed);
    drop(hostile);
    let pings = pings.join().expect("pinger thread")?;
    Ok(Burst { took, bytes, pings })
}

/// RSS with `IDLE` connected clients (each has sent a PING) minus RSS without them.
fn idle_clients(addr: &str, pid: u32) -> Result<u64> {
    let without = resident_bytes(pid).context("reading VmRSS")?;
    let mut clients = Vec::with_capacity(IDLE);
    for _ in 0..IDLE {
        let mut c = connect(addr)?;
        c.write_all(b"PING\r\n")?;
        clients.push(c);
    }
    for c in &mut clients {
        read_exactly(c, b"+PONG\r\n".len())?;
    }
    thread::sleep(Duration::from_millis(500));
    let with = resident_bytes(pid).context("reading VmRSS")?;
    Ok(with.saturating_sub(without))
}

fn connect(addr: &str) -> Result<TcpStream> {
    let stream = TcpStream::connect(addr).with_context(|| format!("connecting to {addr}"))?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    Ok(stream)
}

/// Reads and drops exactly `n` bytes; returns how many were read.
fn read_exactly(stream: &mut TcpStream, n: usize) -> Result<u64> {
    let mut chunk = vec![0u8; 256 * 1024];
    let mut left = n;
    while left > 0 {
        let want = left.min(chunk.len());
        let got = stream.read(&mut chunk[..want])?;
        ensure!(
            got > 0,
            "connection closed with {left} bytes still expected"
        );
        left -= got;
    }
    Ok(n as u64)
}

fn redis_benchmark(server: &ServerProcess, pipeline: &str, requests: &str) -> Result<f64> {
    let tool = std::env::var("HASHCHECK_REDIS_BENCHMARK").unwrap_or("redis-benchmark".into());
    let out = Command::new(&tool)
        .args(["-h", "127.0.0.1", "-p", &server.port().to_string()])
        .args([
            "-P", pipeline, "-n", requests, "-c", "50", "-r", "100000", "--csv", "-t", "hset",
        ])
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {tool} (install it with scripts/install-servers.sh)"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    ensure!(out.status.success(), "{tool} failed: {text}");
    // --csv: a header, then "HSET","<rps>",...
    text.lines()
        .map(|l| {
            l.split(',')
                .map(|f| f.trim_matches('"'))
                .collect::<Vec<_>>()
        })
        .find(|f| f.first() == Some(&"HSET"))
        .and_then(|f| f.get(1).and_then(|r| r.parse().ok()))
        .with_context(|| format!("{tool} printed no HSET rate: {text}"))
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1024.0 / 1024.0
}
