//! The `differential` fuzz target: a program runs against a live server and against the
//! engine as a model (`Reference::Model`), through the differential driver, which compares
//! every pair of replies under the policy Redis's promises allow. A divergence panics with
//! the commands and both replies.
//!
//! The server comes from `$REDIS_URL` (e.g. `redis://127.0.0.1:7270`); without it the
//! target does nothing ([`fuzz`] says so). Every input gets keys of its own,
//! `hc:fuzz:<pid>:<n>:k0..k3`, deleted afterwards, and the program is built for
//! [`Mode::Server`]: no deadline falls due during a run, no wait, no unknown command, no
//! dangerous HRANDFIELD count.

use std::sync::Mutex;
use std::time::Duration;

use reference_engine::{ManualClock, Protocol};

use super::engine::show;
use super::program::{Mode, Program, KEYS};
use crate::fuzz::driver::{self, DiffConfig, Reference};
use crate::targets::{EmbeddedTarget, NetworkTarget, Target, TargetError};

/// Whether the target ran, for the glue to report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ran,
    /// `$REDIS_URL` is not set.
    NoServer,
}

/// The message printed when `$REDIS_URL` is missing.
pub const NO_SERVER: &str = "differential fuzz target: REDIS_URL is not set; start a Redis 8.2.3 \
     on loopback and set REDIS_URL=redis://127.0.0.1:PORT (scripts/fuzz-ci.sh does both)";

static FUZZER: Mutex<Option<Fuzzer>> = Mutex::new(None);

/// The libFuzzer entry point: runs `data` against `$REDIS_URL`.
pub fn fuzz(data: &[u8]) -> Outcome {
    fuzz_at(std::env::var("REDIS_URL").ok(), data)
}

/// Runs `data` against the server at `url`, connecting on the first call.
fn fuzz_at(url: Option<String>, data: &[u8]) -> Outcome {
    let mut slot = FUZZER.lock().unwrap_or_else(|p| p.into_inner());
    if slot.is_none() {
        let Some(url) = url else {
            return Outcome::NoServer;
        };
        *slot = Some(Fuzzer::new(&url));
    }
    let fuzzer = slot.as_mut().expect("set above");
    fuzzer.run(&Program::from_bytes(data));
    Outcome::Ran
}

/// Connections to one server, reused across inputs.
pub struct Fuzzer {
    url: String,
    resp2: Option<NetworkTarget>,
    resp3: Option<NetworkTarget>,
    runs: u64,
    /// Runs given up because the client could not read a reply (see [`Fuzzer::run`]).
    pub unreadable: u64,
}

const TIMEOUT: Duration = Duration::from_secs(10);

impl Fuzzer {
    /// A fuzzer for the server at `url`; connections open on first use.
    pub fn new(url: &str) -> Self {
        Fuzzer {
            url: url.to_string(),
            resp2: None,
            resp3: None,
            runs: 0,
            unreadable: 0,
        }
    }

    /// The connection for `protocol`, opened if needed; panics if the server is gone.
    fn connection(&mut self, protocol: Protocol) -> &mut NetworkTarget {
        let slot = match protocol {
            Protocol::Resp2 => &mut self.resp2,
            Protocol::Resp3 => &mut self.resp3,
        };
        slot.get_or_insert_with(|| {
            NetworkTarget::connect(&self.url, Some(protocol), TIMEOUT)
                .unwrap_or_else(|e| panic!("cannot reach the server at {}: {e}", self.url))
        })
    }

    /// Runs `program`; panics on a divergence or a failed connection.
    ///
    /// One failure is not the engine's and is skipped: the client library the network
    /// target uses cannot read an error reply that holds bytes which are not UTF-8, and
    /// Redis echoes arguments raw in some errors (HSETEX's `unknown argument: \xff`). The
    /// connection is then opened afresh and the run's keys deleted.
    pub fn run(&mut self, program: &Program) {
        self.runs += 1;
        let prefix = format!("hc:fuzz:{}:{}:", std::process::id(), self.runs).into_bytes();
        let ops = program.ops(&prefix, Mode::Server);
        let protocol = if program.resp3 {
            Protocol::Resp3
        } else {
            Protocol::Resp2
        };
        let url = self.url.clone();
        let mut model = EmbeddedTarget::with_clock(protocol, ManualClock::starting_now(), Some(1));
        let config = DiffConfig {
            max_divergences: 1,
            ..DiffConfig::default()
        };
        let target = self.connection(protocol);
        let report = match driver::run_ops(Reference::Model(&mut model), target, ops, &config) {
            Ok(report) => report,
            Err(TargetError::Protocol { reason, .. }) if reason.contains("utf-8") => {
                if self.unreadable == 0 {
                    eprintln!("differential fuzz target: skipping inputs whose replies the client cannot read ({reason})");
                }
                self.unreadable += 1;
                match protocol {
                    Protocol::Resp2 => self.resp2 = None,
                    Protocol::Resp3 => self.resp3 = None,
                }
                let target = self.connection(protocol);
                cleanup(target, &prefix)
                    .unwrap_or_else(|e| panic!("cannot delete the run's keys at {url}: {e}"));
                return;
            }
            Err(e) => panic!("the server at {url} failed: {e}"),
        };
        if let Some(d) = report.divergences.first() {
            panic!(
                "divergence at command {} ({protocol:?}): {}\n  {}\n--- engine\n{}\n+++ server\n{}\nafter:\n{}",
                d.index,
                show(&d.argv),
                d.mismatch.reason,
                d.expected,
                d.actual,
                d.history
                    .iter()
                    .map(|argv| format!("  {}", show(argv)))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
        cleanup(self.connection(protocol), &prefix)
            .unwrap_or_else(|e| panic!("cannot delete the run's keys at {url}: {e}"));
    }
}

/// Deletes the run's keys (by name: never FLUSHDB on someone's server).
fn cleanup(target: &mut NetworkTarget, prefix: &[u8]) -> Result<(), TargetError> {
    let mut del = vec![b"DEL".to_vec()];
    for i in 0..KEYS {
        let mut key = prefix.to_vec();
        key.extend_from_slice(format!("k{i}").as_bytes());
        del.push(key);
    }
    target.call(&del).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::libfuzzer::test_n_times;
    use crate::process::{redis_8_2_binary, ServerProcess};

    #[test]
    fn random_inputs_agree_with_redis_8_2() {
        let binary = redis_8_2_binary().unwrap_or_else(|| {
            panic!("Redis 8.2.3 is not installed: run scripts/install-servers.sh (never skipped)")
        });
        let server = ServerProcess::redis(binary, &[]).expect("start Redis 8.2.3");
        let mut fuzzer = Fuzzer::new(&server.url());
        test_n_times(150, 2048, |data| fuzzer.run(&Program::from_bytes(data)));
        for seed in crate::fuzz::libfuzzer::seeds("differential") {
            fuzzer.run(&Program::from_bytes(&seed));
        }
        assert!(
            fuzzer.unreadable < 30,
            "{} of 150 runs could not be read",
            fuzzer.unreadable
        );
        // Every run deleted its keys.
        let mut t = NetworkTarget::connect(&server.url(), None, TIMEOUT).unwrap();
        assert_eq!(
            t.call(&[b"DBSIZE".to_vec()]).unwrap(),
            reference_engine::Reply::Integer(0)
        );
    }

    #[test]
    fn without_a_server_the_target_says_so() {
        assert_eq!(fuzz_at(None, b"anything"), Outcome::NoServer);
    }
}
