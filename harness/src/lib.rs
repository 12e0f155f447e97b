//! hashcheck: checks Redis-compatible servers against Redis 8.2's hash commands.

pub mod compare;
pub mod gen;
