//! The case-file half of the `codec` target: the loader never panics, and the writer and
//! the loader agree.
//!
//! - [`text`]: any text is loaded; one that loads is written, reloaded, and must come back
//!   equal (and written again, identical).
//! - [`built`]: a case file built from the bytes, valid by construction (only what the
//!   format allows, e.g. `random:` only on HRANDFIELD), is written and must load back equal.
//!   This reaches awkward scalars (`"5"`, `-`, `a: b`, control characters, non-UTF-8
//!   arguments) that hand-written seeds rarely do.

use std::path::Path;

use arbitrary::{Arbitrary, Unstructured};
use reference_engine::Protocol;

use crate::cases::format::{
    self, Arg, Capability, Case, CaseFile, Expect, Order, ScanMode, Send, Step,
};
use crate::compare::policy::command_where;
use crate::compare::ErrorMatch;
use reference_engine::command::ReplyPolicy;

const PATH: &str = "fuzz.yaml";

/// Loads `bytes` as case text; what loads must survive writing and reloading.
pub fn text(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    if let Ok(file) = format::load_str(Path::new(PATH), &text) {
        round_trip(&file);
    }
}

/// Builds a case file from `bytes`; it must survive writing and reloading.
pub fn built(bytes: &[u8]) {
    if let Ok(file) = ArbFile::arbitrary_take_rest(Unstructured::new(bytes)) {
        round_trip(&file.build());
    }
}

/// write(file) loads back as `file`, and writing that gives the same text.
pub fn round_trip(file: &CaseFile) {
    let written = format::write(file);
    let reloaded = format::load_str(Path::new(PATH), &written)
        .unwrap_or_else(|e| panic!("the writer's output does not load: {e}\n{written}"));
    let rewritten = format::write(&reloaded);
    assert_eq!(written, rewritten, "writing the reloaded file changes it");
    if !has_nan(file) {
        // NaN is unequal to itself; for files with one, the identical text above is the check.
        assert_eq!(
            reloaded.without_lines(),
            file.without_lines(),
            "the written file loads back different\n{written}"
        );
    }
}

fn has_nan(file: &CaseFile) -> bool {
    fn expect(e: &Expect) -> bool {
        match e {
            Expect::Double(d) => d.is_nan(),
            Expect::Array(items) | Expect::Set(items) => items.iter().any(expect),
            Expect::Map(pairs) => pairs.iter().any(|(k, v)| expect(k) || expect(v)),
            Expect::PerProtocol { resp2, resp3 } => expect(resp2) || expect(resp3),
            _ => false,
        }
    }
    file.cases.iter().flat_map(|c| &c.steps).any(|s| match s {
        Step::Send(send) => send.expect.as_ref().is_some_and(expect),
        Step::Wait { .. } => false,
    })
}

/// Text that is allowed where the format wants "some text": not blank.
#[derive(Debug, Arbitrary)]
struct Text(String);

impl Text {
    fn get(&self) -> String {
        if self.0.trim().is_empty() {
            format!("t{}", self.0.len())
        } else {
            self.0.clone()
        }
    }
}

#[derive(Debug, Arbitrary)]
struct ArbFile {
    header: Vec<String>,
    source: Text,
    behaviour: Text,
    since: Option<(u8, u8, u8)>,
    tags: Vec<String>,
    cases: Vec<ArbCase>,
}

#[derive(Debug, Arbitrary)]
struct ArbCase {
    name: Text,
    since: Option<(u8, u8, u8)>,
    /// 0: both protocols, 1: RESP2 only, 2: RESP3 only.
    resp: u8,
    lazy_expiry: bool,
    debug: bool,
    note: Option<Text>,
    first: ArbStep,
    steps: Vec<ArbStep>,
}

#[derive(Debug, Arbitrary)]
enum ArbStep {
    Wait(u64, Option<Text>),
    Send(ArbSend),
}

#[derive(Debug, Arbitrary)]
struct ArbSend {
    /// Which command: HRANDFIELD and HSCAN may carry `random:` / `scan:`.
    command: ArbCommand,
    args: Vec<ArbArg>,
    expect: Option<ArbExpect>,
    order: Option<bool>,
    random: Option<bool>,
    scan: Option<bool>,
    ttl_within: Option<u32>,
    errors: Option<u8>,
    note: Option<Text>,
}

#[derive(Debug, Arbitrary)]
enum ArbCommand {
    HRandField,
    HScan,
    Other(Vec<u8>),
}

#[derive(Debug, Arbitrary)]
enum ArbArg {
    Bytes(Vec<u8>),
    Text(String),
    Int(i64),
    UnixS(i64),
    UnixMs(i64),
}

#[derive(Debug, Arbitrary)]
enum ArbExpect {
    Int(i64),
    Bulk(Vec<u8>),
    Text(String),
    Null,
    NilArray,
    Status(String),
    Error(String),
    ErrorCode(String),
    Array(Vec<ArbExpect>),
    Map(Vec<(ArbExpect, ArbExpect)>),
    Set(Vec<ArbExpect>),
    Double(f64),
    Boolean(bool),
    PerProtocol(Box<ArbExpect>, Box<ArbExpect>),
    UnixS(i64),
    UnixMs(i64),
    UnixMsInS(i64),
    MsInS(i64),
}

/// Deeper than this, expectations become `null`, to keep inputs cheap.
const MAX_DEPTH: usize = 6;

impl ArbFile {
    fn build(&self) -> CaseFile {
        let mut cases: Vec<Case> = Vec::new();
        for c in &self.cases {
            let mut case = c.build();
            // Names are unique in a file.
            while cases.iter().any(|other| other.name == case.name) {
                case.name.push('\'');
            }
            cases.push(case);
        }
        CaseFile {
            path: PATH.into(),
            header: self
                .header
                .iter()
                .map(|h| format!("#{}", comment_text(h)))
                .collect(),
            source: self.source.get(),
            behaviour: self.behaviour.get(),
            since: self.since.map(version),
            tags: self.tags.clone(),
            cases,
        }
    }
}

/// `text` as a comment line can hold it: YAML allows only printable characters there, and
/// a line break would end the comment. (A loaded header never holds others: the file would
/// not have loaded.)
fn comment_text(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | ' '..='\u{7e}' => c,
            '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'.. => match c {
                '\u{2028}' | '\u{2029}' | '\u{feff}' => ' ',
                _ => c,
            },
            _ => ' ',
        })
        .collect()
}

fn version((a, b, c): (u8, u8, u8)) -> format::Version {
    format::Version(a.into(), b.into(), c.into())
}

impl ArbCase {
    fn build(&self) -> Case {
        let mut requires = Vec::new();
        if self.lazy_expiry {
            requires.push(Capability::LazyExpiry);
        }
        if self.debug {
            requires.push(Capability::Debug);
        }
        Case {
            name: self.name.get(),
            line: 0,
            since: self.since.map(version),
            resp: match self.resp % 3 {
                0 => vec![Protocol::Resp2, Protocol::Resp3],
                1 => vec![Protocol::Resp2],
                _ => vec![Protocol::Resp3],
            },
            requires,
            note: self.note.as_ref().map(Text::get),
            steps: std::iter::once(&self.first)
                .chain(&self.steps)
                .map(ArbStep::build)
                .collect(),
        }
    }
}

impl ArbStep {
    fn build(&self) -> Step {
        match self {
            ArbStep::Wait(ms, note) => Step::Wait {
                ms: *ms % (format::MAX_WAIT_MS + 1),
                line: 0,
                note: note.as_ref().map(Text::get),
            },
            ArbStep::Send(s) => Step::Send(s.build()),
        }
    }
}

impl ArbSend {
    fn build(&self) -> Send {
        let (name, random_ok, scan_ok) = match &self.command {
            ArbCommand::HRandField => (
                command_where(|c| c.reply == ReplyPolicy::RandomPick),
                true,
                false,
            ),
            // Lower case: names are read case-insensitively.
            ArbCommand::HScan => (
                command_where(|c| c.reply == ReplyPolicy::Scan).to_ascii_lowercase(),
                false,
                true,
            ),
            ArbCommand::Other(bytes) => (bytes.clone(), false, false),
        };
        let mut args = vec![Arg::Bytes(name)];
        args.extend(self.args.iter().map(|a| match a {
            ArbArg::Bytes(b) => Arg::Bytes(b.clone()),
            ArbArg::Text(s) => Arg::Bytes(s.clone().into_bytes()),
            ArbArg::Int(n) => Arg::Bytes(n.to_string().into_bytes()),
            ArbArg::UnixS(n) => Arg::UnixS(*n),
            ArbArg::UnixMs(n) => Arg::UnixMs(*n),
        }));
        Send {
            args,
            expect: self.expect.as_ref().map(|e| e.build(0)),
            order: self
                .order
                .map(|exact| if exact { Order::Exact } else { Order::Any }),
            random: self.random.filter(|_| random_ok),
            scan: self.scan.filter(|_| scan_ok).map(|walk| {
                if walk {
                    ScanMode::Walk
                } else {
                    ScanMode::Once
                }
            }),
            ttl_within: self.ttl_within.map(i64::from),
            errors: self.errors.map(|e| match e % 3 {
                0 => ErrorMatch::Exact,
                1 => ErrorMatch::Code,
                _ => ErrorMatch::Any,
            }),
            note: self.note.as_ref().map(Text::get),
            line: 0,
        }
    }
}

impl ArbExpect {
    fn build(&self, depth: usize) -> Expect {
        let deeper = |items: &[ArbExpect]| items.iter().map(|i| i.build(depth + 1)).collect();
        match self {
            ArbExpect::Array(_)
            | ArbExpect::Map(_)
            | ArbExpect::Set(_)
            | ArbExpect::PerProtocol(..)
                if depth >= MAX_DEPTH =>
            {
                Expect::Null
            }
            ArbExpect::Int(n) => Expect::Int(*n),
            ArbExpect::Bulk(b) => Expect::Bulk(b.clone()),
            ArbExpect::Text(s) => Expect::Bulk(s.clone().into_bytes()),
            ArbExpect::Null => Expect::Null,
            ArbExpect::NilArray => Expect::NilArray,
            ArbExpect::Status(s) => Expect::Status(s.clone()),
            ArbExpect::Error(s) => Expect::Error(s.clone()),
            ArbExpect::ErrorCode(s) => {
                // One word: what `{error_code: ..}` allows.
                let word: String = s.chars().filter(|c| *c != ' ').collect();
                Expect::ErrorCode(if word.is_empty() { "ERR".into() } else { word })
            }
            ArbExpect::Array(items) => Expect::Array(deeper(items)),
            ArbExpect::Set(items) => Expect::Set(deeper(items)),
            ArbExpect::Map(pairs) => Expect::Map(
                pairs
                    .iter()
                    .map(|(k, v)| (k.build(depth + 1), v.build(depth + 1)))
                    .collect(),
            ),
            ArbExpect::Double(d) => Expect::Double(*d),
            ArbExpect::Boolean(b) => Expect::Boolean(*b),
            ArbExpect::PerProtocol(a, b) => Expect::PerProtocol {
                resp2: Box::new(a.build(depth + 1)),
                resp3: Box::new(b.build(depth + 1)),
            },
            ArbExpect::UnixS(n) => Expect::UnixS(*n),
            ArbExpect::UnixMs(n) => Expect::UnixMs(*n),
            ArbExpect::UnixMsInS(n) => Expect::UnixMsInS(*n),
            ArbExpect::MsInS(n) => Expect::MsInS(*n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::libfuzzer::test_n_times;

    #[test]
    fn every_case_file_in_the_repository_round_trips() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cases");
        let mut files = 0;
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "yaml") {
                    text(&std::fs::read(&path).unwrap());
                    files += 1;
                }
            }
        }
        assert!(files > 20, "only {files} case files found");
    }

    #[test]
    fn built_files_round_trip() {
        test_n_times(300, 2048, built);
    }

    #[test]
    fn random_text_never_panics() {
        test_n_times(300, 512, text);
    }
}
