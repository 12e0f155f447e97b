//! `cargo bench -p harness --bench engine`: the engine next to Redis 8.2.3 on this machine.
//!
//! Not a test: it prints figures and asserts nothing about speed. It measures, in one run:
//!
//! - throughput: `redis-benchmark -P 64` (HSET, then HGET) against a Redis 8.2.3 it starts
//!   itself, and the engine in-process (`Engine::execute` on pre-built argv) on a 50/50
//!   HSET/HGET mix over the same keyspace: one hash, fields `element:<12 digits>` drawn from
//!   100,000, 3-byte values. The goal is an engine at least 5x Redis's pipelined rate.
//! - memory: each data shape loaded into a fresh engine in a child process (this binary,
//!   re-run with `HASHCHECK_BENCH_MEMORY_CHILD=<shape>`), whose VmRSS is compared with what
//!   Redis reports as `used_memory` for the same data. The goal is at most 2x.
//!
//! Redis comes from `HASHCHECK_REDIS_8_2` or `.servers/redis-8.2.3/redis-server` (installed
//! by `scripts/install-servers.sh`), redis-benchmark from `HASHCHECK_REDIS_BENCHMARK` or the
//! PATH. The server listens on `HASHCHECK_BENCH_PORT` or a free loopback port, and is
//! killed by its PID when the run ends, errors included.

use std::hint::black_box;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use reference_engine::resp::{decode_reply, encode_request};
use reference_engine::{Engine, Reply, Session, SystemClock};

mod common;

const MEMORY_CHILD: &str = "HASHCHECK_BENCH_MEMORY_CHILD";
/// Requests per redis-benchmark run, and its keyspace (`-r`).
const REDIS_REQUESTS: usize = 1_000_000;
const KEYSPACE: u64 = 100_000;
/// Engine ops per timed run; the best of `RUNS` counts.
const ENGINE_OPS: usize = 4_000_000;
const RUNS: usize = 3;
/// Distinct pre-built engine commands, cycled (a million would cost ~200 MB of argv).
const PREBUILT: usize = 1 << 17;

const THROUGHPUT_GOAL: f64 = 5.0;
const MEMORY_GOAL: f64 = 2.0;

fn main() -> ExitCode {
    if let Ok(shape) = std::env::var(MEMORY_CHILD) {
        return common::exit(memory_child(&shape), "bench child");
    }
    common::exit(run(), "bench")
}

fn run() -> Result<()> {
    let redis_path = redis_server_path();
    let redis = RedisServer::start(&redis_path)?;
    println!("hashcheck engine benchmark");
    println!(
        "  redis: {} on 127.0.0.1:{}",
        redis_path.display(),
        redis.port
    );
    println!();
    throughput(&redis)?;
    println!();
    memory(&redis)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Throughput

fn throughput(redis: &RedisServer) -> Result<()> {
    let r = KEYSPACE.to_string();
    let n = REDIS_REQUESTS.to_string();
    let common = ["-P", "64", "-n", &n, "-r", &r, "--csv"];
    // HSET first, so that HGET finds the ~100,000 fields it wrote.
    let hset = redis.benchmark(&[&common[..], &["-t", "hset"]].concat())?;
    let hget =
        redis.benchmark(&[&common[..], &["HGET", "myhash", "element:__rand_int__"]].concat())?;
    let redis_rate = (hset + hget) / 2.0;

    let runs = engine_mix()?;
    let best = runs.iter().copied().fold(0.0, f64::max);
    let ratio = best / redis_rate;

    println!("Throughput: HSET/HGET on one hash, fields element:<0..{KEYSPACE}>, 3-byte values");
    println!("  {:<56}{:>14}", "", "ops/s");
    println!(
        "  {:<56}{:>14}",
        "redis 8.2.3, redis-benchmark -P 64 -c 50, HSET",
        rate(hset)
    );
    println!(
        "  {:<56}{:>14}",
        "redis 8.2.3, redis-benchmark -P 64 -c 50, HGET",
        rate(hget)
    );
    println!(
        "  {:<56}{:>14}",
        "redis 8.2.3, mean of HSET and HGET",
        rate(redis_rate)
    );
    let runs_text: Vec<String> = runs.iter().map(|r| rate(*r)).collect();
    let label = format!(
        "engine in-process, 50/50 mix, best of {RUNS} x {} ops",
        rate(ENGINE_OPS as f64)
    );
    println!("  {label:<56}{:>14}", rate(best));
    println!("    (runs: {})", runs_text.join(", "));
    println!(
        "  ratio engine / redis: {ratio:.2}x   goal >= {THROUGHPUT_GOAL}x: {}",
        verdict(ratio >= THROUGHPUT_GOAL)
    );
    Ok(())
}

/// Ops per second of `Engine::execute` on the HSET/HGET mix, one figure per run.
fn engine_mix() -> Result<Vec<f64>> {
    let mut engine = Engine::new(Arc::new(SystemClock));
    let mut session = Session::default();
    // Load the keyspace first, as the redis-benchmark HSET run does for HGET.
    for chunk in (0..KEYSPACE).collect::<Vec<_>>().chunks(1000) {
        let mut argv = vec![b"HSET".to_vec(), b"myhash".to_vec()];
        for &i in chunk {
            argv.push(element(i));
            argv.push(b"xxx".to_vec());
        }
        expect_integer(&engine.execute(&mut session, &argv))?;
    }
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let commands: Vec<Vec<Vec<u8>>> = (0..PREBUILT)
        .map(|_| {
            let field = element(rng.next() % KEYSPACE);
            if rng.next() % 2 == 0 {
                vec![b"HSET".to_vec(), b"myhash".to_vec(), field, b"xxx".to_vec()]
            } else {
                vec![b"HGET".to_vec(), b"myhash".to_vec(), field]
            }
        })
        .collect();
    // The mix must do real work: a wrong reply would make the figure meaningless.
    for argv in commands.iter().take(1000) {
        match engine.execute(&mut session, argv) {
            Reply::Integer(0) | Reply::Bulk(_) => {}
            other => bail!(
                "engine replied {other:?} to {:?}",
                String::from_utf8_lossy(&argv.concat())
            ),
        }
    }
    let mut runs = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        for argv in commands.iter().cycle().take(ENGINE_OPS) {
            black_box(engine.execute(&mut session, black_box(argv)));
        }
        runs.push(ENGINE_OPS as f64 / start.elapsed().as_secs_f64());
    }
    Ok(runs)
}

/// A field name as redis-benchmark writes it for `element:__rand_int__`.
fn element(i: u64) -> Vec<u8> {
    format!("element:{i:012}").into_bytes()
}

/// xorshift64: a fixed field sequence, so runs compare.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

// ---------------------------------------------------------------------------------------
// Memory

#[derive(Clone, Copy)]
enum Shape {
    /// 10,000 hashes `hash:<h>` of 100 fields `field:<f>` = `value:<h*100+f>` (listpacks).
    ManySmall,
    /// One hash `big` of 1,000,000 fields `field:<i>` = `value:<i>` (a hash table).
    OneBig,
}

impl Shape {
    const ALL: [Shape; 2] = [Shape::ManySmall, Shape::OneBig];

    fn id(self) -> &'static str {
        match self {
            Shape::ManySmall => "small",
            Shape::OneBig => "big",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Shape::ManySmall => "10,000 hashes x 100 fields",
            Shape::OneBig => "1 hash x 1,000,000 fields",
        }
    }

    fn from_id(id: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.id() == id)
            .with_context(|| format!("unknown shape {id:?}"))
    }

    /// The HSET commands that load the shape: one per small hash, 1,000 fields per command
    /// for the big one (the same pairs in the same order for both targets).
    fn commands(self) -> Box<dyn Iterator<Item = Vec<Vec<u8>>>> {
        match self {
            Shape::ManySmall => Box::new((0..10_000u64).map(|h| {
                let mut argv = vec![b"HSET".to_vec(), format!("hash:{h}").into_bytes()];
                for f in 0..100 {
                    argv.push(format!("field:{f}").into_bytes());
                    argv.push(format!("value:{}", h * 100 + f).into_bytes());
                }
                argv
            })),
            Shape::OneBig => Box::new((0..1_000u64).map(|chunk| {
                let mut argv = vec![b"HSET".to_vec(), b"big".to_vec()];
                for i in chunk * 1_000..(chunk + 1) * 1_000 {
                    argv.push(format!("field:{i}").into_bytes());
                    argv.push(format!("value:{i}").into_bytes());
                }
                argv
            })),
        }
    }

    /// A key and its expected HLEN, to check that the load happened.
    fn probe(self) -> (&'static [u8], i64) {
        match self {
            Shape::ManySmall => (b"hash:9999", 100),
            Shape::OneBig => (b"big", 1_000_000),
        }
    }
}

fn memory(redis: &RedisServer) -> Result<()> {
    println!("Memory: engine VmRSS (whole process) vs Redis used_memory, same data");
    println!(
        "  {:<28}{:>14}{:>14}{:>9}   {:<12}above empty: engine / redis",
        "shape", "engine RSS", "redis used", "ratio", "goal <= 2x"
    );
    let mut conn = redis.connect()?;
    for shape in Shape::ALL {
        let (rss_empty, rss_loaded) = engine_rss(shape)?;
        let (used_empty, used_loaded) = redis_used_memory(&mut conn, shape)?;
        let ratio = rss_loaded as f64 / used_loaded as f64;
        println!(
            "  {:<28}{:>14}{:>14}{:>8.2}x   {:<12}{} / {}",
            shape.label(),
            mb(rss_loaded),
            mb(used_loaded),
            ratio,
            verdict(ratio <= MEMORY_GOAL),
            mb(rss_loaded.saturating_sub(rss_empty)),
            mb(used_loaded.saturating_sub(used_empty)),
        );
    }
    Ok(())
}

/// VmRSS of a fresh child process before and after it loads `shape` into an engine.
fn engine_rss(shape: Shape) -> Result<(u64, u64)> {
    let exe = std::env::current_exe().context("locating the bench binary")?;
    let out = Command::new(exe)
        .env(MEMORY_CHILD, shape.id())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .context("running the memory child")?;
    ensure!(
        out.status.success(),
        "memory child for {} failed: {}",
        shape.id(),
        out.status
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let figure = |key: &str| -> Result<u64> {
        text.split_whitespace()
            .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
            .with_context(|| format!("memory child printed no {key}: {text:?}"))?
            .parse()
            .with_context(|| format!("memory child's {key}"))
    };
    Ok((figure("rss_empty")?, figure("rss_loaded")?))
}

/// The child side: load the shape into a fresh engine and print VmRSS before and after.
fn memory_child(shape: &str) -> Result<()> {
    let shape = Shape::from_id(shape)?;
    let mut engine = Engine::new(Arc::new(SystemClock));
    let mut session = Session::default();
    let empty = vm_rss()?;
    for argv in shape.commands() {
        expect_integer(&engine.execute(&mut session, &argv))?;
    }
    let (key, fields) = shape.probe();
    let hlen = engine.execute(&mut session, &[b"HLEN".to_vec(), key.to_vec()]);
    ensure!(
        hlen == Reply::Integer(fields),
        "HLEN {key:?} = {hlen:?} after loading"
    );
    let loaded = vm_rss()?;
    println!("rss_empty={empty} rss_loaded={loaded}");
    black_box(&engine);
    Ok(())
}

fn vm_rss() -> Result<u64> {
    let status =
        std::fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .context("no VmRSS in /proc/self/status")?
        .parse()?;
    Ok(kb * 1024)
}

/// `used_memory` before and after loading `shape` into an emptied Redis.
fn redis_used_memory(conn: &mut Conn, shape: Shape) -> Result<(u64, u64)> {
    conn.call(&[b"FLUSHALL".to_vec(), b"SYNC".to_vec()])?;
    let empty = conn.used_memory()?;
    let mut batch = Vec::new();
    for argv in shape.commands() {
        batch.push(argv);
        if batch.len() == 100 {
            conn.pipeline(&batch)?;
            batch.clear();
        }
    }
    conn.pipeline(&batch)?;
    let (key, fields) = shape.probe();
    let hlen = conn.call(&[b"HLEN".to_vec(), key.to_vec()])?;
    ensure!(
        hlen == Reply::Integer(fields),
        "redis HLEN {key:?} = {hlen:?} after loading"
    );
    Ok((empty, conn.used_memory()?))
}

// ---------------------------------------------------------------------------------------
// The Redis server, its benchmark tool, and a minimal pipelining client

/// A Redis 8.2.3 of our own, killed by its PID when dropped (on error paths too).
struct RedisServer {
    child: Child,
    port: u16,
}

fn redis_server_path() -> PathBuf {
    match std::env::var_os("HASHCHECK_REDIS_8_2") {
        Some(path) => PathBuf::from(path),
        // The workspace root is the harness crate's parent.
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap_or(Path::new(".."))
            .join(".servers/redis-8.2.3/redis-server"),
    }
}

impl RedisServer {
    fn start(path: &Path) -> Result<Self> {
        if !path.is_file() {
            bail!(
                "Redis 8.2.3 not found at {}: run `bash scripts/install-servers.sh` or set \
                 HASHCHECK_REDIS_8_2",
                path.display()
            );
        }
        // The goals are stated against 8.2.3; another version would answer a different question.
        let version = Command::new(path).arg("--version").output()?;
        let version = String::from_utf8_lossy(&version.stdout);
        ensure!(
            version.contains("v=8.2.3 "),
            "{} is not Redis 8.2.3: {version}",
            path.display()
        );
        let port = match std::env::var("HASHCHECK_BENCH_PORT") {
            Ok(p) => p.parse().context("HASHCHECK_BENCH_PORT")?,
            Err(_) => TcpListener::bind("127.0.0.1:0")?.local_addr()?.port(),
        };
        let log = std::env::temp_dir().join(format!("hashcheck-bench-redis-{port}.log"));
        let child = Command::new(path)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log)?)
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", path.display()))?;
        let mut server = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = server.child.try_wait()? {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                bail!("redis-server exited ({status}) on port {port}:\n{log}");
            }
            if let Ok(mut conn) = server.connect() {
                if conn.call(&[b"PING".to_vec()]).is_ok() {
                    return Ok(server);
                }
            }
            ensure!(
                Instant::now() < deadline,
                "redis-server on port {port} did not answer PING"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn connect(&self) -> Result<Conn> {
        let stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        Ok(Conn {
            stream,
            buf: Vec::new(),
        })
    }

    /// Runs redis-benchmark with `args` against this server and returns its requests/s.
    fn benchmark(&self, args: &[&str]) -> Result<f64> {
        let tool = std::env::var("HASHCHECK_REDIS_BENCHMARK").unwrap_or("redis-benchmark".into());
        let out = Command::new(&tool)
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .with_context(|| {
                format!("running {tool} (install it with scripts/install-servers.sh)")
            })?;
        let text = String::from_utf8_lossy(&out.stdout);
        ensure!(out.status.success(), "{tool} {args:?} failed: {text}");
        // --csv: a header line, then "test","rps",... per test.
        let line = text
            .lines()
            .nth(1)
            .with_context(|| format!("{tool} {args:?} printed no result: {text}"))?;
        let rps = line.split(',').nth(1).map(|f| f.trim_matches('"'));
        rps.and_then(|r| r.parse().ok())
            .with_context(|| format!("{tool} {args:?}: no rate in {line:?}"))
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        // SIGKILL by PID: nothing is persisted, and it must stop even if it hangs.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A RESP2 connection that can pipeline.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    fn call(&mut self, argv: &[Vec<u8>]) -> Result<Reply> {
        Ok(self
            .pipeline(std::slice::from_ref(&argv.to_vec()))?
            .remove(0))
    }

    /// Sends all commands in one write, then reads one reply each. An error reply fails.
    fn pipeline(&mut self, commands: &[Vec<Vec<u8>>]) -> Result<Vec<Reply>> {
        let out: Vec<u8> = commands.iter().flat_map(|c| encode_request(c)).collect();
        self.stream.write_all(&out)?;
        let mut replies = Vec::with_capacity(commands.len());
        while replies.len() < commands.len() {
            match decode_reply(&self.buf).map_err(|e| anyhow::anyhow!("bad reply: {e}"))? {
                Some((reply, used)) => {
                    self.buf.drain(..used);
                    if let Reply::Error(e) = &reply {
                        bail!("redis replied -{e}");
                    }
                    replies.push(reply);
                }
                None => {
                    let mut chunk = [0u8; 64 * 1024];
                    let n = self.stream.read(&mut chunk)?;
                    ensure!(n > 0, "redis closed the connection");
                    self.buf.extend_from_slice(&chunk[..n]);
                }
            }
        }
        Ok(replies)
    }

    fn used_memory(&mut self) -> Result<u64> {
        let info = self.call(&[b"INFO".to_vec(), b"memory".to_vec()])?;
        let Reply::Bulk(text) = info else {
            bail!("INFO memory replied {info:?}");
        };
        String::from_utf8_lossy(&text)
            .lines()
            .find_map(|l| l.strip_prefix("used_memory:"))
            .context("no used_memory in INFO memory")?
            .trim()
            .parse()
            .context("used_memory")
    }
}

fn expect_integer(reply: &Reply) -> Result<()> {
    match reply {
        Reply::Integer(_) => Ok(()),
        other => bail!("expected an integer reply, got {other:?}"),
    }
}

fn rate(ops_per_sec: f64) -> String {
    let n = ops_per_sec.round() as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn verdict(met: bool) -> &'static str {
    if met {
        "MET"
    } else {
        "NOT MET"
    }
}
