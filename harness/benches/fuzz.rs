//! `cargo bench -p harness --bench fuzz`: how fast `hashcheck fuzz` compares commands, next
//! to how fast Redis 8.2.3 takes pipelined HSETs, on this machine and in one run.
//!
//! Not a test: it prints figures and asserts nothing about speed. It starts its own Redis
//! 8.2.3 (`HASHCHECK_REDIS_8_2` or `.servers/`), then measures:
//! - `redis-benchmark -P 64 -t hset` (1,000,000 requests, 100,000 random fields), the best
//!   of three runs: the server's pipelined HSET rate;
//! - `hashcheck fuzz --commands all --seed 1` for `HASHCHECK_BENCH_FUZZ_SECS` (default 20)
//!   seconds in each protocol, with one lane and with two (`--jobs 2`), against the same
//!   server: commands compared per second while the run generates (each one sent to Redis,
//!   answered by the engine, and compared); and again with the plain field commands only
//!   (no TTLs, scans or random picks), to show how much the mix decides;
//! - the ratio of the two. The goal is at least 0.5;
//! - the server's own CPU time per compared command (INFO cpu), and the ratio that alone
//!   would allow: the full mix costs Redis about twice what an HSET does, which caps the
//!   ratio below 0.5 however fast the fuzzer is, on a machine with one core for Redis.
//!
//! The fuzzer and redis-benchmark each share the machine with the server the same way (one
//! client process, one server), so the ratio says how close the fuzzer comes to the rate at
//! which Redis can be fed at all.

use std::process::{Command, ExitCode, Stdio};

use anyhow::{bail, ensure, Context, Result};
use hashcheck::process::{redis_8_2_binary, ServerProcess};

const GOAL: f64 = 0.5;
/// The commands without TTLs, scans, random picks or floats.
const PLAIN: &str =
    "HSET,HMSET,HSETNX,HGET,HMGET,HLEN,HEXISTS,HSTRLEN,HDEL,HINCRBY,DEL,EXISTS,TYPE";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<()> {
    let binary = redis_8_2_binary()
        .context("Redis 8.2.3 is not installed (run scripts/install-servers.sh)")?;
    let redis = ServerProcess::redis(&binary, &[]).context("starting Redis 8.2.3")?;
    let secs: u64 = std::env::var("HASHCHECK_BENCH_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    println!("hashcheck fuzz benchmark");
    println!("  redis: {} on {}", binary.display(), redis.addr());
    println!();
    // The best of three: on a small shared machine one reading of redis-benchmark was
    // seen anywhere from 0.75M to 1.28M HSETs/s; the best is the fairest denominator.
    let mut readings = Vec::new();
    for _ in 0..3 {
        readings.push(redis_benchmark(&redis)?);
        flush(&redis)?;
    }
    let hset = readings.iter().copied().fold(0.0, f64::max);
    let mut rows = Vec::new();
    for (resp, commands, label, jobs) in [
        ("2", "all", "all 32 commands", 1),
        ("3", "all", "all 32 commands", 1),
        ("2", "all", "all 32 commands", 2),
        ("3", "all", "all 32 commands", 2),
        ("2", PLAIN, "plain field commands", 1),
        ("2", PLAIN, "plain field commands", 2),
    ] {
        let busy_before = redis_cpu(&redis)?;
        let (rate, compared) = fuzz_rate(&redis, resp, commands, jobs, secs)?;
        let busy = redis_cpu(&redis)? - busy_before;
        rows.push((resp, label, jobs, rate, busy / compared.max(1.0)));
        flush(&redis)?;
    }
    println!("Throughput");
    println!(
        "  redis 8.2.3, redis-benchmark -P 64 -c 50, HSET: {hset:.0} requests/s ({:.2} us each), \
         the best of {}",
        1e6 / hset,
        readings
            .iter()
            .map(|r| format!("{r:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "  {:<44}{:>12}{:>8}{:>16}{:>14}",
        "hashcheck fuzz (compared commands)", "per second", "ratio", "redis us/cmd", "redis-bound"
    );
    for (resp, label, jobs, rate, redis_s) in &rows {
        let ratio = rate / hset;
        // If the fuzzer cost nothing, the server's own time per command would still cap
        // the rate: one core's worth of that, as a ratio to redis-benchmark.
        let ceiling = 1.0 / redis_s.max(1e-12) / hset;
        println!(
            "  {:<44}{rate:>12.0}{ratio:>8.2}{:>16.2}{ceiling:>14.2}",
            format!("{label}, RESP{resp}, --jobs {jobs}, {secs} s"),
            redis_s * 1e6
        );
    }
    println!();
    for (resp, label, jobs, rate, _) in &rows {
        let ratio = rate / hset;
        println!(
            "  ratio fuzz ({label}, RESP{resp}, --jobs {jobs}) / redis-benchmark: {ratio:.2}   goal >= {GOAL}: {}",
            if ratio >= GOAL { "met" } else { "NOT met" }
        );
    }
    println!();
    println!("  redis us/cmd: the server's CPU time per compared command in that run (INFO cpu);");
    println!("  redis-bound: the ratio the run could reach if the fuzzer cost nothing and the");
    println!("  server had one core to itself, i.e. what the command mix itself allows.");
    Ok(())
}

/// The server's CPU seconds so far (user + system, from INFO cpu).
fn redis_cpu(redis: &ServerProcess) -> Result<f64> {
    let out = Command::new("redis-cli")
        .args(["-p", &redis.port().to_string(), "INFO", "cpu"])
        .output()
        .context("running redis-cli")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut total = 0.0;
    for line in text.lines() {
        if let Some((name, value)) = line.trim().split_once(':') {
            if name == "used_cpu_user" || name == "used_cpu_sys" {
                total += value.parse::<f64>().context("INFO cpu")?;
            }
        }
    }
    Ok(total)
}

/// Requests per second of `redis-benchmark -P 64 -t hset`.
fn redis_benchmark(redis: &ServerProcess) -> Result<f64> {
    let tool = std::env::var("HASHCHECK_REDIS_BENCHMARK").unwrap_or("redis-benchmark".into());
    let out = Command::new(&tool)
        .args(["-h", "127.0.0.1", "-p", &redis.port().to_string()])
        .args([
            "-P", "64", "-n", "1000000", "-r", "100000", "--csv", "-t", "hset",
        ])
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {tool}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    ensure!(out.status.success(), "{tool} failed: {text}");
    // --csv: a header, then "HSET","<rps>",...
    for line in text.lines() {
        let fields: Vec<&str> = line.split(',').map(|f| f.trim_matches('"')).collect();
        if fields.first() == Some(&"HSET") {
            return fields
                .get(1)
                .and_then(|r| r.parse().ok())
                .with_context(|| format!("no rate in {line:?}"));
        }
    }
    bail!("{tool} printed no HSET line: {text}")
}

/// Compared commands per second of a `hashcheck fuzz` run, and how many were compared in
/// all, as the run reports them.
fn fuzz_rate(
    redis: &ServerProcess,
    resp: &str,
    commands: &str,
    jobs: u32,
    secs: u64,
) -> Result<(f64, f64)> {
    let out_dir = std::env::temp_dir().join(format!("hashcheck-bench-fuzz-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_hashcheck"))
        .args(["fuzz", "--target", &redis.addr(), "--seed", "1"])
        .args(["--commands", commands, "--jobs", &jobs.to_string()])
        .args(["--resp", resp, "--duration", &format!("{secs}s")])
        .arg("--out")
        .arg(&out_dir)
        .stdin(Stdio::null())
        .output()
        .context("running hashcheck fuzz")?;
    let _ = std::fs::remove_dir_all(&out_dir);
    let text = String::from_utf8_lossy(&out.stdout);
    ensure!(
        out.status.success(),
        "hashcheck fuzz exited with {}: {text}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    // "<n> commands compared in <t> s (<rate>/s), then <m> more in ..."
    text.lines()
        .find_map(|line| {
            let (n, rest) = line.split_once(" commands compared in ")?;
            let (_, rest) = rest.split_once(" s (")?;
            let (rate, rest) = rest.split_once("/s), then ")?;
            let (more, _) = rest.split_once(" more")?;
            let total = n.parse::<f64>().ok()? + more.parse::<f64>().ok()?;
            Some((rate.parse::<f64>().ok()?, total))
        })
        .with_context(|| format!("hashcheck fuzz printed no rate: {text}"))
}

fn flush(redis: &ServerProcess) -> Result<()> {
    let out = Command::new("redis-cli")
        .args(["-p", &redis.port().to_string(), "FLUSHALL"])
        .output()
        .context("running redis-cli")?;
    ensure!(out.status.success(), "redis-cli FLUSHALL failed");
    Ok(())
}
