//! The flags of `run` and `matrix`, and the flag types every subcommand shares (connection,
//! durations and sizes, details, errors, protocols).

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use reference_engine::Protocol;

use crate::cases::runner::partition::Partition;
use crate::cases::runner::Details;
use crate::cmd::matrix::MatrixRequest;
use crate::cmd::run::{Format, RunRequest};
use crate::compare::ErrorMatch;
use crate::targets::ConnectOptions;

/// Flags of `hashcheck run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Case files or directories of them (default: the cases/ directory of the workspace,
    /// looked for in the current directory and above).
    pub paths: Vec<PathBuf>,
    /// The server to check, as host:port or redis://host:port (default: the embedded
    /// reference engine); a Redis Cluster as any of its nodes, or a comma-separated list of
    /// them (see docs/cluster.md).
    #[arg(long, value_name = "URL|HOST:PORT")]
    pub target: Option<String>,
    /// Protocols to run each case in.
    #[arg(long, value_enum, default_value = "both")]
    pub resp: RespChoice,
    /// Run only cases whose name, or file path (from any directory on), matches this glob:
    /// `hset/*`, `*/errors`, `*expired*`.
    #[arg(long, value_name = "GLOB")]
    pub filter: Option<String>,
    /// Run share I of N of the cases (`2/4`), for a suite split across CI jobs: a case's
    /// share follows from its file path and name, so it is the same on every machine, and
    /// `hashcheck merge` puts the jobs' JSON reports back together.
    #[arg(long, value_name = "I/N")]
    pub partition: Option<Partition>,
    /// Stop starting cases after the first one that fails.
    #[arg(long)]
    pub fail_fast: bool,
    /// Cases run at once, each on its own connection (default: the CPU count; at least 16
    /// on a server, where waiting cases are idle time).
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Rewrite the expectations of failing steps with the server's replies (refused on the
    /// embedded engine).
    #[arg(long)]
    pub bless: bool,
    /// Allow DEBUG commands on the server: cases that need lazy expiry freeze active expiry
    /// with DEBUG SET-ACTIVE-EXPIRE; without it they are skipped.
    #[arg(long)]
    pub allow_debug: bool,
    /// Run the cases that reach other databases or every key (SELECT, MOVE, SWAPDB, COPY DB,
    /// KEYS, SCAN) on the server, one at a time. For a throwaway server only; without it
    /// they are skipped.
    #[arg(long)]
    pub allow_databases: bool,
    /// How error replies are compared where a step does not say.
    #[arg(long, value_enum, default_value = "exact")]
    pub errors: ErrorsChoice,
    /// Whether Redis's own choices where its contract leaves freedom (order of HGETALL/HKEYS/
    /// HVALS, HSCAN paging, HRANDFIELD picks, OBJECT ENCODING names) are checked. The
    /// default `auto` is `legal` on every server (INFO is not consulted: forks and proxies
    /// copy it) and `strict` on the embedded engine; `strict` checks them on a server too.
    #[arg(long, value_enum, default_value = "auto")]
    pub details: DetailsChoice,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// What the report on stdout looks like.
    #[arg(long, value_enum, default_value = "human")]
    pub format: FormatChoice,
    /// Also write the results as JUnit XML to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also write a Markdown command matrix to FILE.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Known differences (YAML or JSON): only failures it does not list fail the run.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write this run's failures as a baseline to FILE (.json for JSON, else YAML).
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
}

/// Flags of `hashcheck matrix`.
#[derive(Debug, Args)]
pub struct MatrixArgs {
    /// Case files or directories of them (default: the workspace's cases/).
    pub paths: Vec<PathBuf>,
    /// A server to check (repeat for each column), as redis://, rediss:// or host:port.
    #[arg(long, value_name = "URL|HOST:PORT", required = true)]
    pub target: Vec<String>,
    /// Write the Markdown here instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Protocols to run each case in.
    #[arg(long, value_enum, default_value = "both")]
    pub resp: RespChoice,
    /// Run only cases whose name or file path matches this glob.
    #[arg(long, value_name = "GLOB")]
    pub filter: Option<String>,
    /// Cases run at once per server.
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Allow DEBUG SET-ACTIVE-EXPIRE for the cases that need lazy expiry.
    #[arg(long)]
    pub allow_debug: bool,
    /// How error replies are compared where a step does not say.
    #[arg(long, value_enum, default_value = "exact")]
    pub errors: ErrorsChoice,
    /// Whether Redis's own choices are checked (see `hashcheck run --help`).
    #[arg(long, value_enum, default_value = "auto")]
    pub details: DetailsChoice,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// How to reach a server, and what the run may do there (shared by `run` and `matrix`).
#[derive(Debug, Args)]
pub struct ConnectionArgs {
    /// Time allowed for TCP connect, TLS handshake and connection setup (e.g. 5s, 500ms).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub connect_timeout: std::time::Duration,
    /// Time allowed for each command, or each pipelined batch: from sending it to the last
    /// byte of its reply (e.g. 10s).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
    /// The largest reply accepted from the server (its bytes, plus 48 for each element):
    /// 512mb, 64kb, 2gb. A larger one stops the run. The default is Redis's own
    /// proto-max-bulk-len.
    #[arg(long, value_name = "SIZE", default_value = "512mb", value_parser = parse_size)]
    pub max_reply: u64,
    /// TLS (rediss://): trust the CA certificate(s) in this PEM file instead of the system's.
    #[arg(long, value_name = "FILE", conflicts_with = "tls_insecure")]
    pub tls_ca: Option<PathBuf>,
    /// TLS (rediss://): accept any server certificate. Encrypts without authenticating the
    /// server; never the default.
    #[arg(long)]
    pub tls_insecure: bool,
    /// Run even if the database already holds keys (hashcheck still touches only its own).
    #[arg(long)]
    pub allow_nonempty: bool,
}

impl ConnectionArgs {
    pub(crate) fn options(&self) -> ConnectOptions {
        ConnectOptions {
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            max_reply: self.max_reply,
            tls_ca: self.tls_ca.clone(),
            tls_insecure: self.tls_insecure,
            busy_poll: false,
        }
    }
}

/// Every duration flag: `60s`, `10m`, `1h`, `500ms`, or plain seconds (`1.5`); more than
/// zero and at most a week. One reading for all of them, so a unit that works for
/// `--duration` works for `--timeout` too.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let (number, unit) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3_600.0)
    } else {
        (t, 1.0)
    };
    match number.trim().parse::<f64>() {
        Ok(n) if n > 0.0 && n * unit <= 7.0 * 86_400.0 => {
            Ok(std::time::Duration::from_secs_f64(n * unit))
        }
        _ => Err(format!(
            "{text:?} is not a duration like 60s, 10m, 1h, 500ms or 1.5 (at most a week)"
        )),
    }
}

/// A size flag: `512mb`, `64kb`, `2gb`, or plain bytes; at least 1 KB (a reply limit
/// smaller than INFO's answer could not connect at all).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim().to_ascii_lowercase();
    let (number, unit) = if let Some(n) = t.strip_suffix("gb") {
        (n, 1u64 << 30)
    } else if let Some(n) = t.strip_suffix("mb") {
        (n, 1 << 20)
    } else if let Some(n) = t.strip_suffix("kb") {
        (n, 1 << 10)
    } else {
        (t.strip_suffix('b').unwrap_or(&t), 1)
    };
    match number
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
    {
        Some(n) if n >= 1024 => Ok(n),
        _ => Err(format!(
            "{text:?} is not a size like 512mb, 64kb or 2gb (at least 1kb)"
        )),
    }
}

/// `--details`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DetailsChoice {
    /// Legal on a server, strict on the embedded engine (the default; never read from INFO).
    Auto,
    /// Compare Redis's choices as the cases write them.
    Strict,
    /// Only what Redis promises.
    Legal,
}

impl From<DetailsChoice> for Details {
    fn from(choice: DetailsChoice) -> Self {
        match choice {
            DetailsChoice::Auto => Details::Auto,
            DetailsChoice::Strict => Details::Strict,
            DetailsChoice::Legal => Details::Legal,
        }
    }
}

/// `--format`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatChoice {
    /// Diffs, skips, the command table and a summary line.
    Human,
    /// One JSON document (schema in docs/report-format.md).
    Json,
}

/// `--resp`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RespChoice {
    #[value(name = "2")]
    Two,
    #[value(name = "3")]
    Three,
    Both,
}

impl RespChoice {
    pub fn protocols(self) -> Vec<Protocol> {
        match self {
            RespChoice::Two => vec![Protocol::Resp2],
            RespChoice::Three => vec![Protocol::Resp3],
            RespChoice::Both => vec![Protocol::Resp2, Protocol::Resp3],
        }
    }
}

/// `--errors`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ErrorsChoice {
    /// The whole text.
    Exact,
    /// The code only (ERR, WRONGTYPE, ...).
    Code,
    /// Any error matches any error.
    Any,
}

impl From<ErrorsChoice> for ErrorMatch {
    fn from(choice: ErrorsChoice) -> Self {
        match choice {
            ErrorsChoice::Exact => ErrorMatch::Exact,
            ErrorsChoice::Code => ErrorMatch::Code,
            ErrorsChoice::Any => ErrorMatch::Any,
        }
    }
}

impl RunArgs {
    /// What the flags ask of `hashcheck run`.
    pub fn request(self) -> RunRequest {
        RunRequest {
            paths: self.paths,
            target: self.target,
            protocols: self.resp.protocols(),
            filter: self.filter,
            partition: self.partition,
            fail_fast: self.fail_fast,
            jobs: self.jobs.map(usize::from),
            bless: self.bless,
            allow_debug: self.allow_debug,
            allow_databases: self.allow_databases,
            errors: self.errors.into(),
            details: self.details.into(),
            connect: self.connection.options(),
            allow_nonempty: self.connection.allow_nonempty,
            format: match self.format {
                FormatChoice::Human => Format::Human,
                FormatChoice::Json => Format::Json,
            },
            junit: self.junit,
            markdown: self.markdown,
            baseline: self.baseline,
            write_baseline: self.write_baseline,
        }
    }
}

impl MatrixArgs {
    /// What the flags ask of `hashcheck matrix`.
    pub fn request(self) -> MatrixRequest {
        MatrixRequest {
            run: RunRequest {
                paths: self.paths,
                protocols: self.resp.protocols(),
                filter: self.filter,
                jobs: self.jobs.map(usize::from),
                allow_debug: self.allow_debug,
                errors: self.errors.into(),
                details: self.details.into(),
                connect: self.connection.options(),
                allow_nonempty: self.connection.allow_nonempty,
                ..RunRequest::default()
            },
            targets: self.target,
            output: self.output,
        }
    }
}
