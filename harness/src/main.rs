//! The `hashcheck` binary: parses flags, runs, and maps the outcome to an exit code
//! (0 passed, 1 failures found, 2 the run itself failed; see `cli`).

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use hashcheck::cli::{self, Cli, Outcome};

// mimalloc: the fuzzer allocates small vectors for every argument and reply; glibc malloc
// took ~40% of a fuzz run's CPU time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    match cli::run(cli) {
        Ok(Outcome::Passed) => ExitCode::SUCCESS,
        Ok(Outcome::FailuresFound) => ExitCode::from(1),
        Err(e) => {
            // {:#} prints the whole cause chain on one line.
            eprintln!("hashcheck: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Help and version go to stdout as clap prints them. A usage error becomes one line
/// naming the cause, with exit code 2 as clap would use.
fn usage_error(e: clap::Error) -> ExitCode {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let names: Vec<String> = Cli::command()
                .get_subcommands()
                .map(|c| c.get_name().to_string())
                .collect();
            eprintln!("hashcheck: a subcommand is needed: {}", names.join(", "));
            ExitCode::from(2)
        }
        _ => {
            let text = e.to_string();
            let cause = text.lines().next().unwrap_or("invalid arguments");
            let cause = cause.strip_prefix("error: ").unwrap_or(cause);
            eprintln!("hashcheck: {cause} (see hashcheck --help)");
            ExitCode::from(2)
        }
    }
}
