//! What every benchmark shares: a failed set-up (a server missing, a port taken) ends the
//! run with its cause on one line and exit code 2, as hashcheck itself does.

use std::process::ExitCode;

/// The exit code for a benchmark's outcome; `who` names the process in the message.
pub fn exit(outcome: anyhow::Result<()>, who: &str) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{who}: {e:#}");
            ExitCode::from(2)
        }
    }
}
