//! hashcheck: checks Redis-compatible servers against Redis 8.2's hash commands.
//!
//! # Layout
//! - [`target`]: the one interface to something that answers commands (the embedded
//!   reference engine, or a server reached through the `redis` crate).
//! - [`compare`]: how two replies are compared where Redis leaves order or values open.
//! - [`gen`]: seeded command generation for differential runs.

pub mod compare;
pub mod gen;
pub mod target;
