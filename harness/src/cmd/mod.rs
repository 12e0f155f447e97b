//! The bodies of the `hashcheck` subcommands, one file each. `cli` parses the flags and
//! calls one of these; each returns what `main` turns into an exit code.

pub mod coverage;
pub mod fuzz;
pub mod matrix;
pub mod merge;
pub mod replay;
pub mod run;
pub mod serve;
