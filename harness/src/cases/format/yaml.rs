//! Reading case files from YAML; [`write`] (in `yaml/write.rs`) turns them back into YAML.
//! This module and its child are the only places that know the files are YAML.
//!
//! `serde_yaml` parses the text into a tree of values, which loses line numbers, so the
//! loader also scans the text for the lines that start a case (`- name:`) and a step
//! (`- send:` / `- wait:`) and pairs them with the tree in order. That is why the format
//! asks for block-style steps. Every error names `file:line` and what was expected there.
//!
//! YAML resolves plain scalars (`1.5`, `true`, `0x10`), which would silently change the
//! bytes a command receives, so arguments must be strings or plain integers, and a plain
//! scalar whose spelling YAML would not keep (`+5`, `0x10`, `007`) must be quoted.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use reference_engine::Protocol;
use serde_yaml::{Mapping, Value};

use super::{
    Arg, Capability, Case, CaseError, CaseFile, Expect, Location, Order, ScanMode, Send, Step,
    Version, MAX_WAIT_MS,
};
use crate::compare::ErrorMatch;

mod depth;
mod expect;
mod fields;
mod parts;
mod step;
#[cfg(test)]
mod tests;
mod tokens;
mod write;

use parts::Parts;
use tokens::{decode_hex, describe, plain_tokens, respelled, starts_item};
pub use write::write;

/// `text` (a case file) with the `expect:` of some steps replaced, everything else kept
/// byte for byte: comments, quoting, layout. Each change names the line of the step's
/// `- send:` and the new expectation, written in flow style on the `expect:` line. None if
/// a step or its `expect:` cannot be found there.
pub fn replace_expectations(text: &str, changes: &[(usize, Expect)]) -> Option<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut sorted: Vec<&(usize, Expect)> = changes.iter().collect();
    // From the bottom up, so earlier line numbers stay valid.
    sorted.sort_by_key(|(line, _)| std::cmp::Reverse(*line));
    for (line, expect) in sorted {
        let start = line.checked_sub(1)?;
        let step = lines.get(start)?;
        if !starts_item(step, "send") {
            return None;
        }
        let dash = indent(step);
        let key_col = dash + 1 + (step[dash + 1..].len() - step[dash + 1..].trim_start().len());
        let significant = |l: &str| !l.trim().is_empty() && !l.trim_start().starts_with('#');
        let end = (start + 1..lines.len())
            .find(|&i| significant(&lines[i]) && indent(&lines[i]) <= dash)
            .unwrap_or(lines.len());
        let at = (start + 1..end).find(|&i| {
            indent(&lines[i]) == key_col && lines[i].trim_start().starts_with("expect:")
        })?;
        // The value goes on while lines are indented deeper than the key.
        let value_end = (at + 1..end)
            .find(|&i| lines[i].trim().is_empty() || indent(&lines[i]) <= key_col)
            .unwrap_or(end);
        let replacement = format!("{}expect: {}", " ".repeat(key_col), write::reply(expect));
        lines.splice(at..value_end, [replacement]);
    }
    let mut out = lines.join("\n");
    if text.ends_with('\n') {
        out.push('\n');
    }
    Some(out)
}

/// Reads and checks the case file at `path`.
pub fn load(path: &Path) -> Result<CaseFile> {
    let text = std::fs::read_to_string(path).map_err(|e| CaseError {
        loc: Location {
            file: path.to_path_buf(),
            line: 0,
        },
        message: format!("cannot read: {e}"),
    })?;
    load_str(path, &text)
}

/// Reads case-file text; `path` is used for locations only.
pub fn load_str(path: &Path, text: &str) -> Result<CaseFile> {
    load_cut(path, text, Parts::MIN_BYTES)
}

/// [`load_str`], cutting files of at least `cut_from` bytes into cases (see [`Parts`]).
fn load_cut(path: &Path, text: &str, cut_from: usize) -> Result<CaseFile> {
    let loader = Loader {
        path: path.to_path_buf(),
        lines: text.lines().collect(),
    };
    // Before the parser: its work grows with the square of the nesting.
    if let Some((line, depth)) = depth::too_deep(text) {
        return Err(loader.error(
            line,
            format!(
                "nested {depth} levels deep here; a case file nests at most {} levels",
                depth::MAX_DEPTH
            ),
        ));
    }
    if let Some(parts) = Parts::find(text, &loader.lines, cut_from) {
        let head: Value = loader.parse(&parts.head, 0)?;
        return loader.file(
            &head,
            Items::Chunks {
                text,
                parts: &parts,
            },
        );
    }
    let root: Value = loader.parse(text, 0)?;
    let items = match &root {
        Value::Mapping(map) => match map.get("cases") {
            Some(Value::Sequence(items)) => Items::Parsed(items),
            _ => Items::Missing,
        },
        _ => Items::Missing,
    };
    loader.file(&root, items)
}

/// The cases of a file: parsed with the rest of it, or still text, one chunk per case.
enum Items<'a> {
    Parsed(&'a [Value]),
    Chunks { text: &'a str, parts: &'a Parts },
    Missing,
}

struct Loader<'t> {
    path: PathBuf,
    lines: Vec<&'t str>,
}

type Result<T> = std::result::Result<T, CaseError>;

const FILE_KEYS: &[&str] = &["source", "behaviour", "since", "tags", "cases"];
const CASE_KEYS: &[&str] = &["name", "since", "resp", "requires", "note", "steps"];
const SEND_KEYS: &[&str] = &[
    "send",
    "expect",
    "order",
    "random",
    "scan",
    "ttl_within",
    "errors",
    "note",
];
const WAIT_KEYS: &[&str] = &["wait", "note"];

impl Loader<'_> {
    fn error(&self, line: usize, message: impl Into<String>) -> CaseError {
        CaseError {
            loc: Location {
                file: self.path.clone(),
                line,
            },
            message: message.into(),
        }
    }

    /// The 1-based numbers of the lines that match `starts`, in order.
    fn lines_starting(&self, starts: impl Fn(&str) -> bool) -> Vec<usize> {
        self.lines
            .iter()
            .enumerate()
            .filter(|(_, l)| starts(l))
            .map(|(i, _)| i + 1)
            .collect()
    }

    /// The line of `key:` among lines `from..to` (1-based, `to` excluded), or `from`.
    fn key_line(&self, from: usize, to: usize, key: &str) -> usize {
        (from..to.min(self.lines.len() + 1))
            .find(|&n| {
                let l = self.lines[n - 1].trim_start();
                let l = l.strip_prefix("- ").unwrap_or(l).trim_start();
                l.strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start().starts_with(':'))
            })
            .unwrap_or(from)
    }

    /// Parses `text`, which starts at line `first + 1` of the file.
    fn parse(&self, text: &str, first: usize) -> Result<Value> {
        serde_yaml::from_str(text).map_err(|e| {
            let line = e.location().map_or(1, |l| l.line()) + first;
            // The parser's own position is relative to the part it was given.
            let message = e.to_string();
            let message = match e.location() {
                Some(l) if first > 0 => message.replace(
                    &format!("line {} column {}", l.line(), l.column()),
                    &format!("line {line} column {}", l.column()),
                ),
                _ => message,
            };
            self.error(line, format!("not valid YAML: {message}"))
        })
    }

    /// Parses cut-out cases (byte range, first line), in order, split over the cores.
    fn parse_cases(
        &self,
        text: &str,
        cases: &[(std::ops::Range<usize>, usize)],
    ) -> Vec<Result<Value>> {
        let one = |(range, first): &(std::ops::Range<usize>, usize)| match self
            .parse(&text[range.clone()], first - 1)?
        {
            Value::Sequence(mut one) if one.len() == 1 => Ok(one.pop().expect("one item")),
            _ => Err(self.error(*first, "expected a case: a mapping starting with `name:`")),
        };
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        if threads == 1 || cases.len() < 64 {
            return cases.iter().map(one).collect();
        }
        let per = cases.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let parts: Vec<_> = cases
                .chunks(per)
                .map(|group| scope.spawn(move || group.iter().map(one).collect::<Vec<_>>()))
                .collect();
            parts
                .into_iter()
                .flat_map(|p| p.join().expect("parsing does not panic"))
                .collect()
        })
    }

    fn file(&self, root: &Value, items: Items<'_>) -> Result<CaseFile> {
        let end = self.lines.len() + 1;
        let top = |key: &str| {
            self.lines
                .iter()
                .position(|l| l.strip_prefix(key).is_some_and(|r| r.starts_with(':')))
                .map_or(1, |i| i + 1)
        };
        let Value::Mapping(map) = root else {
            return Err(self.error(1, "expected a mapping with source, behaviour and cases"));
        };
        self.known_keys(map, FILE_KEYS, "at the top of a case file", |k| top(k))?;
        let source = self.required_string(map, "source", top("source"), 1)?;
        let behaviour = self.required_string(map, "behaviour", top("behaviour"), 1)?;
        let since = self.since(map.get("since"), top("since"))?;
        let tags = match map.get("tags") {
            None => Vec::new(),
            Some(v) => self.string_list(v, top("tags"), "tags")?,
        };
        let cases_line = top("cases");
        let count = match items {
            Items::Parsed(items) => items.len(),
            Items::Chunks { parts, .. } => parts.cases.len(),
            Items::Missing => {
                return Err(self.error(cases_line, "expected `cases:` followed by a list of cases"))
            }
        };
        let case_lines = self.lines_starting(|l| starts_item(l, "name"));
        if case_lines.len() != count {
            return Err(self.error(
                cases_line,
                format!(
                    "found {} cases but {} lines starting `- name:`; begin each case with `- name:` on its own line",
                    count,
                    case_lines.len()
                ),
            ));
        }
        let step_lines = self.lines_starting(|l| starts_item(l, "send") || starts_item(l, "wait"));
        let mut cases: Vec<Case> = Vec::with_capacity(count);
        // Name -> line, so checking names stays linear in the number of cases.
        let mut names: HashMap<String, usize> = HashMap::with_capacity(count);
        // Cut files are parsed a window of cases at a time, on all cores; the window
        // bounds the memory the parsed values take.
        const WINDOW: usize = 4096;
        let mut window: std::vec::IntoIter<Result<Value>> = Vec::new().into_iter();
        for i in 0..count {
            let chunk;
            let item = match items {
                Items::Parsed(items) => &items[i],
                Items::Chunks { text, parts } => {
                    if i % WINDOW == 0 {
                        let to = (i + WINDOW).min(count);
                        window = self.parse_cases(text, &parts.cases[i..to]).into_iter();
                    }
                    chunk = window.next().expect("one value per case")?;
                    &chunk
                }
                Items::Missing => unreachable!("handled above"),
            };
            let line = case_lines[i];
            let next = case_lines.get(i + 1).copied().unwrap_or(end);
            // Both lists are sorted: the case's steps are one slice, found by bisection.
            let from = step_lines.partition_point(|&l| l <= line);
            let to = step_lines.partition_point(|&l| l < next);
            let case = self.case(item, line, next, &step_lines[from..to.max(from)])?;
            if let Some(first) = names.get(&case.name) {
                return Err(self.error(
                    line,
                    format!(
                        "a case named {:?} already exists at line {first}; names must be unique in a file",
                        case.name
                    ),
                ));
            }
            names.insert(case.name.clone(), line);
            cases.push(case);
        }
        Ok(CaseFile {
            path: self.path.clone(),
            header: self.header(),
            source,
            behaviour,
            since,
            tags,
            cases,
        })
    }

    /// The comment lines before the first key.
    fn header(&self) -> Vec<String> {
        self.lines
            .iter()
            .take_while(|l| l.trim().is_empty() || l.starts_with('#'))
            .filter(|l| l.starts_with('#'))
            .map(|l| l.to_string())
            .collect()
    }

    fn case(&self, item: &Value, line: usize, end: usize, step_lines: &[usize]) -> Result<Case> {
        let Value::Mapping(map) = item else {
            return Err(self.error(line, "expected a case: a mapping starting with `name:`"));
        };
        self.known_keys(map, CASE_KEYS, "in a case", |k| self.key_line(line, end, k))?;
        let name = self.required_string(map, "name", line, line)?;
        let since = self.since(map.get("since"), self.key_line(line, end, "since"))?;
        let resp = match map.get("resp") {
            None => vec![Protocol::Resp2, Protocol::Resp3],
            Some(v) => self.protocols(v, self.key_line(line, end, "resp"))?,
        };
        let requires = match map.get("requires") {
            None => Vec::new(),
            Some(v) => self.capabilities(v, self.key_line(line, end, "requires"))?,
        };
        let note = self.optional_string(map, "note", self.key_line(line, end, "note"))?;
        let steps_line = self.key_line(line, end, "steps");
        let Some(Value::Sequence(items)) = map.get("steps") else {
            return Err(self.error(steps_line, "expected `steps:` followed by a list of steps"));
        };
        if items.is_empty() {
            return Err(self.error(steps_line, "a case needs at least one step"));
        }
        if items.len() != step_lines.len() {
            return Err(self.error(
                steps_line,
                format!(
                    "found {} steps but {} lines starting `- send:` or `- wait:`; write each step in block style, starting with `- send:` or `- wait:`",
                    items.len(),
                    step_lines.len()
                ),
            ));
        }
        let mut steps = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let step_end = step_lines.get(i + 1).copied().unwrap_or(end);
            steps.push(self.step(item, step_lines[i], step_end)?);
        }
        Ok(Case {
            name,
            line,
            since,
            resp,
            requires,
            note,
            steps,
        })
    }
}

/// The value under the key that reads as `key`, tagged or not.
fn entry<'a>(map: &'a Mapping, key: &str) -> Option<&'a Value> {
    map.iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
}
