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
use crate::compare::{policy, ErrorMatch};
use reference_engine::command::ReplyPolicy;

mod depth;
mod parts;
mod write;

use parts::Parts;
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

    fn step(&self, item: &Value, line: usize, end: usize) -> Result<Step> {
        let Value::Mapping(map) = item else {
            return Err(self.error(line, "expected a step starting with `send:` or `wait:`"));
        };
        let key_line = |k: &str| self.key_line(line, end, k);
        if let Some(wait) = map.get("wait") {
            self.known_keys(
                map,
                WAIT_KEYS,
                "in a wait step (it has nothing else)",
                key_line,
            )?;
            let ms = wait
                .as_u64()
                .ok_or_else(|| self.error(line, "expected a number of milliseconds after wait:"))?;
            if ms > MAX_WAIT_MS {
                return Err(self.error(
                    line,
                    format!(
                        "wait: {ms} is longer than a case may wait (at most {MAX_WAIT_MS} ms, one hour)"
                    ),
                ));
            }
            return Ok(Step::Wait {
                ms,
                line,
                note: self.optional_string(map, "note", key_line("note"))?,
            });
        }
        let Some(send) = map.get("send") else {
            return Err(self.error(line, "expected a step starting with `send:` or `wait:`"));
        };
        self.known_keys(map, SEND_KEYS, "in a send step", key_line)?;
        self.check_spelling(line, end)?;
        let Value::Sequence(words) = send else {
            return Err(self.error(line, "expected a list of arguments after send:"));
        };
        if words.is_empty() {
            return Err(self.error(line, "expected a list of arguments after send:, not []"));
        }
        let args = words
            .iter()
            .map(|w| self.arg(w, line))
            .collect::<Result<Vec<_>>>()?;
        let expect = match map.get("expect") {
            None => None,
            Some(v) => Some(self.expect(v, key_line("expect"))?),
        };
        let order = match map.get("order") {
            None => None,
            Some(v) => Some(match v.as_str() {
                Some("any") => Order::Any,
                Some("exact") => Order::Exact,
                _ => {
                    return Err(
                        self.error(key_line("order"), "expected `order: any` or `order: exact`")
                    )
                }
            }),
        };
        let random = match map.get("random") {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                return Err(self.error(
                    key_line("random"),
                    "expected `random: true` or `random: false`",
                ))
            }
        };
        let scan = match map.get("scan") {
            None => None,
            Some(v) => Some(match v.as_str() {
                Some("walk") => ScanMode::Walk,
                Some("once") => ScanMode::Once,
                _ => {
                    return Err(
                        self.error(key_line("scan"), "expected `scan: walk` or `scan: once`")
                    )
                }
            }),
        };
        let ttl_within = match map.get("ttl_within") {
            None => None,
            Some(v) => Some(v.as_i64().filter(|n| *n >= 0).ok_or_else(|| {
                self.error(
                    key_line("ttl_within"),
                    "expected a tolerance (an integer >= 0) after ttl_within:",
                )
            })?),
        };
        let errors = match map.get("errors") {
            None => None,
            Some(v) => Some(match v.as_str() {
                Some("exact") => ErrorMatch::Exact,
                Some("code") => ErrorMatch::Code,
                Some("any") => ErrorMatch::Any,
                _ => {
                    return Err(self.error(
                        key_line("errors"),
                        "expected `errors: exact`, `code` or `any`",
                    ))
                }
            }),
        };
        // `random:` and `scan:` say how to judge a random pick and a scan: the commands
        // whose reply policy is one.
        let reply = match args.first() {
            Some(Arg::Bytes(name)) => policy::reply_of_name(name),
            _ => ReplyPolicy::Exact,
        };
        for (given, key, wanted) in [
            (random.is_some(), "random", ReplyPolicy::RandomPick),
            (scan.is_some(), "scan", ReplyPolicy::Scan),
        ] {
            if given && reply != wanted {
                let name = policy::command_where(|c| c.reply == wanted);
                let message = format!("{key}: applies to {} only", String::from_utf8_lossy(&name));
                return Err(self.error(key_line(key), &message));
            }
        }
        Ok(Step::Send(Send {
            args,
            expect,
            order,
            random,
            scan,
            ttl_within,
            errors,
            note: self.optional_string(map, "note", key_line("note"))?,
            line,
        }))
    }

    /// Rejects plain scalars whose spelling YAML would not keep, in the step's lines.
    fn check_spelling(&self, line: usize, end: usize) -> Result<()> {
        for n in line..end.min(self.lines.len() + 1) {
            let text = self.lines[n - 1];
            let body = text.trim_start();
            let body = body.strip_prefix("- ").unwrap_or(body).trim_start();
            if body.starts_with("note:") || body.starts_with('#') {
                continue;
            }
            if let Some(token) = plain_tokens(text).into_iter().find(|t| respelled(t)) {
                return Err(self.error(
                    n,
                    format!("quote this scalar: YAML does not keep the spelling of {token} (write \"{token}\")"),
                ));
            }
        }
        Ok(())
    }

    fn arg(&self, word: &Value, line: usize) -> Result<Arg> {
        match word {
            Value::String(s) => Ok(Arg::Bytes(s.as_bytes().to_vec())),
            Value::Number(n) => match n.as_i64().map(|i| i.to_string()).or(n.as_u64().map(|u| u.to_string())) {
                Some(text) => Ok(Arg::Bytes(text.into_bytes())),
                None => Err(self.error(line, format!("quote this argument: YAML reads {n} as a float and may respell it (write \"{n}\")"))),
            },
            Value::Mapping(map) if map.len() == 1 => {
                let (key, value) = map.iter().next().expect("one entry");
                match key.as_str() {
                    Some("hex") => Ok(Arg::Bytes(self.hex(value, line)?)),
                    Some("unix_s") => Ok(Arg::UnixS(self.int(value, line, "unix_s")?)),
                    Some("unix_ms") => Ok(Arg::UnixMs(self.int(value, line, "unix_ms")?)),
                    _ => Err(self.error(line, "expected an argument: a string, an integer, {hex: ..}, {unix_s: n} or {unix_ms: n}")),
                }
            }
            Value::Bool(_) | Value::Null => Err(self.error(
                line,
                format!("quote this argument: YAML reads it as {}", describe(word)),
            )),
            _ => Err(self.error(line, "expected an argument: a string, an integer, {hex: ..}, {unix_s: n} or {unix_ms: n}")),
        }
    }

    fn int(&self, value: &Value, line: usize, what: &str) -> Result<i64> {
        value
            .as_i64()
            .ok_or_else(|| self.error(line, format!("expected an integer after {what}:")))
    }

    fn hex(&self, value: &Value, line: usize) -> Result<Vec<u8>> {
        let Some(text) = value.as_str() else {
            return Err(self.error(line, "expected a quoted string of hex digits after hex:"));
        };
        decode_hex(text).ok_or_else(|| {
            self.error(
                line,
                format!("expected pairs of hex digits after hex:, found {text:?}"),
            )
        })
    }

    fn expect(&self, value: &Value, line: usize) -> Result<Expect> {
        let expect = |v: &Value| self.expect(v, line);
        match value {
            Value::Null => Ok(Expect::Null),
            Value::String(s) => Ok(Expect::Bulk(s.as_bytes().to_vec())),
            Value::Number(n) => n.as_i64().map(Expect::Int).ok_or_else(|| {
                self.error(line, format!("{n} is not an integer reply: quote it for a bulk string (\"{n}\") or write {{double: {n}}}"))
            }),
            Value::Bool(b) => Err(self.error(line, format!("quote {b} for a bulk string, or write {{boolean: {b}}}"))),
            Value::Sequence(items) => Ok(Expect::Array(items.iter().map(expect).collect::<Result<_>>()?)),
            Value::Mapping(map) => self.expect_form(map, line),
            Value::Tagged(_) => Err(self.error(line, "YAML tags are not part of the case format")),
        }
    }

    /// The `{kind: ..}` forms of an expected reply.
    ///
    /// Keys are looked up by what `as_str` reads, never by indexing: a tagged key
    /// (`{!t error: x}`) reads as a string but is not one, and `map["error"]` panicked on it
    /// (found by the codec fuzz target).
    fn expect_form(&self, map: &Mapping, line: usize) -> Result<Expect> {
        let keys: Vec<&str> = map.keys().filter_map(Value::as_str).collect();
        if keys.len() == 2 && keys.contains(&"resp2") && keys.contains(&"resp3") {
            let (Some(resp2), Some(resp3)) = (entry(map, "resp2"), entry(map, "resp3")) else {
                return Err(self.error(line, "a tagged key is not part of the case format"));
            };
            return Ok(Expect::PerProtocol {
                resp2: Box::new(self.expect(resp2, line)?),
                resp3: Box::new(self.expect(resp3, line)?),
            });
        }
        let bad = || {
            self.error(
                line,
                "expected one of {status: ..}, {error: ..}, {error_code: ..}, {map: [[k, v], ..]}, {set: [..]}, {double: ..}, {bulk: ..}, {int: ..}, {boolean: ..}, {nil_array: true}, {unix_s: n}, {unix_ms: n}, {unix_ms_in_s: n}, {ms_in_s: n} or {resp2: .., resp3: ..}",
            )
        };
        if map.len() != 1 || keys.len() != 1 {
            return Err(bad());
        }
        let Some(value) = entry(map, keys[0]) else {
            return Err(bad());
        };
        let text = |what: &str| {
            value
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| self.error(line, format!("expected a string after {what}:")))
        };
        let list = |what: &str| match value {
            Value::Sequence(items) => Ok(items),
            _ => Err(self.error(line, format!("expected a list after {what}:"))),
        };
        match keys[0] {
            "status" => Ok(Expect::Status(text("status")?)),
            "error" => Ok(Expect::Error(text("error")?)),
            "error_code" => {
                let code = text("error_code")?;
                if code.is_empty() || code.contains(' ') {
                    return Err(
                        self.error(line, "expected one word (like WRONGTYPE) after error_code:")
                    );
                }
                Ok(Expect::ErrorCode(code))
            }
            "int" => Ok(Expect::Int(self.int(value, line, "int")?)),
            "unix_s" => Ok(Expect::UnixS(self.int(value, line, "unix_s")?)),
            "unix_ms" => Ok(Expect::UnixMs(self.int(value, line, "unix_ms")?)),
            "unix_ms_in_s" => Ok(Expect::UnixMsInS(self.int(value, line, "unix_ms_in_s")?)),
            "ms_in_s" => Ok(Expect::MsInS(self.int(value, line, "ms_in_s")?)),
            "boolean" => match value {
                Value::Bool(b) => Ok(Expect::Boolean(*b)),
                _ => Err(self.error(line, "expected true or false after boolean:")),
            },
            "nil_array" => match value {
                Value::Bool(true) => Ok(Expect::NilArray),
                _ => Err(self.error(line, "write {nil_array: true}")),
            },
            "hex" => Ok(Expect::Bulk(self.hex(value, line)?)),
            "bulk" => match value {
                Value::String(s) => Ok(Expect::Bulk(s.as_bytes().to_vec())),
                Value::Number(n) if n.as_i64().is_some() => {
                    Ok(Expect::Bulk(n.to_string().into_bytes()))
                }
                Value::Mapping(m) if m.len() == 1 && m.get("hex").is_some() => {
                    Ok(Expect::Bulk(self.hex(&m["hex"], line)?))
                }
                _ => Err(self.error(line, "expected a string or {hex: ..} after bulk:")),
            },
            "double" => {
                let d = match value {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => match s.as_str() {
                        "inf" => Some(f64::INFINITY),
                        "-inf" => Some(f64::NEG_INFINITY),
                        "nan" => Some(f64::NAN),
                        other => other.parse().ok(),
                    },
                    _ => None,
                };
                d.map(Expect::Double).ok_or_else(|| {
                    self.error(line, "expected a number, inf, -inf or nan after double:")
                })
            }
            "map" => {
                let mut pairs = Vec::new();
                for pair in list("map")? {
                    match pair {
                        Value::Sequence(kv) if kv.len() == 2 => {
                            pairs.push((self.expect(&kv[0], line)?, self.expect(&kv[1], line)?))
                        }
                        _ => return Err(self.error(line, "expected [key, value] pairs after map:")),
                    }
                }
                Ok(Expect::Map(pairs))
            }
            "set" => Ok(Expect::Set(
                list("set")?
                    .iter()
                    .map(|v| self.expect(v, line))
                    .collect::<Result<_>>()?,
            )),
            _ => Err(bad()),
        }
    }

    fn known_keys(
        &self,
        map: &Mapping,
        known: &[&str],
        place: &str,
        line_of: impl Fn(&str) -> usize,
    ) -> Result<()> {
        for key in map.keys() {
            match key.as_str() {
                Some(k) if known.contains(&k) => {}
                Some(k) => {
                    return Err(self.error(
                        line_of(k),
                        format!(
                            "unknown key `{k}` {place}; expected one of {}",
                            known.join(", ")
                        ),
                    ))
                }
                None => return Err(self.error(line_of(""), format!("keys {place} must be names"))),
            }
        }
        Ok(())
    }

    fn required_string(
        &self,
        map: &Mapping,
        key: &str,
        line: usize,
        missing_line: usize,
    ) -> Result<String> {
        match map.get(key) {
            None => Err(self.error(missing_line, format!("missing `{key}:`"))),
            Some(_) => Ok(self.optional_string(map, key, line)?.unwrap_or_default()),
        }
    }

    fn optional_string(&self, map: &Mapping, key: &str, line: usize) -> Result<Option<String>> {
        match map.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
            Some(_) => Err(self.error(line, format!("expected some text after {key}:"))),
        }
    }

    fn since(&self, value: Option<&Value>, line: usize) -> Result<Option<Version>> {
        match value {
            None => Ok(None),
            Some(Value::String(s)) => Version::parse(s).map(Some).ok_or_else(|| {
                self.error(
                    line,
                    format!("expected a version like \"7.4.0\" after since:, found {s:?}"),
                )
            }),
            Some(_) => Err(self.error(
                line,
                "expected a quoted version after since:, e.g. since: \"7.4.0\"",
            )),
        }
    }

    fn string_list(&self, value: &Value, line: usize, what: &str) -> Result<Vec<String>> {
        let Value::Sequence(items) = value else {
            return Err(self.error(line, format!("expected a list after {what}:")));
        };
        items
            .iter()
            .map(|i| {
                i.as_str().map(str::to_string).ok_or_else(|| {
                    self.error(line, format!("expected words in the list after {what}:"))
                })
            })
            .collect()
    }

    fn protocols(&self, value: &Value, line: usize) -> Result<Vec<Protocol>> {
        let bad = || self.error(line, "expected resp: [2], [3] or [2, 3]");
        let Value::Sequence(items) = value else {
            return Err(bad());
        };
        let mut out = Vec::new();
        for item in items {
            let p = match item.as_i64() {
                Some(2) => Protocol::Resp2,
                Some(3) => Protocol::Resp3,
                _ => return Err(bad()),
            };
            if out.contains(&p) {
                return Err(bad());
            }
            out.push(p);
        }
        if out.is_empty() {
            return Err(bad());
        }
        out.sort_by_key(|p| p.version());
        Ok(out)
    }

    fn capabilities(&self, value: &Value, line: usize) -> Result<Vec<Capability>> {
        let names = self.string_list(value, line, "requires")?;
        names
            .iter()
            .map(|n| {
                Capability::ALL
                    .into_iter()
                    .find(|c| c.name() == n)
                    .ok_or_else(|| {
                        let known: Vec<&str> = Capability::ALL.iter().map(|c| c.name()).collect();
                        self.error(
                            line,
                            format!(
                                "unknown capability {n:?}; expected one of {}",
                                known.join(", ")
                            ),
                        )
                    })
            })
            .collect()
    }
}

/// Whether `line` starts a list item whose first key is `key` (`  - send: ...`).
fn starts_item(line: &str, key: &str) -> bool {
    let Some(rest) = line.trim_start().strip_prefix('-') else {
        return false;
    };
    if !rest.starts_with([' ', '\t']) {
        return false;
    }
    rest.trim_start()
        .strip_prefix(key)
        .is_some_and(|r| r.trim_start().starts_with(':'))
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Bool(_) => "a boolean",
        Value::Null => "null",
        Value::Number(_) => "a number",
        _ => "something else",
    }
}

pub(crate) fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if digits.len() % 2 != 0 {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect()
}

/// The unquoted scalars on a line of flow- or block-style YAML: the text between the
/// indicators `[ ] { } ,`, a leading `- ` and `key: `, skipping quoted strings and comments.
pub(crate) fn plain_tokens(line: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut chars = line.chars().peekable();
    let flush = |current: &mut String, tokens: &mut Vec<String>| {
        let t = current.trim();
        let t = t.strip_prefix("- ").unwrap_or(t).trim();
        if !t.is_empty() && t != "-" {
            tokens.push(t.to_string());
        }
        current.clear();
    };
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                // Skip to the closing quote, minding escapes.
                while let Some(q) = chars.next() {
                    if q == '\\' {
                        chars.next();
                    } else if q == '"' {
                        break;
                    }
                }
                current.clear();
                current.push('"');
            }
            '\'' if current.trim().is_empty() => {
                while let Some(q) = chars.next() {
                    if q == '\'' {
                        if chars.peek() == Some(&'\'') {
                            chars.next();
                        } else {
                            break;
                        }
                    }
                }
                current.clear();
                current.push('\'');
            }
            '#' if current.is_empty() || current.ends_with(' ') => break,
            '[' | ']' | '{' | '}' | ',' => flush(&mut current, &mut tokens),
            ':' if matches!(chars.peek(), None | Some(' ')) => current.clear(),
            _ => current.push(c),
        }
    }
    flush(&mut current, &mut tokens);
    tokens.retain(|t| !t.starts_with('"') && !t.starts_with('\''));
    tokens
}

/// Whether YAML would read this plain scalar as something other than its own text while
/// still giving a string or an integer: `+5`, `0x10`, `0o7`, `-0`, `007`.
pub(crate) fn respelled(token: &str) -> bool {
    let unsigned = token.strip_prefix(['+', '-']).unwrap_or(token);
    let lower = unsigned.to_ascii_lowercase();
    let digits = |s: &str, radix: u32| !s.is_empty() && s.chars().all(|c| c.is_digit(radix));
    (token.starts_with('+') && digits(unsigned, 10))
        || lower.strip_prefix("0x").is_some_and(|r| digits(r, 16))
        || lower.strip_prefix("0o").is_some_and(|r| digits(r, 8))
        || token == "-0"
        || (unsigned.len() > 1 && unsigned.starts_with('0') && digits(unsigned, 10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_skip_quotes_keys_and_comments() {
        assert_eq!(
            plain_tokens(r#"      - send: [HSET, "a,b", 0x10, 'it''s', +5] # 007"#),
            vec!["HSET", "0x10", "+5"]
        );
        assert_eq!(
            plain_tokens("        expect: {map: [[f, 007]]}"),
            vec!["f", "007"]
        );
        assert_eq!(plain_tokens("note: call 007 now"), vec!["call 007 now"]);
    }

    #[test]
    fn respelled_scalars() {
        for t in ["+5", "0x10", "0XfF", "0o17", "-0", "007", "-007"] {
            assert!(respelled(t), "{t}");
        }
        for t in ["5", "-5", "0", "1.5", "HSET", "0xZZ", "x007"] {
            assert!(!respelled(t), "{t}");
        }
    }

    #[test]
    fn replacing_expectations_keeps_everything_else() {
        let text = "# heading\nsource: s\nbehaviour: b\ncases:\n  - name: c\n    steps:\n      - send: [HSET, h, a, \"1\"]   # set up\n        expect: 2\n\n      - send: [HGETALL, h]\n        expect:\n          - a\n          - \"1\"\n        order: exact\n      - send: [HLEN, h]\n        expect: 1\n";
        let changes = vec![
            (7, Expect::Int(1)),
            (
                10,
                Expect::Map(vec![(
                    Expect::Bulk(b"a".to_vec()),
                    Expect::Bulk(b"1".to_vec()),
                )]),
            ),
        ];
        let out = replace_expectations(text, &changes).unwrap();
        assert_eq!(
            out,
            "# heading\nsource: s\nbehaviour: b\ncases:\n  - name: c\n    steps:\n      - send: [HSET, h, a, \"1\"]   # set up\n        expect: 1\n\n      - send: [HGETALL, h]\n        expect: {map: [[a, \"1\"]]}\n        order: exact\n      - send: [HLEN, h]\n        expect: 1\n"
        );
        assert_eq!(replace_expectations(text, &[(8, Expect::Null)]), None);
        assert!(load_str(Path::new("x.yaml"), &out).is_ok());
    }

    #[test]
    fn a_file_cut_into_cases_loads_as_it_does_whole() {
        let mut text = "# heading\nsource: s\nbehaviour: b\ncases:\n".to_string();
        for n in 0..150 {
            text.push_str(&format!(
                "  # case {n}\n  - name: c{n}\n    note: |\n      [a note] - over: lines\n    steps:\n      - send: [HSET, h, f, \"{n}\"]\n        expect: 1\n      - wait: 5\n      - send: [HGETALL, h]\n        expect: {{map: [[f, \"{n}\"]]}}\n\n"
            ));
        }
        text.push_str("tags: [after]\n");
        let path = Path::new("x.yaml");
        let lines: Vec<&str> = text.lines().collect();
        let parts = Parts::find(&text, &lines, 0).expect("cut");
        assert_eq!(parts.cases.len(), 150);
        let whole = load_cut(path, &text, usize::MAX).unwrap();
        assert_eq!(load_cut(path, &text, 0).unwrap(), whole);
        assert_eq!(whole.tags, vec!["after"]);
        // Errors name the same line either way.
        let bad = text.replace(
            "expect: {map: [[f, \"40\"]]}",
            "expect: {map: [[f, \"40\"]]",
        );
        let (cut, whole) = (load_cut(path, &bad, 0), load_cut(path, &bad, usize::MAX));
        assert_eq!(cut.unwrap_err().loc, whole.unwrap_err().loc);
        let dup = text.replace("name: c41", "name: c40");
        let (cut, whole) = (load_cut(path, &dup, 0), load_cut(path, &dup, usize::MAX));
        assert_eq!(cut.unwrap_err(), whole.unwrap_err());
        // A file of another shape is parsed whole.
        let flow = "source: s\nbehaviour: b\ncases: [{name: c, steps: [{send: [PING]}]}]\n";
        assert!(Parts::find(flow, &flow.lines().collect::<Vec<_>>(), 0).is_none());
    }

    #[test]
    fn hex_decoding() {
        assert_eq!(decode_hex("00ff41"), Some(vec![0, 255, b'A']));
        assert_eq!(decode_hex("0"), None);
        assert_eq!(decode_hex("zz"), None);
    }
}

/// The value under the key that reads as `key`, tagged or not.
fn entry<'a>(map: &'a Mapping, key: &str) -> Option<&'a Value> {
    map.iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
}
