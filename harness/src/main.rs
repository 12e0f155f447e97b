//! The `hashcheck` binary: parses flags, runs, and maps the outcome to an exit code
//! (0 passed, 1 failures found, 2 the run itself failed; see `cli`).

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::Parser;
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

/// Help and version go to stdout as clap prints them. A usage error is clap's whole
/// message (the missing flag named, a spelling suggested, the usage line) on stderr, with
/// exit code 2 like every run that could not be done.
fn usage_error(e: clap::Error) -> ExitCode {
    let _ = e.print();
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => ExitCode::SUCCESS,
        _ => ExitCode::from(2),
    }
}
