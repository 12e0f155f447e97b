//! The command line: every flag of every subcommand is declared here, with clap's derive, so
//! `hashcheck --help` and this file say the same thing. `main.rs` only maps the outcome to
//! an exit code.
//!
//! Exit codes (ripgrep's convention): 0 when everything passed, 1 when the run found
//! failures (mismatches, divergences), 2 when the run itself could not be done (bad flags,
//! unreachable server, unreadable case file). Clap reports usage errors with 2 as well.
//!
//! Only `serve` exists so far; `run`, `fuzz` and `replay` become further `Command` variants,
//! each with its own `Args` struct and its own module holding the behaviour.

use clap::{Args, Parser, Subcommand};

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
        let Command::Serve(args) = cli.command;
        assert_eq!(
            (args.bind.as_str(), args.port, args.seed),
            ("127.0.0.1", 6380, None)
        );
        let cli =
            Cli::try_parse_from(["hashcheck", "serve", "--port", "0", "--seed", "9"]).unwrap();
        let Command::Serve(args) = cli.command;
        assert_eq!((args.port, args.seed), (0, Some(9)));
        let err = Cli::try_parse_from(["hashcheck", "serve", "--port", "x"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }
}
