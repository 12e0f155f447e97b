//! The command line: every flag of every subcommand is declared here, with clap's derive, so
//! `hashcheck --help` and this file say the same thing. `main.rs` only maps the outcome to
//! an exit code.
//!
//! Exit codes (ripgrep's convention): 0 when everything passed, 1 when the run found
//! failures (mismatches, divergences), 2 when the run itself could not be done (bad flags,
//! unreachable server, unreadable case file). Clap reports usage errors with 2 as well.
//!
//! `serve` and `run` exist; `fuzz` and `replay` become further `Command` variants,
//! each with its own `Args` struct and its own module holding the behaviour.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use reference_engine::Protocol;

use crate::compare::ErrorMatch;
use crate::runner::command::{self as run_command, RunRequest};
use crate::serve::{self, ServeOptions};

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
    /// Serve the reference engine over TCP, like a Redis server, until killed.
    Serve(ServeArgs),
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
            })?;
            Ok(if passed {
                Outcome::Passed
            } else {
                Outcome::FailuresFound
            })
        }
        Command::Serve(args) => {
            serve::serve(&ServeOptions {
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
    fn flags_are_consistent() {
        Cli::command().debug_assert();
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
            "hashcheck", "run", "cases/hset", "--target", "127.0.0.1:6379", "--resp", "3",
            "--filter", "hset/*", "--jobs", "3", "--errors", "code", "--fail-fast",
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
}
