//! The integration tests, as one binary (`cargo test -p harness --test it`; a filter such
//! as `gate::` or `serve::` picks a file's tests). Each file holds one subject; what more
//! than one of them needs is in [`support`].
//!
//! One binary is built and linked once, where each file as its own binary was linked on
//! its own. Its tests run side by side, one thread per core: a test that starts a process
//! or a server takes a turn on the machine first (`support::heavy` or `support::light`).

mod support;

mod cases;
mod cluster;
mod command_table;
mod coverage;
mod details;
mod differential;
mod dump_restore;
mod fuzz;
mod gate;
mod hostile;
mod minimal;
mod planted;
mod proptest_differential;
mod safety;
mod serve;
mod serve_expiry;
mod serve_fairness;
mod shard;
