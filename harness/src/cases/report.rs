//! Reports for people: each failure as `file:line: COMMAND args` followed by a diff of the
//! expected and actual replies in redis-cli's rendering, then skipped cases grouped by
//! reason, then one summary line.
//!
//! Colour is a [`Style`] chosen by the caller: on only for a terminal and when `NO_COLOR`
//! is unset, so logs and CI output stay plain.
//!
//! Machine-readable forms of the same run: [`json`] (a documented schema), [`junit`] (JUnit
//! XML for CI servers) and [`markdown`] (a command x target matrix); [`capabilities`] sums a
//! run up per command and protocol for all of them.

pub mod capabilities;
pub mod json;
pub mod junit;
pub mod markdown;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::Path;

use reference_engine::Protocol;
use similar::{ChangeTag, TextDiff};

use crate::cases::baseline::{Status, Verdict};
use crate::cases::runner::suite::{Cleanup, Stop, SuiteReport};
use crate::cases::runner::{CaseReport, Failure, Outcome, Unsupported};

/// Whether to use ANSI colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// Colour for a terminal, unless `NO_COLOR` is set (to anything non-empty).
    pub fn for_stream(stream: &impl IsTerminal) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self {
            color: stream.is_terminal() && !no_color,
        }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }
    fn red(self, text: &str) -> String {
        self.paint("31", text)
    }
    fn green(self, text: &str) -> String {
        self.paint("32", text)
    }
    fn yellow(self, text: &str) -> String {
        self.paint("33", text)
    }
}

fn protocol_name(p: Protocol) -> &'static str {
    match p {
        Protocol::Resp2 => "RESP2",
        Protocol::Resp3 => "RESP3",
    }
}

fn relative(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// One failed step: where, what was sent, why, and the diff.
pub fn failure(f: &Failure, case: &CaseReport, base: &Path, style: Style) -> String {
    let mut out = String::new();
    let loc = format!("{}:{}", relative(&f.at.file, base), f.at.line);
    out.push_str(&style.bold(&format!("{loc}: {}", f.command)));
    out.push('\n');
    out.push_str(&format!(
        "  case {:?}, {} on {}: {}\n",
        case.case,
        protocol_name(case.protocol),
        case.target,
        f.reason
    ));
    if let Some(note) = &f.note {
        out.push_str(&format!("  note: {note}\n"));
    }
    out.push_str(&diff(&f.expected.to_string(), &f.actual.to_string(), style));
    out
}

/// A `-expected` / `+actual` line diff, indented.
pub fn diff(expected: &str, actual: &str, style: Style) -> String {
    let expected = format!("{expected}\n");
    let actual = format!("{actual}\n");
    let mut out = format!(
        "  {}\n  {}\n",
        style.red("-expected"),
        style.green("+actual")
    );
    for change in TextDiff::from_lines(&expected, &actual).iter_all_changes() {
        let line = change.value().trim_end_matches('\n');
        let text = match change.tag() {
            ChangeTag::Delete => style.red(&format!("-{line}")),
            ChangeTag::Insert => style.green(&format!("+{line}")),
            ChangeTag::Equal => format!(" {line}"),
        };
        out.push_str("  ");
        out.push_str(&text);
        out.push('\n');
    }
    out
}

/// Everything to print about one case that did not pass (empty for a pass or a skip).
pub fn case(report: &CaseReport, base: &Path, style: Style) -> String {
    let mut out = String::new();
    for f in report.outcome.failures() {
        out.push_str(&failure(f, report, base, style));
        out.push('\n');
    }
    if let Outcome::Aborted {
        at, command, error, ..
    } = &report.outcome
    {
        out.push_str(&style.bold(&format!(
            "{}:{}: {command}",
            relative(&at.file, base),
            at.line
        )));
        out.push('\n');
        out.push_str(&format!(
            "  case {:?}, {}: {} {error}; the case stopped here\n\n",
            report.case,
            protocol_name(report.protocol),
            style.red("target failed:"),
        ));
    }
    out
}

/// The whole report: failures, skips grouped by reason, and the summary line.
pub fn suite(report: &SuiteReport, base: &Path, style: Style) -> String {
    gate(&Verdict::plain(report), base, style)
}

/// The whole report of a run judged against a baseline (or none): failures (known ones in one
/// line each), skips grouped by reason, the command table, what the baseline no longer needs,
/// why the run stopped early, the cleanup, and the summary line.
pub fn gate(verdict: &Verdict, base: &Path, style: Style) -> String {
    let report = verdict.suite;
    let mut out = String::new();
    for (i, c) in report.cases.iter().enumerate() {
        match (verdict.status(i), verdict.known[i]) {
            (Status::Known, Some(entry)) => {
                let link = entry
                    .link
                    .as_deref()
                    .map(|l| format!(" <{l}>"))
                    .unwrap_or_default();
                out.push_str(&style.yellow(&format!(
                    "known difference: {}:{} {:?} ({}): {}{link}",
                    relative(&c.file, base),
                    c.line,
                    c.case,
                    protocol_name(c.protocol),
                    entry.reason
                )));
                out.push('\n');
            }
            _ => out.push_str(&case(c, base, style)),
        }
    }
    let mut skipped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for c in &report.cases {
        if let Outcome::Skipped { reason } = &c.outcome {
            // One group per missing command, not one per step text that showed it.
            let key = match &c.unsupported {
                Some(Unsupported::Command(name)) => {
                    format!("unsupported: the target does not know {name}")
                }
                _ => reason.clone(),
            };
            skipped.entry(key).or_default().push(format!(
                "{}:{} ({})",
                relative(&c.file, base),
                c.line,
                protocol_name(c.protocol)
            ));
        }
    }
    for (reason, cases) in &skipped {
        let shown: Vec<&str> = cases.iter().take(3).map(String::as_str).collect();
        let more = if cases.len() > 3 {
            format!(", and {} more", cases.len() - 3)
        } else {
            String::new()
        };
        out.push_str(&style.yellow(&format!("skipped {}: {reason}", cases.len())));
        out.push_str(&format!(" [{}{more}]\n", shown.join(", ")));
    }
    if !report.cases.is_empty() {
        out.push_str(&format!(
            "commands on {} ({}), details {}:\n",
            report.target,
            report.identity,
            report.details.name()
        ));
        out.push_str(&capabilities::table(&capabilities::commands(verdict)));
    }
    if let Some(path) = verdict.baseline {
        let known = verdict.known.iter().filter(|k| k.is_some()).count();
        out.push_str(&format!(
            "baseline {}: {known} failing case runs are known differences\n",
            path.display()
        ));
        for entry in &verdict.fixed {
            out.push_str(&style.green(&format!(
                "baseline entry now passes, remove it: {} ({})",
                entry.label(),
                entry.reason
            )));
            out.push('\n');
        }
    }
    match report.stop {
        Some(Stop::FailFast) => {
            out.push_str("stopped after the first failing case (--fail-fast)\n");
        }
        Some(Stop::TargetFailed) => out.push_str(&style.red(&format!(
            "stopped: the target failed (see above); {} case runs were not started\n",
            report.not_run
        ))),
        Some(Stop::Interrupted) => out.push_str(&style.red(&format!(
            "stopped: interrupted; {} case runs were not started\n",
            report.not_run
        ))),
        None if report.stopped_early => {
            out.push_str("stopped after the first failing case (--fail-fast)\n");
        }
        None => {}
    }
    match &report.cleanup {
        Cleanup::Clean => {}
        Cleanup::Swept { keys, existed } => out.push_str(&format!(
            "cleanup: deleted the keys of cases that could not ({existed} of {keys} still existed)\n"
        )),
        Cleanup::Failed {
            keys,
            prefix,
            error,
        } => out.push_str(&style.red(&format!(
            "cleanup failed: {keys} keys under {prefix}* may remain ({error})\n"
        ))),
    }
    out.push_str(&summary_of(verdict, style));
    out.push('\n');
    out
}

/// `cases: 120 passed, 2 failed, 3 skipped; steps: 900 passed, 2 failed, 9 skipped (...)`
pub fn summary(report: &SuiteReport, style: Style) -> String {
    summary_of(&Verdict::plain(report), style)
}

fn summary_of(verdict: &Verdict, style: Style) -> String {
    let report = verdict.suite;
    let mut counts = capabilities::Counts::default();
    for i in 0..report.cases.len() {
        counts.add(verdict.status(i));
    }
    let steps = report.steps();
    let aborted = if counts.aborted > 0 {
        format!(", {} aborted", counts.aborted)
    } else {
        String::new()
    };
    let known = if counts.known > 0 {
        format!(", {} known", counts.known)
    } else {
        String::new()
    };
    let line = format!(
        "cases: {} passed, {} failed{known}{aborted}, {} skipped; steps: {} passed, {} failed, {} skipped ({} = {}, details {}, {:.2}s)",
        counts.passed,
        counts.failed,
        counts.skipped + counts.unsupported,
        steps.passed,
        steps.failed,
        steps.skipped,
        report.target,
        report.identity,
        report.details.name(),
        report.elapsed.as_secs_f64()
    );
    if verdict.passed() {
        style.green(&line)
    } else {
        style.red(&line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_marks_only_changed_lines() {
        let d = diff("1) \"a\"\n2) \"1\"", "1) \"a\"\n2) \"2\"", Style::default());
        assert!(d.contains("\n   1) \"a\"\n"), "{d}");
        assert!(d.contains("\n  -2) \"1\"\n"), "{d}");
        assert!(d.contains("\n  +2) \"2\"\n"), "{d}");
        assert!(!d.contains('\x1b'));
        let coloured = diff("a", "b", Style { color: true });
        assert!(coloured.contains("\x1b[31m-a\x1b[0m"));
    }
}
