//! The command line: every flag of every subcommand is declared here, with clap's derive, so
//! `hashcheck --help` and this file say the same thing. `main.rs` only maps the outcome to
//! an exit code.
//!
//! Exit codes (ripgrep's convention): 0 when everything passed, 1 when the run found
//! failures (mismatches, divergences), 2 when the run itself could not be done (bad flags,
//! unreachable server, unreadable case file). Clap reports usage errors with 2 as well.
//!
//! Each subcommand has its own `Args` struct here and its body in `cmd/` (one file each).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use reference_engine::Protocol;

use crate::cases::runner::Details;
use crate::cmd::matrix::{self, MatrixRequest};
use crate::cmd::run::{self as run_command, Format, RunRequest};
use crate::compare::ErrorMatch;
use crate::cmd::replay::{self, ReplayRequest};
use crate::cmd::serve::{self, ServeOptions};
use crate::fuzz::libfuzzer::replay::Kind as ReplayKind;
use crate::targets::ConnectOptions;

/// hashcheck: conformance harness and differential fuzzer for the Redis hash commands.
#[derive(Debug, Parser)]
#[command(name = "hashcheck", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run YAML cases against the embedded engine or a server.
    Run(RunArgs),
    /// Run the cases against several servers and write one compatibility matrix (Markdown).
    Matrix(MatrixArgs),
    /// Serve the reference engine over TCP, like a Redis server, until killed.
    Serve(ServeArgs),
    /// Turn a fuzz artifact (of the engine or differential target) into a YAML case.
    Replay(ReplayArgs),
    /// Send random hash commands to a server and the reference engine, compare every reply,
    /// and write each kind of divergence, shrunk, as a YAML case.
    Fuzz(FuzzArgs),
    /// Map which keywords, value classes and reply paths of each hash command the cases
    /// exercise, in RESP2 and RESP3; exit 1 when one is not exercised.
    Coverage(CoverageArgs),
}

/// Flags of `hashcheck coverage`.
#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Case files or directories (default: cases/).
    pub paths: Vec<PathBuf>,
    /// Print only the summary and the unexercised entries, not every entry.
    #[arg(long)]
    pub gaps_only: bool,
}

/// Flags of `hashcheck fuzz`.
#[derive(Debug, Args)]
pub struct FuzzArgs {
    /// The server to check, as redis://, rediss:// or host:port.
    #[arg(long, value_name = "URL|HOST:PORT")]
    pub target: String,
    /// The run's seed: the same seed sends the same commands (default: random, printed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Stop after this many generated commands.
    #[arg(long, value_name = "N", conflicts_with = "duration")]
    pub ops: Option<u64>,
    /// Stop after this long: 60s, 10m, 1h, 500ms (default 60s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<std::time::Duration>,
    /// Pin one protocol. By default each lane switches between RESP2 and RESP3 every
    /// few thousand commands, so every run checks both.
    #[arg(long, value_enum)]
    pub resp: Option<ProtocolChoice>,
    /// Where to write the shrunk reproductions, one YAML case file each.
    #[arg(long, value_name = "DIR", default_value = "fuzz-out")]
    pub out: PathBuf,
    /// Only these commands, comma-separated (`HSET,HGETEX`, or `all`); default: a random
    /// subset chosen by the seed.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub commands: Option<Vec<String>>,
    /// Freeze background expiry for the run (DEBUG SET-ACTIVE-EXPIRE 0, set back to 1 at
    /// the end), so expired fields stay until touched.
    #[arg(long)]
    pub allow_debug: bool,
    /// Shrink and write at most this many kinds of divergence, the worst first: a wrong
    /// value or type, then a missing or extra error, then another error text. Once that
    /// many are found the run looks on for worse ones until it is 10 times as old, or
    /// stops at once if all are wrong values.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..))]
    pub max_cases: u16,
    /// Time allowed for shrinking each divergence.
    #[arg(long, value_name = "DURATION", default_value = "120s", value_parser = parse_duration)]
    pub shrink_time: std::time::Duration,
    /// How error replies are compared: `any` looks past error texts for other differences.
    #[arg(long, value_enum, default_value = "exact")]
    pub errors: ErrorsChoice,
    /// Whether Redis's own choices where its contract leaves freedom are compared: `strict`
    /// also compares the order of HGETALL/HKEYS/HVALS on small hashes (for Redis itself).
    /// The default (`auto` = `legal` on a server) compares only what Redis promises.
    #[arg(long, value_enum, default_value = "auto")]
    pub details: DetailsChoice,
    /// Parallel lanes, each on its own connection with its own keys, engine and seed
    /// (lane 0 runs on --seed itself). More lanes keep the server busier.
    #[arg(long, short = 'j', value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `fuzz --resp`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProtocolChoice {
    #[value(name = "2")]
    Two,
    #[value(name = "3")]
    Three,
}

/// Flags of `hashcheck replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The artifact: the bytes of an input the fuzz target crashed on
    /// (`fuzz/artifacts/<target>/crash-...`).
    pub file: PathBuf,
    /// Write the case here instead of to standard output.
    #[arg(long, value_name = "CASE.yaml")]
    pub out: Option<PathBuf>,
    /// The target the artifact belongs to (default: from its path, else engine).
    #[arg(long, value_enum)]
    pub target: Option<FuzzTargetChoice>,
}

/// `replay --target`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FuzzTargetChoice {
    Engine,
    Differential,
}

/// Flags of `hashcheck serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: String,
    /// Port to listen on; 0 picks a free one (the startup line says which).
    #[arg(long, default_value_t = 6380)]
    pub port: u16,
    /// Seed for HRANDFIELD's random choices.
    #[arg(long)]
    pub seed: Option<u64>,
}

/// Flags of `hashcheck run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Case files or directories of them (default: the cases/ directory of the workspace,
    /// looked for in the current directory and above).
    pub paths: Vec<PathBuf>,
    /// The server to check, as host:port or redis://host:port (default: the embedded
    /// reference engine).
    #[arg(long, value_name = "URL|HOST:PORT")]
    pub target: Option<String>,
    /// Protocols to run each case in.
    #[arg(long, value_enum, default_value = "both")]
    pub resp: RespChoice,
    /// Run only cases whose name, or file path (from any directory on), matches this glob:
    /// `hset/*`, `*/errors`, `*expired*`.
    #[arg(long, value_name = "GLOB")]
    pub filter: Option<String>,
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
    fn options(&self) -> ConnectOptions {
        ConnectOptions {
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            max_reply: self.max_reply,
            tls_ca: self.tls_ca.clone(),
            tls_insecure: self.tls_insecure,
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

/// How a run ended, when it could be carried out at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything checked passed (exit 0).
    Passed,
    /// The run found failures (exit 1).
    FailuresFound,
}

/// Runs the chosen subcommand. `Err` means the run itself failed (exit 2).
pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Run(args) => {
            // Ctrl-C stops the run cleanly, so its keys are deleted.
            crate::interrupt::install();
            let passed = run_command::execute(&RunRequest {
                paths: args.paths,
                target: args.target,
                protocols: args.resp.protocols(),
                filter: args.filter,
                fail_fast: args.fail_fast,
                jobs: args.jobs.map(usize::from),
                bless: args.bless,
                allow_debug: args.allow_debug,
                errors: args.errors.into(),
                details: args.details.into(),
                connect: args.connection.options(),
                allow_nonempty: args.connection.allow_nonempty,
                format: match args.format {
                    FormatChoice::Human => Format::Human,
                    FormatChoice::Json => Format::Json,
                },
                junit: args.junit,
                markdown: args.markdown,
                baseline: args.baseline,
                write_baseline: args.write_baseline,
            })?;
            Ok(if passed {
                Outcome::Passed
            } else {
                Outcome::FailuresFound
            })
        }
        Command::Matrix(args) => {
            crate::interrupt::install();
            let passed = matrix::execute(&MatrixRequest {
                run: RunRequest {
                    paths: args.paths,
                    protocols: args.resp.protocols(),
                    filter: args.filter,
                    jobs: args.jobs.map(usize::from),
                    allow_debug: args.allow_debug,
                    errors: args.errors.into(),
                    details: args.details.into(),
                    connect: args.connection.options(),
                    allow_nonempty: args.connection.allow_nonempty,
                    ..RunRequest::default()
                },
                targets: args.target,
                output: args.output,
            })?;
            Ok(if passed {
                Outcome::Passed
            } else {
                Outcome::FailuresFound
            })
        }
        Command::Replay(args) => {
            replay::execute(&ReplayRequest {
                artifact: args.file,
                out: args.out,
                kind: args.target.map(|t| match t {
                    FuzzTargetChoice::Engine => ReplayKind::Engine,
                    FuzzTargetChoice::Differential => ReplayKind::Differential,
                }),
            })?;
            Ok(Outcome::Passed)
        }
        Command::Fuzz(args) => {
            let clean = crate::cmd::fuzz::execute(&crate::fuzz::campaign::FuzzRequest {
                target: args.target,
                seed: args.seed,
                length: match (args.ops, args.duration) {
                    (Some(n), _) => crate::fuzz::campaign::Length::Ops(n),
                    (None, Some(d)) => crate::fuzz::campaign::Length::Time(d),
                    (None, None) => {
                        crate::fuzz::campaign::Length::Time(std::time::Duration::from_secs(60))
                    }
                },
                protocol: args.resp.map(|p| match p {
                    ProtocolChoice::Two => Protocol::Resp2,
                    ProtocolChoice::Three => Protocol::Resp3,
                }),
                out: args.out,
                commands: args.commands,
                allow_debug: args.allow_debug,
                connect: args.connection.options(),
                allow_nonempty: args.connection.allow_nonempty,
                max_cases: usize::from(args.max_cases),
                shrink_time: args.shrink_time,
                errors: args.errors.into(),
                details: args.details.into(),
                jobs: usize::from(args.jobs),
            })?;
            Ok(if clean {
                Outcome::Passed
            } else {
                Outcome::FailuresFound
            })
        }
        Command::Coverage(args) => {
            let full = crate::cmd::coverage::execute(&args.paths, args.gaps_only)?;
            Ok(if full {
                Outcome::Passed
            } else {
                Outcome::FailuresFound
            })
        }
        Command::Serve(args) => {
            serve::execute(&ServeOptions {
                bind: args.bind,
                port: args.port,
                seed: args.seed,
            })?;
            Ok(Outcome::Passed)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn every_duration_flag_reads_the_same_units() {
        assert_eq!(
            parse_duration("60s"),
            Ok(std::time::Duration::from_secs(60))
        );
        assert_eq!(
            parse_duration("10m"),
            Ok(std::time::Duration::from_secs(600))
        );
        assert_eq!(
            parse_duration("1h"),
            Ok(std::time::Duration::from_secs(3_600))
        );
        assert_eq!(
            parse_duration("500ms"),
            Ok(std::time::Duration::from_millis(500))
        );
        assert_eq!(
            parse_duration("2.5"),
            Ok(std::time::Duration::from_millis(2_500))
        );
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("8d").is_err());
        assert!(parse_duration("169h").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512mb"), Ok(512 << 20));
        assert_eq!(parse_size("64KB"), Ok(64 << 10));
        assert_eq!(parse_size("2gb"), Ok(2 << 30));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("100").is_err());
        assert!(parse_size("1x").is_err());
        assert!(parse_size("-1mb").is_err());
        let cli = Cli::try_parse_from(["hashcheck", "fuzz", "--target", "h:1"]).unwrap();
        let Command::Fuzz(args) = cli.command else {
            panic!("not fuzz")
        };
        assert_eq!(
            args.connection.max_reply,
            crate::targets::wire::DEFAULT_MAX_REPLY
        );
    }

    #[test]
    fn flags_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn replay_flags() {
        let cli = Cli::try_parse_from(["hashcheck", "replay", "crash-1"]).unwrap();
        let Command::Replay(args) = cli.command else {
            panic!("not replay")
        };
        assert_eq!(
            (args.file, args.out, args.target),
            ("crash-1".into(), None, None)
        );
        let cli = Cli::try_parse_from([
            "hashcheck",
            "replay",
            "a",
            "--out",
            "c.yaml",
            "--target",
            "differential",
        ])
        .unwrap();
        let Command::Replay(args) = cli.command else {
            panic!("not replay")
        };
        assert_eq!(args.out, Some(PathBuf::from("c.yaml")));
        assert_eq!(args.target, Some(FuzzTargetChoice::Differential));
        assert!(Cli::try_parse_from(["hashcheck", "replay"]).is_err());
    }

    #[test]
    fn serve_defaults_and_flags() {
        let cli = Cli::try_parse_from(["hashcheck", "serve"]).unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("not serve")
        };
        assert_eq!(
            (args.bind.as_str(), args.port, args.seed),
            ("127.0.0.1", 6380, None)
        );
        let cli =
            Cli::try_parse_from(["hashcheck", "serve", "--port", "0", "--seed", "9"]).unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("not serve")
        };
        assert_eq!((args.port, args.seed), (0, Some(9)));
        let err = Cli::try_parse_from(["hashcheck", "serve", "--port", "x"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn run_defaults_and_flags() {
        let cli = Cli::try_parse_from(["hashcheck", "run"]).unwrap();
        let Command::Run(args) = cli.command else {
            panic!("not run")
        };
        assert!(args.paths.is_empty());
        assert_eq!(args.resp, RespChoice::Both);
        assert_eq!(args.errors, ErrorsChoice::Exact);
        assert!(!args.bless && !args.fail_fast && !args.allow_debug);
        let cli = Cli::try_parse_from([
            "hashcheck",
            "run",
            "cases/hset",
            "--target",
            "127.0.0.1:6379",
            "--resp",
            "3",
            "--filter",
            "hset/*",
            "--jobs",
            "3",
            "--errors",
            "code",
            "--fail-fast",
        ])
        .unwrap();
        let Command::Run(args) = cli.command else {
            panic!("not run")
        };
        assert_eq!(args.paths, vec![PathBuf::from("cases/hset")]);
        assert_eq!(args.resp.protocols(), vec![Protocol::Resp3]);
        assert_eq!((args.jobs, args.errors), (Some(3), ErrorsChoice::Code));
        assert!(Cli::try_parse_from(["hashcheck", "run", "--resp", "4"]).is_err());
        assert!(Cli::try_parse_from(["hashcheck", "run", "--jobs", "0"]).is_err());
    }

    #[test]
    fn fuzz_defaults_and_flags() {
        let cli = Cli::try_parse_from(["hashcheck", "fuzz", "--target", "127.0.0.1:6379"]).unwrap();
        let Command::Fuzz(args) = cli.command else {
            panic!("not fuzz")
        };
        assert_eq!((args.seed, args.ops, args.duration), (None, None, None));
        // Both protocols and legal details unless told otherwise.
        assert_eq!(args.resp, None);
        assert_eq!(args.details, DetailsChoice::Auto);
        assert_eq!(args.out, PathBuf::from("fuzz-out"));
        assert!(args.commands.is_none() && !args.allow_debug);
        let cli = Cli::try_parse_from([
            "hashcheck",
            "fuzz",
            "--target",
            "redis://h:1",
            "--seed",
            "5",
            "--duration",
            "10m",
            "--resp",
            "3",
            "--out",
            "o",
            "--commands",
            "HSET,hgetex",
            "--allow-debug",
            "--details",
            "strict",
        ])
        .unwrap();
        let Command::Fuzz(args) = cli.command else {
            panic!("not fuzz")
        };
        assert_eq!(args.duration, Some(std::time::Duration::from_secs(600)));
        assert_eq!(
            args.commands,
            Some(vec!["HSET".to_string(), "hgetex".to_string()])
        );
        assert_eq!(
            (args.seed, args.resp),
            (Some(5), Some(ProtocolChoice::Three))
        );
        assert_eq!(args.details, DetailsChoice::Strict);
        // A run has one length, and a target.
        assert!(Cli::try_parse_from([
            "hashcheck",
            "fuzz",
            "--target",
            "h:1",
            "--ops",
            "5",
            "--duration",
            "1s"
        ])
        .is_err());
        assert!(Cli::try_parse_from(["hashcheck", "fuzz"]).is_err());
        assert!(
            Cli::try_parse_from(["hashcheck", "fuzz", "--target", "h:1", "--resp", "4"]).is_err()
        );
    }
}
