//! Case files: what a YAML case says, as plain data.
//!
//! A [`CaseFile`] holds cases about one command page or behaviour; a [`Case`] is a list of
//! [`Step`]s, each sending one command and (usually) saying what must come back. The format
//! is specified in the project's case-format notes; [`yaml`] reads and writes it, and is the
//! only module that knows about YAML.
//!
//! Every step remembers its line, so a loader error, a mismatch or a transport failure can
//! always be reported as `cases/hset/x.yaml:14: ...`.

use std::fmt;
use std::path::{Path, PathBuf};

use reference_engine::{Protocol, Reply};

use crate::compare::ErrorMatch;

pub mod yaml;

pub use yaml::{load, load_str, replace_expectations, write};

/// Where something is in a case file. Lines count from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// A case file that could not be read or does not follow the format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{loc}: {message}")]
pub struct CaseError {
    pub loc: Location,
    pub message: String,
}

/// A Redis version as `since:` writes it (`"7.4.0"`; missing parts are 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    /// Reads `8`, `8.2` or `8.2.3`; anything after a `-` (`7.4.0-rc1`) is ignored.
    pub fn parse(text: &str) -> Option<Version> {
        let core = text.trim().split('-').next()?;
        let mut parts = core.split('.').map(|p| p.parse::<u32>().ok());
        let major = parts.next()??;
        let minor = parts.next().unwrap_or(Some(0))?;
        let patch = parts.next().unwrap_or(Some(0))?;
        if parts.next().is_some() {
            return None;
        }
        Some(Version(major, minor, patch))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// One YAML file of cases.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFile {
    pub path: PathBuf,
    /// The comment lines at the top of the file, kept so that rewriting a file (`--bless`)
    /// does not drop its heading.
    pub header: Vec<String>,
    /// The doc page (and section) the cases come from.
    pub source: String,
    /// One line saying what the cases show.
    pub behaviour: String,
    pub since: Option<Version>,
    pub tags: Vec<String>,
    pub cases: Vec<Case>,
}

impl CaseFile {
    /// The location of `line` in this file.
    pub fn at(&self, line: usize) -> Location {
        Location {
            file: self.path.clone(),
            line,
        }
    }

    /// The same file with every line number set to 0, for comparing two loads of files
    /// laid out differently.
    pub fn without_lines(&self) -> CaseFile {
        let mut copy = self.clone();
        for case in &mut copy.cases {
            case.line = 0;
            for step in &mut case.steps {
                match step {
                    Step::Send(send) => send.line = 0,
                    Step::Wait { line, .. } => *line = 0,
                }
            }
        }
        copy
    }

    /// The file's path relative to `base` when it is under it, for shorter reports.
    pub fn display_path(&self, base: &Path) -> PathBuf {
        self.path
            .strip_prefix(base)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| self.path.clone())
    }
}

/// Something a case needs from the target beyond plain commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// Expired fields stay until a command touches them (no background reclaiming).
    LazyExpiry,
    /// Steps send DEBUG commands.
    Debug,
    /// Steps reach beyond the case's own keys in one database: SELECT, MOVE, SWAPDB, COPY
    /// with DB, KEYS, SCAN. On a server such a case runs only with `--allow-databases`,
    /// alone, and its keys are deleted from every database afterwards.
    Databases,
}

impl Capability {
    pub const ALL: [Capability; 3] = [
        Capability::LazyExpiry,
        Capability::Debug,
        Capability::Databases,
    ];

    /// The name used in `requires:`.
    pub fn name(self) -> &'static str {
        match self {
            Capability::LazyExpiry => "lazy-expiry",
            Capability::Debug => "debug",
            Capability::Databases => "databases",
        }
    }
}

/// One case: a name and the steps to run from an empty set of keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub name: String,
    /// The line of `- name:`.
    pub line: usize,
    /// Overrides the file's `since`.
    pub since: Option<Version>,
    /// The protocols to run the case in, in order; `[Resp2, Resp3]` unless restricted.
    pub resp: Vec<Protocol>,
    pub requires: Vec<Capability>,
    pub note: Option<String>,
    pub steps: Vec<Step>,
}

impl Case {
    /// The minimum version for this case: its own, else the file's.
    pub fn since<'a>(&'a self, file: &'a CaseFile) -> Option<Version> {
        self.since.or(file.since)
    }

    /// How long the case waits in all, in ms (real time on a network target).
    pub fn total_wait_ms(&self) -> u64 {
        self.steps
            .iter()
            .map(|s| match s {
                Step::Wait { ms, .. } => *ms,
                Step::Send(_) => 0,
            })
            .sum()
    }
}

/// The longest `wait:` a case may have, in ms: an hour. A wait runs in real time on a
/// server, and a typo (or `wait: 18446744073709551615`) must not hold a CI job forever.
pub const MAX_WAIT_MS: u64 = 3_600_000;

/// One step of a case.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Send(Send),
    /// Lets `ms` milliseconds pass (virtually on the engine, really on a server).
    Wait {
        ms: u64,
        line: usize,
        note: Option<String>,
    },
}

impl Step {
    pub fn line(&self) -> usize {
        match self {
            Step::Send(send) => send.line,
            Step::Wait { line, .. } => *line,
        }
    }
}

/// A command to send, what must come back, and how strictly to compare.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Send {
    pub args: Vec<Arg>,
    /// None: the reply is not checked (set-up steps).
    pub expect: Option<Expect>,
    /// `order:`; None means the command's default.
    pub order: Option<Order>,
    /// `random:`; None means the command's default (true for HRANDFIELD).
    pub random: Option<bool>,
    /// `scan:`; None means the command's default (a walk for HSCAN from cursor 0).
    pub scan: Option<ScanMode>,
    /// `ttl_within:`; None means the command's default tolerance.
    pub ttl_within: Option<i64>,
    /// `errors:`; None means the run's setting.
    pub errors: Option<ErrorMatch>,
    pub note: Option<String>,
    /// The line of `- send:`.
    pub line: usize,
}

impl Send {
    /// The command name, upper-cased, for defaults and reports.
    pub fn command(&self) -> String {
        match self.args.first() {
            Some(Arg::Bytes(b)) => String::from_utf8_lossy(b).to_ascii_uppercase(),
            _ => String::new(),
        }
    }

    /// The command as the case writes it (`HSET myhash f v`), for reports.
    pub fn display(&self) -> String {
        self.args
            .iter()
            .map(Arg::display)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// One argument of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Bytes(Vec<u8>),
    /// Unix seconds: ceil(now / 1000) + this, when the step runs.
    UnixS(i64),
    /// Unix milliseconds: now + this, when the step runs.
    UnixMs(i64),
}

impl Arg {
    /// The argument's value when the step runs at `now_ms`.
    pub fn resolve(&self, now_ms: i64) -> Vec<u8> {
        match self {
            Arg::Bytes(b) => b.clone(),
            Arg::UnixS(offset) => (unix_s(now_ms) + offset).to_string().into_bytes(),
            Arg::UnixMs(offset) => (now_ms + offset).to_string().into_bytes(),
        }
    }

    /// Whether the value depends on the time the step runs.
    pub fn is_relative_time(&self) -> bool {
        !matches!(self, Arg::Bytes(_))
    }

    fn display(&self) -> String {
        match self {
            Arg::Bytes(b) => display_word(b),
            Arg::UnixS(n) => format!("{{unix_s: {n}}}"),
            Arg::UnixMs(n) => format!("{{unix_ms: {n}}}"),
        }
    }
}

/// An argument as redis-cli would accept it back: bare when plain, quoted with escapes
/// otherwise.
pub fn display_word(bytes: &[u8]) -> String {
    let plain = !bytes.is_empty()
        && bytes
            .iter()
            .all(|&b| b.is_ascii_graphic() && b != b'"' && b != b'\'' && b != b'\\');
    if plain {
        String::from_utf8_lossy(bytes).into_owned()
    } else {
        reference_engine::reply::quote(bytes)
    }
}

/// Unix seconds as `{unix_s: n}` counts them: the next whole second, so that a time "100 s
/// from now" is never less than 100 s away.
pub fn unix_s(now_ms: i64) -> i64 {
    ceil_s(now_ms)
}

/// How the elements of a collection reply are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// As a multiset (pairs kept together for HGETALL).
    Any,
    /// In order.
    Exact,
}

/// How an HSCAN step is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanMode {
    /// Follow the cursor to the end and compare the union of what came back.
    Walk,
    /// Send the one call and compare its reply as it is.
    Once,
}

/// An expected reply, as the case writes it. RESP3-shaped; [`Expect::to_reply`] gives the
/// reply for either protocol.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    Int(i64),
    Bulk(Vec<u8>),
    /// `null`: `$-1` in RESP2, `_` in RESP3.
    Null,
    /// `{nil_array: true}`: `*-1` in RESP2, `_` in RESP3.
    NilArray,
    /// `{status: OK}`
    Status(String),
    /// `{error: "..."}`: the whole text.
    Error(String),
    /// `{error_code: WRONGTYPE}`: any error with that code.
    ErrorCode(String),
    Array(Vec<Expect>),
    Map(Vec<(Expect, Expect)>),
    Set(Vec<Expect>),
    Double(f64),
    Boolean(bool),
    /// `{resp2: .., resp3: ..}`
    PerProtocol {
        resp2: Box<Expect>,
        resp3: Box<Expect>,
    },
    /// `{unix_s: n}`: an integer, ceil(now / 1000) + n when the step runs.
    UnixS(i64),
    /// `{unix_ms: n}`: an integer, now + n when the step runs.
    UnixMs(i64),
    /// `{unix_ms_in_s: n}`: the instant now + n ms in whole unix seconds, rounded up: what
    /// HEXPIRETIME reads for a deadline n ms away. Unlike `{unix_s}`, it keeps the
    /// milliseconds, so the reading does not depend on where in its second the case runs.
    UnixMsInS(i64),
    /// `{ms_in_s: n}`: n ms in whole seconds, rounded up: what HTTL reads with n ms left.
    MsInS(i64),
}

/// `ms` in whole seconds, rounded up (how HTTL and HEXPIRETIME read milliseconds).
pub fn ceil_s(ms: i64) -> i64 {
    ms.div_euclid(1000) + i64::from(ms.rem_euclid(1000) != 0)
}

impl Expect {
    /// The reply a client of `protocol` must read, for a step run at `now_ms`.
    pub fn to_reply(&self, protocol: Protocol, now_ms: i64) -> Reply {
        self.to_reply_after(protocol, now_ms, 0, None)
    }

    /// [`Expect::to_reply`] for a server whose clock ran `lag_ms` ahead of the case's own
    /// time (the case's waits) by this step: a deadline set earlier in the case fell due up
    /// to that much sooner than the case says, so a time reading (`{unix_s}`, `{unix_ms}`,
    /// `{unix_ms_in_s}`, `{ms_in_s}`) may be the one of up to `lag_ms` earlier. Where
    /// `actual` has an integer in that range, it is the one expected; otherwise the case's
    /// own value is.
    pub fn to_reply_after(
        &self,
        protocol: Protocol,
        now_ms: i64,
        lag_ms: i64,
        actual: Option<&Reply>,
    ) -> Reply {
        let resp3 = self.resp3_reply(protocol, now_ms, lag_ms, actual);
        reference_engine::resp::canonical(&resp3, protocol)
    }

    /// The RESP3-shaped reply, with `{resp2, resp3}` resolved for `protocol`.
    fn resp3_reply(
        &self,
        protocol: Protocol,
        now_ms: i64,
        lag: i64,
        actual: Option<&Reply>,
    ) -> Reply {
        let r = |e: &Expect| e.resp3_reply(protocol, now_ms, lag, None);
        // `read(ms) + plus`, or the integer of `actual` if that is what it gives for some
        // time up to `lag` ms before `ms`.
        let within = |ms: i64, read: fn(i64) -> i64, plus: i64| {
            let lo = read(ms.saturating_sub(lag)).saturating_add(plus);
            let hi = read(ms).saturating_add(plus);
            match actual {
                Some(Reply::Integer(a)) if (lo..=hi).contains(a) => *a,
                _ => hi,
            }
        };
        let same = |ms: i64| ms;
        match self {
            Expect::Int(n) => Reply::Integer(*n),
            Expect::Bulk(b) => Reply::Bulk(b.clone()),
            Expect::Null => Reply::Null,
            Expect::NilArray => Reply::NullArray,
            Expect::Status(s) => Reply::Simple(s.clone()),
            Expect::Error(s) => Reply::Error(s.clone()),
            // The comparison is told to look at the code only; the text is a placeholder.
            Expect::ErrorCode(code) => Reply::Error(code.clone()),
            Expect::Array(items) => {
                let actual_at = |i: usize| match actual {
                    Some(Reply::Array(a)) => a.get(i),
                    _ => None,
                };
                Reply::Array(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, e)| e.resp3_reply(protocol, now_ms, lag, actual_at(i)))
                        .collect(),
                )
            }
            Expect::Map(pairs) => Reply::Map(pairs.iter().map(|(k, v)| (r(k), r(v))).collect()),
            Expect::Set(items) => Reply::Set(items.iter().map(r).collect()),
            Expect::Double(d) => Reply::Double(*d),
            Expect::Boolean(b) => Reply::Boolean(*b),
            Expect::PerProtocol { resp2, resp3 } => match protocol {
                Protocol::Resp2 => resp2.resp3_reply(protocol, now_ms, lag, actual),
                Protocol::Resp3 => resp3.resp3_reply(protocol, now_ms, lag, actual),
            },
            Expect::UnixS(n) => Reply::Integer(within(now_ms, unix_s, *n)),
            Expect::UnixMs(d) => Reply::Integer(within(now_ms.saturating_add(*d), same, 0)),
            Expect::UnixMsInS(d) => Reply::Integer(within(now_ms.saturating_add(*d), ceil_s, 0)),
            Expect::MsInS(ms) => Reply::Integer(within(*ms, ceil_s, 0)),
        }
    }

    /// Whether the expectation matches errors by code only.
    pub fn has_error_code(&self) -> bool {
        match self {
            Expect::ErrorCode(_) => true,
            Expect::PerProtocol { resp2, resp3 } => {
                resp2.has_error_code() || resp3.has_error_code()
            }
            _ => false,
        }
    }

    /// Whether the expectation contains `{unix_s}`, `{unix_ms}` or `{unix_ms_in_s}`.
    pub fn is_time_relative(&self) -> bool {
        match self {
            Expect::UnixS(_) | Expect::UnixMs(_) | Expect::UnixMsInS(_) => true,
            Expect::Array(items) | Expect::Set(items) => items.iter().any(Expect::is_time_relative),
            Expect::Map(pairs) => pairs
                .iter()
                .any(|(k, v)| k.is_time_relative() || v.is_time_relative()),
            Expect::PerProtocol { resp2, resp3 } => {
                resp2.is_time_relative() || resp3.is_time_relative()
            }
            _ => false,
        }
    }

    /// An expectation that says exactly `reply` (RESP3-shaped or RESP2). Where `like` had a
    /// time relative to now at the same place, the integer is written relative again, so a
    /// blessed expectation stays valid tomorrow.
    pub fn from_reply(reply: &Reply, like: Option<&Expect>, now_ms: i64) -> Expect {
        let like_at = |i: usize| match like {
            Some(Expect::Array(items)) | Some(Expect::Set(items)) => items.get(i),
            _ => None,
        };
        match reply {
            Reply::Integer(n) => match like {
                Some(Expect::UnixS(_)) => Expect::UnixS(n - unix_s(now_ms)),
                Some(Expect::UnixMs(_)) => Expect::UnixMs(n - now_ms),
                // A reading in seconds keeps the milliseconds it was written with while they
                // still give it; otherwise the end of that second.
                Some(Expect::UnixMsInS(d)) if ceil_s(now_ms.saturating_add(*d)) == *n => {
                    Expect::UnixMsInS(*d)
                }
                Some(Expect::UnixMsInS(_)) => {
                    Expect::UnixMsInS(n.saturating_mul(1000).saturating_sub(now_ms))
                }
                Some(Expect::MsInS(ms)) if ceil_s(*ms) == *n => Expect::MsInS(*ms),
                Some(Expect::MsInS(_)) => Expect::MsInS(n.saturating_mul(1000)),
                _ => Expect::Int(*n),
            },
            Reply::Simple(s) => Expect::Status(s.clone()),
            Reply::Error(e) => match like {
                Some(Expect::ErrorCode(_)) => {
                    Expect::ErrorCode(e.split(' ').next().unwrap_or_default().to_string())
                }
                _ => Expect::Error(e.clone()),
            },
            Reply::Bulk(b) => Expect::Bulk(b.clone()),
            Reply::Null => Expect::Null,
            Reply::NullArray => Expect::NilArray,
            Reply::Array(items) => Expect::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, r)| Expect::from_reply(r, like_at(i), now_ms))
                    .collect(),
            ),
            Reply::Set(items) => Expect::Set(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, r)| Expect::from_reply(r, like_at(i), now_ms))
                    .collect(),
            ),
            Reply::Map(pairs) => Expect::Map(
                pairs
                    .iter()
                    .map(|(k, v)| {
                        (
                            Expect::from_reply(k, None, now_ms),
                            Expect::from_reply(v, None, now_ms),
                        )
                    })
                    .collect(),
            ),
            Reply::Double(d) => Expect::Double(*d),
            Reply::Boolean(b) => Expect::Boolean(*b),
            Reply::BigNumber(n) => Expect::Bulk(n.clone().into_bytes()),
            Reply::Verbatim { text, .. } => Expect::Bulk(text.clone()),
        }
    }
}

#[cfg(test)]
mod tests;

/// A case file's path from its command directory on (`hexpire/errors.yaml`), so a baseline
/// works from any working directory.
pub fn case_path(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    match text.rfind("cases/") {
        Some(i) => text[i + "cases/".len()..].to_string(),
        None => text,
    }
}
