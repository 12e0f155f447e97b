//! `cargo bench -p harness --bench fuzz`: how fast `hashcheck fuzz` compares commands, next
//! to how fast Redis 8.2.3 takes pipelined HSETs, on this machine and in one run.
//!
//! Not a test: it prints figures and asserts nothing about speed. It starts its own Redis
//! 8.2.3 (`HASHCHECK_REDIS_8_2` or `.servers/`), then measures, each row between two runs of
//! `redis-benchmark -P 64 -t hset` (1,000,000 requests, 100,000 random fields) whose mean is
//! the row's denominator:
//! - `hashcheck fuzz --commands all --seed 1` for `HASHCHECK_BENCH_FUZZ_SECS` (default 20)
//!   seconds in each protocol, with one lane and with two (`--jobs 2`): commands compared
//!   per second while the run generates (each one sent to Redis, answered by the engine, and
//!   compared); and again with the plain field commands only (no TTLs, scans or random
//!   picks), to show how much the mix decides. The ratio's goal is at least 0.5;
//! - with each, the server's own CPU time per command (INFO cpu); hashcheck's own CPU time
//!   per compared command (getrusage of the child: the figure to compare across commits);
//!   and the ratio the server's time alone would allow if the fuzzer cost nothing and the
//!   server had a core to itself;
//! - the same mix without the fuzzer: 1,000,000 of the generator's commands, encoded in
//!   advance and streamed by `redis-cli --pipe`, which only counts replies. That is the
//!   fastest any client could have Redis run this mix here: the ceiling of the ratio;
//! - the full mix again with the server on CPU 0 and the fuzzer alone on CPU 1 (`taskset`):
//!   what one core of fuzzer compares, and so how many cores the goal would take. With two
//!   lanes (the rows issue 14's goal was set on) and with four (which keep that core busy;
//!   two leave it idle about a sixth of the time). Under the table, each pinned row over
//!   the --pipe row of the same mix and protocol (issue 14's goal: at least 0.5), with how
//!   busy the fuzzer's core was;
//! - with each fuzz row, how long its lanes slept waiting for deadlines to pass: a mix whose
//!   commands are held shows it there, not in its CPU time.
//!
//! The fuzzer and redis-benchmark each share the machine with the server the same way (one
//! client process, one server), so the ratio says how close the fuzzer comes to the rate at
//! which Redis can be fed at all.

use std::io::Write;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, ensure, Context, Result};
use hashcheck::fuzz::gen::{Generator, Swarm, COMMANDS};
use hashcheck::process::{redis_8_2_binary, ServerProcess};
use reference_engine::resp::encode_request_into;

mod common;

const GOAL: f64 = 0.5;
/// The commands without TTLs, scans, random picks or floats.
const PLAIN: &str =
    "HSET,HMSET,HSETNX,HGET,HMGET,HLEN,HEXISTS,HSTRLEN,HDEL,HINCRBY,DEL,EXISTS,TYPE";

fn main() -> ExitCode {
    common::exit(run(), "bench")
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
    println!(
        "  all commands: the generator's {} ({})",
        COMMANDS.len(),
        COMMANDS.join(",")
    );
    println!();
    // Each rate is set against redis-benchmark run just before and just after it: on this
    // small shared machine one HSET reading was seen anywhere from 0.75M to 1.3M/s within
    // the hour, so a reading taken minutes away can move a ratio by half.
    let plain: Vec<&'static str> = PLAIN.split(',').collect();
    let mut rows: Vec<Row> = Vec::new();
    for (resp, commands, label, jobs) in [
        ("2", "all", "all commands", 1),
        ("3", "all", "all commands", 1),
        ("2", "all", "all commands", 2),
        ("3", "all", "all commands", 2),
        ("2", PLAIN, "plain field commands", 1),
        ("2", PLAIN, "plain field commands", 2),
    ] {
        rows.push(measure(&redis, Kind::Fuzz, (label, resp), || {
            let busy_before = redis_cpu(&redis)?;
            let run = fuzz_rate(&redis, resp, commands, jobs, secs, None)?;
            let busy = redis_cpu(&redis)? - busy_before;
            let what = format!("fuzz, {label}, RESP{resp}, --jobs {jobs}, {secs} s");
            Ok(Reading::fuzz(what, run, busy))
        })?);
    }
    for (resp, commands, label) in [
        ("2", &COMMANDS[..], "all commands"),
        ("3", &COMMANDS[..], "all commands"),
        ("2", &plain[..], "plain field commands"),
    ] {
        rows.push(measure(&redis, Kind::Pipe, (label, resp), || {
            let (rate, redis_s) = pipe_rate(&redis, resp, commands)?;
            Ok(Reading {
                what: format!("--pipe, {label}, RESP{resp}, 1M commands"),
                rate,
                redis_s,
                fuzz_s: None,
                slept_s: None,
            })
        })?);
    }
    // Last, as it pins the server: one core for Redis, one for the fuzzer. The rate is
    // what one core of fuzzer gives, which tells how many cores the goal would take. Two
    // lanes, so that one lane computes while the other waits for its batch, are the rows
    // the goal was set on; they leave the fuzzer's core idle about a sixth of the time (a
    // lane alone waits for Redis nearly half of it), so four lanes, which keep the core
    // busy, show what the fuzzer's cost per command allows.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pinned = cores >= 2 && pin(&redis, 0).is_ok();
    if pinned {
        for jobs in [2, 4] {
            for resp in ["2", "3"] {
                rows.push(measure(
                    &redis,
                    Kind::Pinned,
                    ("all commands", resp),
                    || {
                        let busy_before = redis_cpu(&redis)?;
                        let run = fuzz_rate(&redis, resp, "all", jobs, secs, Some(1))?;
                        let busy = redis_cpu(&redis)? - busy_before;
                        let what =
                            format!("pinned, all commands, RESP{resp}, --jobs {jobs}, {secs} s");
                        Ok(Reading::fuzz(what, run, busy))
                    },
                )?);
            }
        }
    }
    println!("Throughput, each against redis-benchmark -P 64 -c 50 HSET just before and after it");
    println!(
        "  {:<50}{:>10}{:>11}{:>7}{:>9}{:>8}{:>9}{:>8}",
        "", "per second", "HSET/s", "ratio", "redis us", "bound", "fuzz us", "slept s"
    );
    for row in &rows {
        let ratio = row.rate / row.hset;
        let bound = match row.kind {
            // If the fuzzer cost nothing, the server's own time per command would still
            // cap the rate: one core's worth of that, as a ratio to HSET.
            Kind::Fuzz => format!("{:.2}", 1.0 / row.redis_s.max(1e-12) / row.hset),
            Kind::Pipe => String::new(),
            Kind::Pinned => format!("{:.1}c", GOAL * row.hset / row.rate),
        };
        let fuzz_us = row
            .fuzz_s
            .map_or(String::new(), |s| format!("{:.2}", s * 1e6));
        let slept = row.slept_s.map_or(String::new(), |s| format!("{s:.1}"));
        println!(
            "  {:<50}{:>10.0}{:>11.0}{ratio:>7.2}{:>9.2}{bound:>8}{fuzz_us:>9}{slept:>8}",
            row.what,
            row.rate,
            row.hset,
            row.redis_s * 1e6
        );
    }
    if !pinned {
        println!("  (pinned rows skipped: they need 2 cores and taskset)");
    }
    println!();
    // The goal as issue 14 states it: one core of fuzzer (the pinned rows) against the
    // rate Redis takes the same mix at when streamed (the --pipe row of that protocol).
    // Both are commands per second of the same generator's mix, so no HSET reading enters.
    for row in rows.iter().filter(|r| r.kind == Kind::Pinned) {
        let pipe = rows
            .iter()
            .find(|p| p.kind == Kind::Pipe && p.mix == row.mix && p.resp == row.resp);
        if let Some(pipe) = pipe {
            let ratio = row.rate / pipe.rate;
            // CPU seconds of fuzzer per second of the run: how busy its one core was.
            let busy = row.fuzz_s.unwrap_or(0.0) * row.rate;
            println!(
                "  {} / --pipe: {:.0} / {:.0} = {ratio:.2}   goal >= {GOAL}: {}   (core busy {:.0}%)",
                row.what,
                row.rate,
                pipe.rate,
                if ratio >= GOAL { "met" } else { "NOT met" },
                busy * 100.0
            );
        }
    }
    for row in rows.iter().filter(|r| r.kind == Kind::Fuzz) {
        let ratio = row.rate / row.hset;
        println!(
            "  ratio {}: {ratio:.2}   goal >= {GOAL}: {}",
            row.what,
            if ratio >= GOAL { "met" } else { "NOT met" }
        );
    }
    println!();
    println!("  HSET/s: the mean of the redis-benchmark runs just before and after the row.");
    println!("  redis us: the server's CPU time per command in that row (INFO cpu).");
    println!("  fuzz us: hashcheck's own CPU time per compared command (getrusage), the");
    println!("    figure to compare across commits: it moves far less with load than a rate.");
    println!("  bound, fuzz rows: the ratio the row could reach if the fuzzer cost nothing and");
    println!("    the server had one core to itself, i.e. what the mix allows at that pace.");
    println!("  slept s: seconds the lanes slept, together, for deadlines to pass (commands");
    println!("    held on keys near one, and the drain at the end): time spent not comparing.");
    println!("  --pipe rows: the same mix with no fuzzer, the fastest any client gets it run.");
    println!("  bound, pinned rows (server on CPU 0, fuzzer alone on CPU 1): how many such");
    println!("    cores the fuzzer would need for the goal, if lanes scale with cores and the");
    println!("    server keeps up (see the --pipe rows).");
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Fuzz,
    Pipe,
    Pinned,
}

struct Row {
    kind: Kind,
    what: String,
    /// The commands ("all" or the plain ones) and the protocol, to pair a pinned row with
    /// the --pipe row of the same mix.
    mix: &'static str,
    resp: &'static str,
    rate: f64,
    /// redis-benchmark's HSET rate around this row.
    hset: f64,
    /// The server's CPU seconds per command.
    redis_s: f64,
    /// The fuzzer's own CPU seconds per compared command (fuzz rows): the figure to compare
    /// across commits, as it moves far less with the machine's load than a rate does.
    fuzz_s: Option<f64>,
    /// Seconds the fuzzer's lanes slept waiting for deadlines (fuzz rows).
    slept_s: Option<f64>,
}

/// What one row's run measured.
struct Reading {
    what: String,
    rate: f64,
    redis_s: f64,
    fuzz_s: Option<f64>,
    slept_s: Option<f64>,
}

impl Reading {
    /// A fuzz run's reading, with `busy` the server's CPU seconds during it.
    fn fuzz(what: String, run: FuzzRun, busy: f64) -> Self {
        let compared = run.compared.max(1.0);
        Reading {
            what,
            rate: run.rate,
            redis_s: busy / compared,
            fuzz_s: Some(run.cpu_s / compared),
            slept_s: Some(run.slept_s),
        }
    }
}

/// Runs `run` (which gives a label, a rate and the server's CPU seconds per command)
/// between two redis-benchmark runs.
fn measure(
    redis: &ServerProcess,
    kind: Kind,
    (mix, resp): (&'static str, &'static str),
    run: impl FnOnce() -> Result<Reading>,
) -> Result<Row> {
    let before = redis_benchmark(redis)?;
    flush(redis)?;
    let Reading {
        what,
        rate,
        redis_s,
        fuzz_s,
        slept_s,
    } = run()?;
    flush(redis)?;
    let after = redis_benchmark(redis)?;
    flush(redis)?;
    Ok(Row {
        kind,
        what,
        mix,
        resp,
        rate,
        hset: (before + after) / 2.0,
        redis_s,
        fuzz_s,
        slept_s,
    })
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

/// Keeps the server on one CPU.
fn pin(redis: &ServerProcess, cpu: usize) -> Result<()> {
    let out = Command::new("taskset")
        .args(["-pc", &cpu.to_string(), &redis.pid().to_string()])
        .output()
        .context("running taskset")?;
    ensure!(out.status.success(), "taskset failed");
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

/// Commands per second Redis takes of the fuzzer's own mix when fed by the cheapest client
/// there is: the generator's commands (seed 1, the fuzz run's settings, deadlines all far),
/// encoded in advance and streamed by `redis-cli --pipe`, which only counts the replies.
/// No fuzzer that also has to compute and compare every reply can beat this rate, so it is
/// the mix's own ceiling, measured rather than estimated. Returns the rate and the server's
/// CPU time per command.
fn pipe_rate(redis: &ServerProcess, resp: &str, commands: &[&'static str]) -> Result<(f64, f64)> {
    const OPS: usize = 1_000_000;
    let config = hashcheck::fuzz::campaign::gen_config(b"hc:bench:pipe:".to_vec(), None);
    let mut generator = Generator::new(1, config, Swarm::all(commands));
    generator.allow_soon(false);
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() as i64;
    let mut stream = Vec::with_capacity(OPS * 80);
    if resp == "3" {
        encode_request_into(&mut stream, &[&b"HELLO"[..], b"3"]);
    }
    for _ in 0..OPS {
        encode_request_into(&mut stream, &generator.next_op().resolve(now));
    }
    let busy_before = redis_cpu(redis)?;
    let started = Instant::now();
    let mut child = Command::new("redis-cli")
        .args(["-p", &redis.port().to_string(), "--pipe"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running redis-cli --pipe")?;
    let mut stdin = child.stdin.take().context("redis-cli stdin")?;
    let writer = std::thread::spawn(move || stdin.write_all(&stream));
    let out = child.wait_with_output()?;
    let elapsed = started.elapsed().as_secs_f64();
    writer.join().expect("writer thread")?;
    let busy = redis_cpu(redis)? - busy_before;
    let text = String::from_utf8_lossy(&out.stdout);
    // "errors: <e>, replies: <r>"
    let replies: f64 = text
        .rsplit_once("replies: ")
        .and_then(|(_, r)| r.trim().parse().ok())
        .with_context(|| format!("redis-cli --pipe printed no reply count: {text}"))?;
    let sent = OPS as f64 + if resp == "3" { 1.0 } else { 0.0 };
    ensure!(
        replies == sent,
        "redis-cli --pipe got {replies} replies for {sent} commands"
    );
    Ok((OPS as f64 / elapsed, busy / OPS as f64))
}

/// What a `hashcheck fuzz` run reports, and the CPU time it used.
struct FuzzRun {
    /// Compared commands per second.
    rate: f64,
    /// Commands compared in all.
    compared: f64,
    /// The fuzzer's user + system CPU seconds.
    cpu_s: f64,
    /// Seconds its lanes slept, all together, waiting for deadlines to pass (held
    /// commands, and the final drain).
    slept_s: f64,
}

/// The user + system CPU seconds of this process's children that have been waited for.
fn children_cpu() -> f64 {
    // SAFETY: getrusage writes into the zeroed struct it is given and reads nothing else.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// Runs `hashcheck fuzz` against `redis`. With `cpu`, the fuzzer runs on that CPU alone
/// (`taskset`).
fn fuzz_rate(
    redis: &ServerProcess,
    resp: &str,
    commands: &str,
    jobs: u32,
    secs: u64,
    cpu: Option<usize>,
) -> Result<FuzzRun> {
    let cpu_before = children_cpu();
    let out_dir = std::env::temp_dir().join(format!("hashcheck-bench-fuzz-{}", std::process::id()));
    let hashcheck = env!("CARGO_BIN_EXE_hashcheck");
    let mut command = match cpu {
        Some(cpu) => {
            let mut c = Command::new("taskset");
            c.args(["-c", &cpu.to_string(), hashcheck]);
            c
        }
        None => Command::new(hashcheck),
    };
    let out = command
        .args(["fuzz", "--target", &redis.addr(), "--seed", "1"])
        .args(["--commands", commands, "--jobs", &jobs.to_string()])
        .args(["--resp", resp, "--duration", &format!("{secs}s")])
        .arg("--out")
        .arg(&out_dir)
        .stdin(Stdio::null())
        .output()
        .context("running hashcheck fuzz")?;
    let cpu_s = children_cpu() - cpu_before;
    let _ = std::fs::remove_dir_all(&out_dir);
    let text = String::from_utf8_lossy(&out.stdout);
    // Exit 1 is a run that found divergences: its rate is measured all the same (they
    // are said under the table), as is any row's. Anything else did not run.
    ensure!(
        matches!(out.status.code(), Some(0 | 1)),
        "hashcheck fuzz exited with {}: {text}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.code() == Some(1) {
        let found = text.lines().find(|l| l.contains(" divergences of "));
        eprintln!(
            "  ({commands} RESP{resp}: {})",
            found.unwrap_or("divergences").trim()
        );
    }
    // "<n> commands compared in <t> s (<rate>/s), then <m> more in ..."
    text.lines()
        .find_map(|line| {
            let (n, rest) = line.split_once(" commands compared in ")?;
            let (_, rest) = rest.split_once(" s (")?;
            let (rate, rest) = rest.split_once("/s), then ")?;
            let (more, _) = rest.split_once(" more")?;
            let total = n.parse::<f64>().ok()? + more.parse::<f64>().ok()?;
            let (before, _) = line.split_once(" ms slept")?;
            let slept_ms: f64 = before.rsplit(' ').next()?.parse().ok()?;
            Some(FuzzRun {
                rate: rate.parse::<f64>().ok()?,
                compared: total,
                cpu_s,
                slept_s: slept_ms / 1e3,
            })
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
