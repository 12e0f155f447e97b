//! hashcheck: checks Redis-compatible servers against Redis 8.2's hash commands.
//!
//! # Layout
//! - [`target`]: the one interface to something that answers commands (the embedded
//!   reference engine, or a server over a connection bounded in reply size and time).
//! - [`baseline`]: known differences, so a CI gate fails only on new ones.
//! - [`case`]: YAML case files (model, loader, writer).
//! - [`runner`]: runs cases against a target (`hashcheck run`); [`report`] prints the outcome.
//! - [`coverage`]: which keywords, value classes and reply paths the cases and the fuzzer
//!   exercise (`hashcheck coverage`).
//! - [`compare`]: how two replies are compared where Redis leaves order or values open.
//! - [`gen`]: seeded command generation for differential runs.
//! - [`differential`]: the driver that runs generated commands on a reference and a target.
//! - [`shrink`]: delta debugging of a divergence down to the commands that show it;
//!   [`repro`] writes the result as a case file.
//! - [`fuzz`]: `hashcheck fuzz`, the differential fuzzer against a server.
//! - [`fuzzing`]: the logic of the cargo-fuzz targets in `fuzz/`, and `hashcheck replay`.
//! - [`serve`]: the reference engine behind a TCP socket (`hashcheck serve`).
//! - [`process`]: starting real servers (and `hashcheck serve`) for tests and benchmarks.
//! - [`interrupt`]: Ctrl-C/SIGTERM as a request to stop cleanly.
//! - [`cli`]: the command line; `main.rs` only maps its outcome to an exit code.

pub mod baseline;
pub mod case;
pub mod cli;
pub mod compare;
pub mod coverage;
pub mod differential;
pub mod fuzz;
pub mod fuzzing;
pub mod gen;
pub mod interrupt;
pub mod process;
pub mod report;
pub mod repro;
pub mod runner;
pub mod serve;
pub mod shrink;
pub mod target;
