//! What running a case gives: its outcome, its failures with their places, the replies it
//! observed (for blessing) and its step counts.

use reference_engine::{Protocol, Reply};

use crate::cases::format::Location;

/// What became of one case in one protocol.
#[derive(Debug, Clone)]
pub struct CaseReport {
    pub file: std::path::PathBuf,
    pub case: String,
    /// The hash command the case is about (see [`case_command`]).
    pub command: String,
    pub line: usize,
    pub protocol: Protocol,
    pub target: String,
    pub outcome: Outcome,
    pub steps: StepCounts,
    /// With `record_actuals`: per step, the reply and the time it was judged at.
    pub actuals: Vec<Option<Observed>>,
    /// Why the target cannot run this case, when it was skipped as unsupported.
    pub unsupported: Option<Unsupported>,
}

/// What a target lacks, for the capability report (and in JSON reports as `{"command":
/// "HGETDEL"}`, `{"version": {"need": .., "have": ..}}` or `{"protocol": ..}`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unsupported {
    /// The case needs a newer Redis than the target reports (`since:`).
    Version { need: String, have: String },
    /// The target replied `ERR unknown command` to this command (upper case).
    Command(String),
    /// The target does not speak the case's protocol: `RESP3 (HELLO 3 replied ...)`.
    Protocol(String),
    /// The target is a Redis Cluster and the case reaches past its one slot (the reason).
    Cluster(String),
}

/// A reply as the run saw it, for blessing.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    pub reply: Reply,
    pub now_ms: i64,
    /// Whether it matched the expectation (always true for steps without one).
    pub passed: bool,
}

/// How a case ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Pass,
    /// Some steps did not get the expected reply (the case ran to its end).
    Fail(Vec<Failure>),
    /// Not run, or stopped as unsupported; the reason says which.
    Skipped {
        reason: String,
    },
    /// The conversation with the target failed at `at`; `failures` are those seen before.
    Aborted {
        at: Location,
        command: String,
        error: String,
        failures: Vec<Failure>,
    },
}

impl Outcome {
    pub fn failures(&self) -> &[Failure] {
        match self {
            Outcome::Fail(f) | Outcome::Aborted { failures: f, .. } => f,
            _ => &[],
        }
    }
}

/// One step whose reply was not the expected one.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub at: Location,
    /// The command as the case writes it, times resolved, keys without the run's prefix.
    pub command: String,
    /// The command exactly as the case file writes it (`{unix_ms: 100}` left as such), for
    /// reports that must not change from one run to the next.
    pub written: String,
    pub expected: Reply,
    pub actual: Reply,
    pub reason: String,
    pub note: Option<String>,
}

/// Send steps by result. A step without `expect` that ran counts as passed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StepCounts {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl std::ops::AddAssign for StepCounts {
    fn add_assign(&mut self, other: Self) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
    }
}
