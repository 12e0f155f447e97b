//! Differential tests against a live Redis 8.2.3: random command sequences go to the
//! reference engine and to Redis, and every pair of replies must agree.
//!
//! These need the real server. It is found through `$HASHCHECK_REDIS_8_2` (set by
//! scripts/test.sh) or `.servers/`; when it is missing the tests fail, they never skip.
//! `HASHCHECK_SEED` overrides the seeds, `HASHCHECK_OPS` the number of commands, so that
//! repeated runs can explore other sequences. Each test has the machine to itself
//! (`support::heavy`): it compares two servers in real time, and beside other work on a
//! small machine only the gap between the two would widen.

use std::time::{Duration, Instant};

use hashcheck::fuzz::driver::{self, DiffConfig, DiffReport, Reference};
use hashcheck::fuzz::gen::{GenConfig, Generator, Swarm, CLASSIC_COMMANDS, COMMANDS};
use hashcheck::process::ServerProcess;
use hashcheck::targets::{EmbeddedTarget, NetworkTarget};
use reference_engine::{ManualClock, Protocol, SystemClock};

use crate::support::{self, servers};

const TIMEOUT: Duration = Duration::from_secs(10);

fn connect(addr: &str, protocol: Protocol) -> NetworkTarget {
    NetworkTarget::connect(addr, Some(protocol), TIMEOUT).expect("connect")
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Freezes a server's background expiry (Redis's, or `hashcheck serve`'s), so that it
/// reclaims only lazily, like the embedded engine.
fn lazy_only(server: &ServerProcess) {
    let reply = servers::call(&server.addr(), &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    assert_eq!(reply, reference_engine::Reply::ok());
}

fn generator(
    seed: u64,
    protocol: Protocol,
    commands: &[&'static str],
    short_ttls: bool,
) -> Generator {
    let config = GenConfig {
        key_prefix: format!("hc:diff:{seed}:{}:", protocol.version()).into_bytes(),
        short_ttls,
        ..GenConfig::default()
    };
    Generator::new(seed, config, Swarm::all(commands))
}

/// Fails with every divergence rendered, or prints the run's figures.
fn check(label: &str, report: &DiffReport, started: Instant) {
    let mut text = String::new();
    for d in &report.divergences {
        let argv: Vec<String> = d
            .argv
            .iter()
            .map(|a| reference_engine::reply::quote(a))
            .collect();
        text.push_str(&format!(
            "\n#{} {}: {}\n--- expected (reference)\n{}\n+++ actual (Redis)\n{}\n",
            d.index,
            argv.join(" "),
            d.mismatch.reason,
            d.expected,
            d.actual
        ));
    }
    assert!(
        report.divergences.is_empty(),
        "{label}: {} divergences{text}",
        report.divergences.len()
    );
    let errors: u64 = report.per_command.values().map(|s| s.errors).sum();
    println!(
        "{label}: {} commands compared, 0 divergences, {} error replies, {} deadlines passed, \
         {} ms waiting, {:.1} s",
        report.compared,
        errors,
        report.deadlines_passed,
        report.waited_ms,
        started.elapsed().as_secs_f64()
    );
    for (name, stats) in &report.per_command {
        println!(
            "  {name:<14} {:>6} calls {:>6} errors",
            stats.calls, stats.errors
        );
    }
}

/// Runs generated commands through `hashcheck serve` (so the wire path is tested too) and
/// Redis in each protocol, and fails on any divergence.
fn through_serve(
    redis: &ServerProcess,
    label: &str,
    commands: &[&'static str],
    short_ttls: bool,
    seed: u64,
) {
    let serve = servers::serve(&[]);
    // As the Redis it is compared with: serve's replies are the expected ones, and with its
    // background cycle on they would depend on when it ran.
    lazy_only(&serve);
    let ops = env_u64("HASHCHECK_OPS", 10_000) as usize;
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let seed = env_u64("HASHCHECK_SEED", seed);
        let started = Instant::now();
        let mut reference = connect(&serve.addr(), protocol);
        let mut target = connect(&redis.addr(), protocol);
        let mut gen = generator(seed, protocol, commands, short_ttls);
        let config = DiffConfig {
            ops,
            ..DiffConfig::default()
        };
        let report = driver::run(
            Reference::Server(&mut reference),
            &mut target,
            &mut gen,
            &config,
        )
        .expect("run");
        check(
            &format!("{label}, RESP{}", protocol.version()),
            &report,
            started,
        );
        assert!(report.compared >= ops, "only {} compared", report.compared);
        if short_ttls {
            assert!(
                report.deadlines_passed > 0,
                "no field expired during the run"
            );
        }
    }
}

/// Issue: the 17 classic commands against Redis 8.2.3, 10,000 commands per protocol.
#[test]
fn classic_commands_through_serve_match_redis() {
    let _turn = support::heavy();
    through_serve(&servers::redis(), "classic", &CLASSIC_COMMANDS, false, 2);
}

/// Issue: all 28 commands, with fields really expiring during the run, against Redis 8.2.3
/// with background expiry frozen (lazy expiry only on both sides, so every reply is
/// determined).
#[test]
fn all_commands_with_expirations_through_serve_match_redis() {
    let _turn = support::heavy();
    let redis = servers::redis();
    lazy_only(&redis);
    through_serve(&redis, "all 28, lazy", &COMMANDS, true, 3);
}

/// The same against a Redis whose background expiry is ON, as on servers where DEBUG is
/// not allowed: the in-process model accepts both "reclaimed" and "not yet reclaimed"
/// wherever Redis's timing decides, and nothing else.
#[test]
fn all_commands_match_redis_with_background_expiry() {
    let _turn = support::heavy();
    let redis = servers::redis();
    let ops = env_u64("HASHCHECK_OPS", 10_000) as usize / 2;
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let seed = env_u64("HASHCHECK_SEED", 4);
        let started = Instant::now();
        let clock = ManualClock::new(reference_engine::Clock::now_ms(&SystemClock));
        let mut model = EmbeddedTarget::with_clock(protocol, clock, Some(seed));
        let mut target = connect(&redis.addr(), protocol);
        let mut gen = generator(seed, protocol, &COMMANDS, true);
        let config = DiffConfig {
            ops,
            ..DiffConfig::default()
        };
        let report =
            driver::run(Reference::Model(&mut model), &mut target, &mut gen, &config).expect("run");
        check(
            &format!("all 28, active expiry on, RESP{}", protocol.version()),
            &report,
            started,
        );
        assert!(
            report.deadlines_passed > 0,
            "no field expired during the run"
        );
    }
}
