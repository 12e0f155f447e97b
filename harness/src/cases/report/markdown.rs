//! `--markdown FILE` and `hashcheck matrix`: a command x target compatibility matrix in
//! Markdown, with the differences listed under it. Nothing in it depends on ports, times or
//! run ids, so regenerating it for the same servers gives the same text.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::capabilities::{self, protocol_name, CommandRow, Counts, Support};
use crate::cases::baseline::{Status, Verdict};
use crate::cases::format::case_path;
use crate::cases::runner::Outcome;

/// A failing case in a column: its line, the protocols it failed in, the first difference,
/// and its status name.
type Failing<'a> = (usize, Vec<&'a str>, String, &'a str);

/// One target's column.
#[derive(Debug, Clone)]
pub struct Column {
    /// The heading: `Redis 8.2.3`.
    pub label: String,
    pub rows: Vec<CommandRow>,
    pub total: Counts,
    /// One line per failing case (protocols merged), Markdown.
    pub differences: Vec<String>,
    /// Why the suite could not run (or finish) on this target.
    pub error: Option<String>,
}

impl Column {
    pub fn from_verdict(verdict: &Verdict, error: Option<String>) -> Self {
        let report = verdict.suite;
        let mut total = Counts::default();
        let mut failing: BTreeMap<(String, String), Failing> = BTreeMap::new();
        for (i, c) in report.cases.iter().enumerate() {
            let status = verdict.status(i);
            total.add(status);
            if !matches!(status, Status::Fail | Status::Known | Status::Aborted) {
                continue;
            }
            let text = match &c.outcome {
                Outcome::Aborted { command, error, .. } => {
                    format!(
                        "{} broke the connection: {}",
                        code(command),
                        one_line(error)
                    )
                }
                other => {
                    let failures = other.failures();
                    let f = &failures[0];
                    let more = match failures.len() {
                        1 => String::new(),
                        n => format!(" (and {} more steps)", n - 1),
                    };
                    format!(
                        "{} expected {}, got {}{more}",
                        code(&f.written),
                        code(&one_line(&f.expected.to_string())),
                        code(&one_line(&f.actual.to_string()))
                    )
                }
            };
            let entry = failing
                .entry((case_path(&c.file), c.case.clone()))
                .or_insert((c.line, Vec::new(), text, status.name()));
            entry.1.push(protocol_name(c.protocol));
        }
        let differences = failing
            .into_iter()
            .map(|((file, case), (line, protocols, text, status))| {
                let known = if status == "known" { " (known)" } else { "" };
                format!(
                    "- `{file}:{line}` {}{known}, {}: {text}",
                    escape(&case),
                    protocols.join("+")
                )
            })
            .collect();
        Self {
            label: label(&report.identity.product, &report.identity.version),
            rows: capabilities::commands(verdict),
            total,
            differences,
            error,
        }
    }

    /// A target the suite could not run on at all.
    pub fn unreachable(label: String, error: String) -> Self {
        Self {
            label,
            rows: Vec::new(),
            total: Counts::default(),
            differences: Vec::new(),
            error: Some(error),
        }
    }
}

/// `Redis 8.2.3`, `Valkey 9.1.2`, `hashcheck 0.1.0`.
pub fn label(product: &str, version: &str) -> String {
    let mut chars = product.chars();
    let product = match chars.next() {
        Some(first) if product != "hashcheck" => first.to_uppercase().chain(chars).collect(),
        _ => product.to_string(),
    };
    format!("{product} {version}")
}

/// The matrix document: `intro` (Markdown) under the title, then the table, then the
/// differences and errors per target.
pub fn matrix(title: &str, intro: &str, columns: &[Column]) -> String {
    let commands: BTreeSet<&str> = columns
        .iter()
        .flat_map(|c| c.rows.iter().map(|r| r.command.as_str()))
        .collect();
    let mut out = format!("# {title}\n\n");
    if !intro.is_empty() {
        out.push_str(intro.trim_end());
        out.push_str("\n\n");
    }
    out.push_str("| Command |");
    for c in columns {
        out.push_str(&format!(" {} |", escape(&c.label)));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(columns.len()));
    out.push('\n');
    for command in &commands {
        out.push_str(&format!("| {command} |"));
        for column in columns {
            let rows: Vec<&CommandRow> = column
                .rows
                .iter()
                .filter(|r| r.command == *command)
                .collect();
            out.push_str(&format!(" {} |", cell(&rows)));
        }
        out.push('\n');
    }
    out.push_str("| **All** |");
    for column in columns {
        let text = match &column.error {
            Some(_) if column.rows.is_empty() => "could not run".to_string(),
            _ => counts_cell(&column.total),
        };
        out.push_str(&format!(" {text} |"));
    }
    out.push('\n');
    for column in columns {
        if column.differences.is_empty() && column.error.is_none() {
            continue;
        }
        out.push_str(&format!("\n## {}\n\n", escape(&column.label)));
        if let Some(error) = &column.error {
            out.push_str(&format!(
                "The run did not finish: {}\n\n",
                code(&one_line(error))
            ));
        }
        if !column.differences.is_empty() {
            out.push_str(&format!(
                "{} cases differ from Redis 8.2.3 (file:line of the case, the protocols, the first \
                 step that differs):\n\n",
                column.differences.len()
            ));
            for line in &column.differences {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// A command's cell: unsupported (and why), or the counts over both protocols.
fn cell(rows: &[&CommandRow]) -> String {
    if rows.is_empty() {
        return "–".to_string();
    }
    if rows.iter().all(|r| matches!(r.support, Support::No(_))) {
        let reasons: BTreeSet<&str> = rows.iter().filter_map(|r| r.support.reason()).collect();
        let reasons: Vec<&str> = reasons.into_iter().collect();
        return format!("unsupported ({})", escape(&reasons.join("; ")));
    }
    let mut total = Counts::default();
    for r in rows {
        total.merge(&r.counts);
    }
    counts_cell(&total)
}

/// `✅ 24/24`, `❌ 20/24`, with what did not run.
fn counts_cell(c: &Counts) -> String {
    let ran = c.ran();
    let mark = if c.failed + c.aborted == 0 {
        "✅"
    } else {
        "❌"
    };
    let mut text = if ran == 0 {
        "not run".to_string()
    } else {
        format!("{mark} {}/{ran}", c.passed)
    };
    let extra: Vec<String> = [
        (c.known, "known"),
        (c.aborted, "aborted"),
        (c.unsupported, "unsupported"),
        (c.skipped, "skipped"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    if !extra.is_empty() {
        text.push_str(&format!(" ({})", extra.join(", ")));
    }
    text
}

/// Text as a code span that survives backticks and pipes inside it.
fn code(text: &str) -> String {
    let text = text.replace('|', "\\|");
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

fn escape(text: &str) -> String {
    text.replace('|', "\\|")
}

/// A multi-line redis-cli rendering on one line, shortened.
fn one_line(text: &str) -> String {
    let joined = text.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    // A server's bytes (fakeredis sends `+v\0w` for a value with a NUL) stay visible and
    // never make the document binary.
    let joined: String = joined
        .chars()
        .map(|c| match c {
            c if c.is_control() => format!("\\x{:02x}", c as u32),
            c => c.to_string(),
        })
        .collect();
    const MAX: usize = 160;
    if joined.chars().count() > MAX {
        let cut: String = joined.chars().take(MAX).collect();
        format!("{cut}…")
    } else {
        joined
    }
}

/// The matrix for one run (`hashcheck run --markdown FILE`).
pub fn single(verdict: &Verdict, base: &Path, error: Option<String>) -> String {
    let _ = base;
    let column = Column::from_verdict(verdict, error);
    let intro = format!(
        "`hashcheck run` against `{}` ({}), details {}. Each cell counts case runs (a case \
         in one protocol): passed/judged.",
        verdict.suite.target,
        verdict.suite.identity,
        verdict.suite.details.name()
    );
    matrix("hashcheck results", &intro, &[column])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_escapes() {
        let c = Counts {
            passed: 20,
            failed: 4,
            unsupported: 2,
            ..Counts::default()
        };
        assert_eq!(counts_cell(&c), "❌ 20/24 (2 unsupported)");
        let ok = Counts {
            passed: 3,
            ..Counts::default()
        };
        assert_eq!(counts_cell(&ok), "✅ 3/3");
        assert_eq!(code("a `b` | c"), "`` a `b` \\| c ``");
        assert_eq!(label("valkey", "9.1.2"), "Valkey 9.1.2");
        assert_eq!(one_line("1) \"a\"\n2) \"b\""), "1) \"a\" 2) \"b\"");
        assert_eq!(one_line("v\0w\x1b[31m"), "v\\x00w\\x1b[31m");
    }
}
