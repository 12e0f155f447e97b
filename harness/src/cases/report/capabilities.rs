//! What a target can do, per command and protocol: whether it supports the command at all,
//! and how its cases came out. A command the target does not know (`ERR unknown command`),
//! or that needs a newer Redis than the target is, is "unsupported": its cases are not
//! failures, and the report says so once per command instead of once per case.

use std::collections::BTreeMap;

use reference_engine::Protocol;
use serde::Serialize;

use crate::cases::baseline::{Status, Verdict};
use crate::cases::runner::Unsupported;

/// Case runs by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    /// Failed, covered by the baseline.
    pub known: usize,
    pub unsupported: usize,
    pub skipped: usize,
    pub aborted: usize,
}

impl Counts {
    pub fn add(&mut self, status: Status) {
        match status {
            Status::Pass => self.passed += 1,
            Status::Fail => self.failed += 1,
            Status::Known => self.known += 1,
            Status::Unsupported => self.unsupported += 1,
            Status::Skipped => self.skipped += 1,
            Status::Aborted => self.aborted += 1,
        }
    }

    /// Case runs that reached the target and were judged.
    pub fn ran(&self) -> usize {
        self.passed + self.failed + self.known + self.aborted
    }

    pub fn merge(&mut self, other: &Counts) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.known += other.known;
        self.unsupported += other.unsupported;
        self.skipped += other.skipped;
        self.aborted += other.aborted;
    }

    /// `8 passed, 2 failed, 1 skipped`: the non-zero counts.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = [
            (self.passed, "passed"),
            (self.failed, "failed"),
            (self.known, "known"),
            (self.aborted, "aborted"),
            (self.unsupported, "unsupported"),
            (self.skipped, "skipped"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        if parts.is_empty() {
            "no cases".to_string()
        } else {
            parts.join(", ")
        }
    }
}

/// Whether a target supports a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Support {
    /// Some of its cases ran.
    Yes,
    /// It does not: the reason says how that showed (unknown command, version).
    No(String),
    /// None of its cases ran, for reasons that say nothing about support (DEBUG not
    /// allowed, filtered out).
    Untested,
}

impl Support {
    pub fn name(&self) -> &'static str {
        match self {
            Support::Yes => "yes",
            Support::No(_) => "no",
            Support::Untested => "untested",
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Support::No(r) => Some(r),
            _ => None,
        }
    }
}

/// One command in one protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandRow {
    pub command: String,
    pub protocol: Protocol,
    pub support: Support,
    pub counts: Counts,
}

/// One row per command and protocol that has cases, sorted by command, then protocol.
pub fn commands(verdict: &Verdict) -> Vec<CommandRow> {
    let mut groups: BTreeMap<(String, u8), (Counts, Vec<usize>)> = BTreeMap::new();
    for (i, c) in verdict.suite.cases.iter().enumerate() {
        let key = (
            c.command.clone(),
            crate::cases::baseline::protocol_number(c.protocol),
        );
        let group = groups.entry(key).or_default();
        group.0.add(verdict.status(i));
        group.1.push(i);
    }
    groups
        .into_iter()
        .map(|((command, _), (counts, cases))| {
            let reports: Vec<_> = cases.iter().map(|&i| &verdict.suite.cases[i]).collect();
            let unknown_itself = reports.iter().any(|c| {
                matches!(&c.unsupported, Some(Unsupported::Command(name)) if name.eq_ignore_ascii_case(&command))
            });
            let support = if unknown_itself {
                Support::No("unknown command".to_string())
            } else if counts.ran() > 0 {
                Support::Yes
            } else if let Some(why) = reports.iter().find_map(|c| c.unsupported.as_ref()) {
                Support::No(match why {
                    Unsupported::Version { need, have } => {
                        format!("needs Redis {need}, target has {have}")
                    }
                    Unsupported::Command(other) => format!("its cases need {other}"),
                    Unsupported::Protocol(what) => format!("no {what}"),
                    Unsupported::Cluster(why) => why.clone(),
                })
            } else {
                Support::Untested
            };
            CommandRow {
                command,
                protocol: reports[0].protocol,
                support,
                counts,
            }
        })
        .collect()
}

/// The rows as a text table: one line per command, one column per protocol.
pub fn table(rows: &[CommandRow]) -> String {
    let mut by_command: BTreeMap<&str, Vec<&CommandRow>> = BTreeMap::new();
    for row in rows {
        by_command.entry(&row.command).or_default().push(row);
    }
    let cell = |row: &CommandRow| match &row.support {
        Support::No(reason) => format!("unsupported ({reason})"),
        Support::Yes | Support::Untested => row.counts.describe(),
    };
    let width = by_command.keys().map(|c| c.len()).max().unwrap_or(7).max(7);
    let mut out = String::new();
    for (command, rows) in by_command {
        let cells: Vec<String> = rows
            .iter()
            .map(|r| format!("{}: {}", protocol_name(r.protocol), cell(r)))
            .collect();
        out.push_str(&format!("  {command:<width$}  {}\n", cells.join("; ")));
    }
    out
}

pub fn protocol_name(p: Protocol) -> &'static str {
    match p {
        Protocol::Resp2 => "RESP2",
        Protocol::Resp3 => "RESP3",
    }
}
