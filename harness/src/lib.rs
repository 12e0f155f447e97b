//! hashcheck: checks Redis-compatible servers against Redis 8.2's hash commands.
//!
//! # Layout, from the bottom layer up
//! - [`targets`]: the one interface to something that answers commands (the embedded
//!   reference engine, or a server over a connection bounded in reply size and time).
//! - [`compare`]: how two replies are compared where Redis leaves order or values open.
//! - [`cases`]: YAML case files, the runner that plays them, reports and baselines.
//! - [`fuzz`]: generated commands on the reference and a target side by side (`hashcheck
//!   fuzz`), shrinking, written cases, and the cargo-fuzz targets' logic.
//! - [`coverage`]: which keywords, value classes and reply paths the cases and the fuzzer
//!   exercise (`hashcheck coverage`).
//! - [`serve`]: the reference engine behind a TCP socket (`hashcheck serve`).
//! - [`cmd`]: the subcommands' bodies, one file each; [`cli`] parses the flags and `main.rs`
//!   only maps the outcome to an exit code.
//! - [`process`]: starting real servers (and `hashcheck serve`) for tests and benchmarks.
//! - [`interrupt`]: Ctrl-C/SIGTERM as a request to stop cleanly.

pub mod cases;
pub mod cli;
pub mod cmd;
pub mod compare;
pub mod coverage;
pub mod fuzz;
pub mod interrupt;
#[cfg(test)]
mod layers;
pub mod process;
pub mod serve;
pub mod targets;
