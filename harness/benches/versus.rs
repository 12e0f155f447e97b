//! `cargo bench -p harness --bench versus`: `hashcheck serve` next to Redis 8.2.3 under the
//! same `redis-benchmark` runs. Goal (issue 13): serve reaches at least Redis's requests per
//! second with `-P 1` and with `-P 64`, and redis-benchmark prints no warning against it.
//!
//! Not a test: it prints figures and asserts nothing about speed. Each round runs, for
//! `-P 1` then `-P 64`, the same invocation against Redis and then serve:
//! - `-t ping,hset` (PING_INLINE, PING_MBULK, and HSET on one hash with 100,000 random
//!   fields), and
//! - `HGET myhash element:__rand_int__` (reads the fields HSET wrote).
//!
//! 50 clients, `-r 100000`. The table shows each rate's median over the rounds (default
//! 3, `HASHCHECK_BENCH_ROUNDS`), then serve's rate over Redis's: the median of each round's
//! ratio, and their lowest and highest. Requests per run: `HASHCHECK_BENCH_REQUESTS`
//! (default 100,000 at -P 1, ten times that at -P 64). The servers run back to back within
//! a round, Redis first in odd rounds and serve first in even ones, so a change in the
//! machine's load hits both alike and a round's ratio compares like with like; the load
//! average is printed before and after, since on a shared machine it moves the figures more
//! than anything measured here. Under the table, each server's CPU time per request, which
//! the load moves much less than the rates. Anything redis-benchmark prints that is not a
//! rate (such as "WARNING: Could not fetch server CONFIG") is shown under that.
//!
//! `HASHCHECK_BENCH_SERVE_BINARY` measures another build of serve the same way (an older
//! commit's, to compare).

use std::collections::BTreeMap;
use std::process::{Command, ExitCode, Stdio};

use anyhow::{ensure, Context, Result};
use hashcheck::process::{redis_8_2_binary, ServerProcess};

mod common;

const HGET: &str = "HGET myhash element:__rand_int__";

fn main() -> ExitCode {
    common::exit(run(), "bench")
}

/// Rates by (pipeline, test, server), one per round.
type Rates = BTreeMap<(u32, String, &'static str), Vec<f64>>;

fn run() -> Result<()> {
    let binary = redis_8_2_binary()
        .context("Redis 8.2.3 is not installed (run scripts/install-servers.sh)")?;
    let redis = ServerProcess::redis(&binary, &[]).context("starting Redis 8.2.3")?;
    let serve_binary = std::env::var("HASHCHECK_BENCH_SERVE_BINARY")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_hashcheck").to_string());
    let serve = ServerProcess::hashcheck(&serve_binary, &[]).context("starting hashcheck serve")?;
    let rounds: usize = env_number("HASHCHECK_BENCH_ROUNDS", 3);
    let base: u64 = env_number("HASHCHECK_BENCH_REQUESTS", 100_000);
    println!("serve versus Redis 8.2.3 under redis-benchmark");
    println!("  redis: {} on {}", binary.display(), redis.addr());
    println!("  serve: {serve_binary} on {}", serve.addr());
    println!("  load average before: {}", load_average());
    let mut rates = Rates::new();
    let mut remarks = Vec::new();
    // CPU seconds spent and requests served, by (pipeline, server).
    let mut cpu: BTreeMap<(u32, &str), (f64, u64)> = BTreeMap::new();
    for round in 0..rounds {
        for pipeline in [1u32, 64] {
            let requests = if pipeline == 1 { base } else { base * 10 };
            let mut order = [("redis", &redis), ("serve", &serve)];
            if round % 2 == 1 {
                order.reverse();
            }
            for (name, server) in order {
                for test in [&["-t", "ping,hset"][..], &[HGET][..]] {
                    let before = cpu_seconds(server.pid());
                    let (found, noise) = redis_benchmark(server, pipeline, requests, test)?;
                    if let (Some(a), Some(b)) = (before, cpu_seconds(server.pid())) {
                        let spent = cpu.entry((pipeline, name)).or_default();
                        spent.0 += b - a;
                        spent.1 += requests * found.len() as u64;
                    }
                    for (label, rate) in found {
                        rates.entry((pipeline, label, name)).or_default().push(rate);
                    }
                    remarks.extend(
                        noise
                            .into_iter()
                            .map(|l| format!("round {}, {name}, -P {pipeline}: {l}", round + 1)),
                    );
                }
            }
        }
    }
    println!("  load average after:  {}", load_average());
    println!();
    println!(
        "  {:<4} {:<34} {:>12} {:>12} {:>8} {:>12}",
        "-P", "test", "redis rps", "serve rps", "ratio", "range"
    );
    let tests: Vec<(u32, String)> = rates.keys().map(|(p, t, _)| (*p, t.clone())).collect();
    let mut shown = std::collections::BTreeSet::new();
    for (pipeline, test) in tests {
        if !shown.insert((pipeline, test.clone())) {
            continue;
        }
        let of = |who| {
            rates
                .get(&(pipeline, test.clone(), who))
                .cloned()
                .unwrap_or_default()
        };
        let (r, s) = (of("redis"), of("serve"));
        // Round by round: both rates of a round were measured under the same load.
        let ratios: Vec<f64> = r.iter().zip(&s).map(|(r, s)| s / r).collect();
        let low = ratios.iter().copied().fold(f64::INFINITY, f64::min);
        let high = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        println!(
            "  {pipeline:<4} {test:<34} {:>12.0} {:>12.0} {:>8.2} {:>12}",
            median(&r),
            median(&s),
            median(&ratios),
            format!("{low:.2}-{high:.2}"),
        );
    }
    println!();
    // What the load average moves least: the CPU each server spends on a request. On a
    // quiet machine with a core each for the server and redis-benchmark, the lower one
    // bounds the rate.
    println!("  CPU per request (user + system, all rounds and tests):");
    for pipeline in [1u32, 64] {
        let per = |who| {
            cpu.get(&(pipeline, who))
                .map(|&(secs, n)| secs * 1e6 / n as f64)
                .unwrap_or(f64::NAN)
        };
        let (r, s) = (per("redis"), per("serve"));
        println!(
            "    -P {pipeline:<3} redis {r:.2} us, serve {s:.2} us, serve/redis {:.2}",
            s / r
        );
    }
    println!();
    if remarks.is_empty() {
        println!("  redis-benchmark printed nothing but rates");
    } else {
        println!("  redis-benchmark also printed:");
        for r in remarks {
            println!("    {r}");
        }
    }
    Ok(())
}

/// One redis-benchmark run: each test's rate, and every other line it printed.
fn redis_benchmark(
    server: &ServerProcess,
    pipeline: u32,
    requests: u64,
    test: &[&str],
) -> Result<(Vec<(String, f64)>, Vec<String>)> {
    let tool = std::env::var("HASHCHECK_REDIS_BENCHMARK").unwrap_or("redis-benchmark".into());
    let mut cmd = Command::new(&tool);
    cmd.args(["-h", "127.0.0.1", "-p", &server.port().to_string()])
        .args(["-c", "50", "-r", "100000", "--csv"])
        .args(["-P", &pipeline.to_string(), "-n", &requests.to_string()]);
    // A custom command goes last, split into its words.
    for part in test {
        cmd.args(part.split(' '));
    }
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {tool} (install it with scripts/install-servers.sh)"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(out.status.success(), "{tool} failed: {stdout}{stderr}");
    let mut rates = Vec::new();
    let mut noise = Vec::new();
    // --csv: a header line, then `"TEST","<rps>",...` per test.
    for line in stdout.lines().chain(stderr.lines()) {
        let fields: Vec<&str> = line.split(',').map(|f| f.trim_matches('"')).collect();
        match (
            fields.first(),
            fields.get(1).and_then(|r| r.parse::<f64>().ok()),
        ) {
            (Some(name), Some(rate)) => rates.push((name.to_string(), rate)),
            (Some(&"test"), None) => {}
            _ if line.trim().is_empty() => {}
            _ => noise.push(line.trim().to_string()),
        }
    }
    ensure!(
        !rates.is_empty(),
        "{tool} printed no rate: {stdout}{stderr}"
    );
    Ok((rates, noise))
}

fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// CPU time (user + system) process `pid` has used so far, from /proc/<pid>/stat.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces:
    // utime and stime are the 14th and 15th fields of the line, in clock ticks.
    let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf only reads a system constant.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (per_second > 0).then(|| ticks as f64 / per_second as f64)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}
