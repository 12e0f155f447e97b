//! The command line: every flag of every subcommand is declared in `cli/`, with clap's derive, so
//! `hashcheck --help` and those files say the same thing. `main.rs` only maps the outcome to
//! an exit code.
//!
//! Exit codes (ripgrep's convention): 0 when everything passed, 1 when the run found
//! failures (mismatches, divergences), 2 when the run itself could not be done (bad flags,
//! unreachable server, unreadable case file). Clap reports usage errors with 2 as well.
//!
//! Each subcommand has its own `Args` struct (in `cli/args.rs`, `cli/fuzz_args.rs` and
//! `cli/merge_args.rs`, each with the request it makes of its body) and its body in `cmd/`
//! (one file each).

use clap::{Parser, Subcommand};

use crate::cmd;

mod args;
mod fuzz_args;
mod merge_args;

pub use args::*;
pub use fuzz_args::*;
pub use merge_args::*;

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
    /// Merge the JSON reports of a run split across jobs (`run --partition`) into one
    /// report, or the case directories of fuzz runs on several machines into one case per
    /// kind of divergence.
    Merge(MergeArgs),
    /// Map which keywords, value classes and reply paths of each hash command the cases
    /// exercise, in RESP2 and RESP3; exit 1 when one is not exercised.
    Coverage(CoverageArgs),
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
    let passed = match cli.command {
        Command::Run(args) => {
            // Ctrl-C stops the run cleanly, so its keys are deleted.
            crate::interrupt::install();
            cmd::run::execute(&args.request())?
        }
        Command::Matrix(args) => {
            crate::interrupt::install();
            cmd::matrix::execute(&args.request())?
        }
        Command::Replay(args) => {
            cmd::replay::execute(&args.request())?;
            true
        }
        Command::Fuzz(args) => cmd::fuzz::execute(&args.request())?,
        Command::Merge(args) => cmd::merge::execute(&args.request())?,
        Command::Coverage(args) => cmd::coverage::execute(&args.paths, args.gaps_only)?,
        Command::Serve(args) => {
            cmd::serve::execute(&args.request())?;
            true
        }
    };
    Ok(if passed {
        Outcome::Passed
    } else {
        Outcome::FailuresFound
    })
}

#[cfg(test)]
mod tests;
