//! The coverage of case files: each case runs on the embedded engine in each of its
//! protocols, and every command of a case that passed (so every step was checked) is
//! classified. The engine also says what each command's key held just before it ran, which
//! a reply alone cannot show (a missing key, an expired field not yet reclaimed).

use reference_engine::{Clock, Protocol, Reply};

use super::{CoverageMap, KeyBefore};
use crate::cases::format::CaseFile;
use crate::cases::runner::{run_case, Outcome, RunOptions, RunState};
use crate::targets::{ClockKind, EmbeddedTarget, ServerIdentity, Target, TargetError};

/// What running the cases for coverage found.
#[derive(Debug, Clone)]
pub struct CasesCoverage {
    pub map: CoverageMap,
    /// Cases run, per protocol.
    pub runs: usize,
    /// Cases that did not pass on the engine, as `file: case (protocol)`: their commands
    /// do not count.
    pub not_passed: Vec<String>,
}

/// Runs every case of `files` on the embedded engine, in each protocol it is for, and maps
/// what the cases that passed exercised.
pub fn cover(files: &[CaseFile]) -> CasesCoverage {
    let mut out = CasesCoverage {
        map: CoverageMap::new(),
        runs: 0,
        not_passed: Vec::new(),
    };
    let state = RunState::new();
    let options = RunOptions::default();
    for file in files {
        for (index, case) in file.cases.iter().enumerate() {
            for &protocol in &case.resp {
                let mut target = Recording::new(protocol);
                let report = run_case(&mut target, file, index, &state, &options);
                out.runs += 1;
                if report.outcome == Outcome::Pass {
                    out.map.absorb(&target.map);
                } else {
                    out.not_passed.push(format!(
                        "{}: {} ({protocol:?})",
                        file.path.display(),
                        case.name
                    ));
                }
            }
        }
    }
    out
}

/// The embedded engine, mapping every command it runs.
struct Recording {
    inner: EmbeddedTarget,
    map: CoverageMap,
}

impl Recording {
    fn new(protocol: Protocol) -> Self {
        Self {
            inner: EmbeddedTarget::new(protocol),
            map: CoverageMap::new(),
        }
    }

    fn key_before(&mut self, argv: &[Vec<u8>]) -> KeyBefore {
        let Some(key) = argv.get(1) else {
            return KeyBefore::Unknown;
        };
        let db = self.inner.db();
        let engine = self.inner.engine_mut();
        match engine.keyspace(db).get(key) {
            None => KeyBefore::Missing,
            Some(v) if v.type_name() == "hash" => KeyBefore::Hash {
                expired_fields: engine.has_expired_fields(db, key),
            },
            Some(_) => KeyBefore::Other,
        }
    }
}

impl Target for Recording {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn protocol(&self) -> Protocol {
        self.inner.protocol()
    }

    fn in_process(&self) -> bool {
        true
    }

    fn identity(&self) -> &ServerIdentity {
        self.inner.identity()
    }

    fn clock(&self) -> ClockKind {
        self.inner.clock()
    }

    fn call(&mut self, argv: &[Vec<u8>]) -> Result<Reply, TargetError> {
        let key = self.key_before(argv);
        let now = self.inner.manual_clock().now_ms();
        let protocol = self.inner.protocol();
        let reply = self.inner.call(argv)?;
        self.map.record(argv, &reply, protocol, now, key);
        Ok(reply)
    }

    fn advance_clock(&mut self, ms: u64) -> Result<(), TargetError> {
        self.inner.advance_clock(ms)
    }

    fn now_ms(&mut self) -> Result<i64, TargetError> {
        self.inner.now_ms()
    }
}
