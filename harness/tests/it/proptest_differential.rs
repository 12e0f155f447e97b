//! Property: any sequence of generated commands gets the same replies from the engine (as
//! the differential driver's model) and from a live Redis 8.2.3, in either protocol.
//!
//! The commands are the fuzz targets' structured steps (`hashcheck::fuzz::libfuzzer::program`),
//! each decoded from bytes of its own seed, built for a server: safe (no dangerous
//! HRANDFIELD count, no unknown command, keys under the sequence's prefix) and decided
//! before the clocks' milliseconds matter (no deadline falls due during the run, and far
//! deadlines are hours apart, so GT/LT never compare two deadlines that are equal but for
//! when each server ran the command).
//!
//! When a sequence diverges, proptest shrinks it to the fewest commands that still
//! diverge by dropping steps (each step is independent of the others' bytes), and saves
//! the failing seed in `harness/proptest-regressions/proptest_differential.txt`, which is
//! committed, so the sequence is tried first on every later run. Plain proptest is enough
//! here: every step is valid to send in any state, so nothing needs the model-driven
//! preconditions proptest-state-machine would add.
//!
//! Redis 8.2.3 is found through `$HASHCHECK_REDIS_8_2` or `.servers/`; without it the test
//! fails, it never skips. `HASHCHECK_PROPTEST_CASES` sets the number of sequences (2000).

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arbitrary::{Arbitrary, Unstructured};
use hashcheck::fuzz::driver::{self, DiffConfig, Reference};
use hashcheck::fuzz::libfuzzer::program::{Mode, Program, Step, KEYS};
use hashcheck::targets::{EmbeddedTarget, NetworkTarget, Target, TargetError};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner};
use reference_engine::rng::Rng;
use reference_engine::{ManualClock, Protocol};

use crate::support::{self, servers};

const TIMEOUT: Duration = Duration::from_secs(10);
const REGRESSIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/proptest-regressions/proptest_differential.txt"
);

/// A sequence: one seed per step, and the protocol.
fn sequences() -> impl Strategy<Value = (Vec<u64>, bool)> {
    (
        proptest::collection::vec(any::<u64>(), 1..100),
        any::<bool>(),
    )
}

/// The step a seed stands for: decoded from 64 bytes of its own, so that dropping a step
/// (shrinking) leaves the others as they were.
fn step(seed: u64) -> Option<Step> {
    let mut rng = Rng::seeded(seed);
    let bytes: Vec<u8> = (0..64).map(|_| rng.next_u64() as u8).collect();
    Step::arbitrary(&mut Unstructured::new(&bytes)).ok()
}

/// Connections to the server, one per protocol, opened again after a failure (the network
/// target refuses every call once one failed).
struct Redis {
    addr: String,
    connections: [Option<NetworkTarget>; 2],
}

impl Redis {
    fn connection(&mut self, protocol: Protocol) -> &mut NetworkTarget {
        let slot = &mut self.connections[usize::from(protocol == Protocol::Resp3)];
        slot.get_or_insert_with(|| {
            NetworkTarget::connect(&self.addr, Some(protocol), TIMEOUT).expect("connect to Redis")
        })
    }

    fn forget(&mut self, protocol: Protocol) {
        self.connections[usize::from(protocol == Protocol::Resp3)] = None;
    }
}

/// Runs one sequence on fresh keys; a divergence is the test case's failure.
fn check(redis: &mut Redis, (seeds, resp3): &(Vec<u64>, bool)) -> Result<(), TestCaseError> {
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let run = RUNS.fetch_add(1, Ordering::Relaxed);
    let prefix = format!("hc:prop:{}:{run}:", std::process::id()).into_bytes();
    let program = Program {
        resp3: *resp3,
        steps: seeds.iter().filter_map(|&s| step(s)).collect(),
    };
    let ops = program.ops(&prefix, Mode::Server);
    let protocol = if *resp3 {
        Protocol::Resp3
    } else {
        Protocol::Resp2
    };
    let mut model = EmbeddedTarget::with_clock(protocol, ManualClock::starting_now(), Some(1));
    let diff = DiffConfig {
        max_divergences: 1,
        ..DiffConfig::default()
    };
    let result = driver::run_ops(
        Reference::Model(&mut model),
        redis.connection(protocol),
        ops,
        &diff,
    );
    if result.is_err() {
        redis.forget(protocol);
    }
    let mut del = vec![b"DEL".to_vec()];
    del.extend((0..KEYS).map(|i| {
        let mut key = prefix.clone();
        key.extend_from_slice(format!("k{i}").as_bytes());
        key
    }));
    redis
        .connection(protocol)
        .call(&del)
        .map_err(|e| TestCaseError::fail(format!("cannot delete the keys: {e}")))?;
    let report = match result {
        Ok(report) => report,
        // The client library cannot read an error reply that is not UTF-8 (Redis echoes
        // some arguments raw); such a sequence says nothing either way.
        Err(TargetError::Protocol { reason, .. }) if reason.contains("utf-8") => {
            return Err(TestCaseError::reject(reason));
        }
        Err(e) => return Err(TestCaseError::fail(format!("Redis failed: {e}"))),
    };
    match report.divergences.first() {
        None => Ok(()),
        Some(d) => {
            let show = |argv: &[Vec<u8>]| {
                argv.iter()
                    .map(|a| reference_engine::reply::quote(a))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let history: Vec<String> = d.history.iter().map(|a| show(a)).collect();
            Err(TestCaseError::fail(format!(
                "{protocol:?}: {}: {}\n--- engine\n{}\n+++ Redis 8.2.3\n{}\nafter (same key):\n  {}",
                show(&d.argv),
                d.mismatch.reason,
                d.expected,
                d.actual,
                history.join("\n  ")
            )))
        }
    }
}

#[test]
fn generated_sequences_agree_with_redis_8_2() {
    // Nothing in it depends on timing (no deadline falls due), so it may share the machine.
    let _turn = support::light();
    let server = servers::redis();
    // proptest takes a `Fn`; the connections are mutable state between its calls.
    let redis = RefCell::new(Redis {
        addr: server.addr(),
        connections: [None, None],
    });
    let cases = std::env::var("HASHCHECK_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(REGRESSIONS))),
        // Each shrinking step replays a sequence against Redis (tens of ms).
        max_shrink_iters: 2_000,
        ..Config::default()
    });
    let started = Instant::now();
    let result = runner.run(&sequences(), |sequence| {
        check(&mut redis.borrow_mut(), &sequence)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    println!(
        "{cases} sequences agreed with Redis 8.2.3 in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
