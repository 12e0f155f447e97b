//! `cargo bench -p harness --bench fuzz`: how fast `hashcheck fuzz` compares commands, next
//! to how fast Redis 8.2.3 takes pipelined HSETs, on this machine and in one run.
//!
//! Not a test: it prints figures and asserts nothing about speed. It starts its own Redis
//! 8.2.3 (`HASHCHECK_REDIS_8_2` or `.servers/`), then measures:
//! - `redis-benchmark -P 64 -t hset` (1,000,000 requests, 100,000 random fields): the
//!   server's pipelined HSET rate;
//! - `hashcheck fuzz --commands all --seed 1` for `HASHCHECK_BENCH_FUZZ_SECS` (default 20)
//!   seconds in each protocol, against the same server: commands compared per second while
//!   the run generates (each one sent to Redis, answered by the engine, and compared); and
//!   once more with the plain field commands only (no TTLs, scans or random picks), to show
//!   how much the mix decides;
//! - the ratio of the two. The goal is at least 0.5.
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
    let hset = redis_benchmark(&redis)?;
    flush(&redis)?;
    let mut rates = Vec::new();
    for (resp, commands, label) in [
        ("2", "all", "all 32 commands"),
        ("3", "all", "all 32 commands"),
        ("2", PLAIN, "plain field commands"),
    ] {
        rates.push((resp, label, fuzz_rate(&redis, resp, commands, secs)?));
        flush(&redis)?;
    }
    println!("Throughput");
    println!("  {:<60}{:>12}", "", "per second");
    println!(
        "  {:<60}{:>12.0}",
        "redis 8.2.3, redis-benchmark -P 64 -c 50, HSET (requests)", hset
    );
    for (resp, label, rate) in &rates {
        println!(
            "  {:<60}{rate:>12.0}",
            format!("hashcheck fuzz, {label}, RESP{resp}, {secs} s (compared)")
        );
    }
    for (resp, label, rate) in &rates {
        let ratio = rate / hset;
        println!(
            "  ratio fuzz ({label}, RESP{resp}) / redis-benchmark: {ratio:.2}   goal >= {GOAL}: {}",
            if ratio >= GOAL { "met" } else { "NOT met" }
        );
    }
    Ok(())
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

/// Compared commands per second of a `hashcheck fuzz` run, as the run reports it.
fn fuzz_rate(redis: &ServerProcess, resp: &str, commands: &str, secs: u64) -> Result<f64> {
    let out_dir = std::env::temp_dir().join(format!("hashcheck-bench-fuzz-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_hashcheck"))
        .args([
            "fuzz",
            "--target",
            &redis.addr(),
            "--seed",
            "1",
            "--commands",
            commands,
        ])
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
    // "<n> commands compared in <t> s (<rate>/s), then ..."
    text.lines()
        .find_map(|line| {
            let (_, rest) = line.split_once(" commands compared in ")?;
            let (_, rest) = rest.split_once(" s (")?;
            rest.split_once("/s)")?.0.parse::<f64>().ok()
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
