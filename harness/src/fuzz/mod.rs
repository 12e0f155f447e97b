//! Fuzzing: generated commands run on the reference and on a target, every reply compared.
//!
//! - [`gen`]: seeded generation of hash commands (valid and invalid) for a run.
//! - [`model`]: the reference side of a run: the engine, and what it allows a reply to be.
//! - [`driver`]: sends generated commands to both sides in pipelined batches and compares.
//! - [`shrink`]: delta debugging of a divergence down to the commands that show it.
//! - [`written`]: a shrunk divergence as a ready-to-commit case file.
//! - [`campaign`]: `hashcheck fuzz`: lanes, swarm subsets, ranking, the summary.
//! - [`libfuzzer`]: the logic of the cargo-fuzz targets in the repository's `fuzz/` folder,
//!   and `hashcheck replay` (a fuzz artifact as a case).

pub mod campaign;
pub mod driver;
pub mod gen;
pub mod libfuzzer;
pub mod model;
pub mod shrink;
pub mod written;
