//! A reference engine that replies exactly like Redis 8.2 to the 28 hash commands.
//!
//! A command goes in as a list of byte strings and a [`Reply`] comes out. Redis errors are
//! replies, never Rust errors. There is no I/O here: `hashcheck serve` puts the engine behind
//! a socket, and the harness compares it with real servers.
//!
//! # Layout
//! - [`engine`]: databases and the one entry point; [`session`]: a client's state (protocol,
//!   selected db).
//! - [`command`]: the command table; one file per command with its syntax and behaviour.
//! - [`hash`]: the hash type, its encodings (which decide reply order) and field TTLs.
//! - [`keyspace`]: keys to values; never stores an empty hash.
//! - [`rdb`]: DUMP payloads in Redis 8.2.3's own format (RESTORE reads them back).
//! - [`deferred`]: replies too long to build at once, encoded later in pieces.
//! - [`reply`]: the RESP3 reply model, its RESP2 projection and redis-cli rendering.
//! - [`resp`]: RESP request and reply parsing (bytes only; the sockets live in the harness).
//! - [`server`]: settings (CONFIG, DEBUG) and INFO stats; [`active_expire`]: the
//!   background expiry cycle a server may drive.
//! - [`clock`]: the only source of time. [`error`]: every error text.
//! - [`strconv`]: Redis's readings of argument bytes (`string2ll`, C strings).
//!
//! # Semantics decisions
//! - Expiry is lazy unless asked: a field is reclaimed when a command that Redis makes
//!   reclaim it touches it. Redis also reclaims in the background; the engine does so only
//!   when its owner calls [`Engine::active_expire_cycle`] (`hashcheck serve` does, on a
//!   timer), so the embedded engine stays deterministic, and the harness treats replies
//!   that depend on background expiry as not fully determined.
//! - Field order follows Redis's encodings; see [`hash`].

pub mod active_expire;
pub mod clock;
pub mod command;
pub mod deferred;
pub mod engine;
pub mod error;
pub mod hash;
pub mod keyspace;
pub mod rdb;
pub mod reply;
pub mod resp;
pub mod rng;
pub mod server;
pub mod session;
pub mod strconv;

#[cfg(test)]
mod test_support;

pub use clock::{Clock, ManualClock, SystemClock};
pub use deferred::{DeferredReply, Execution};
pub use engine::{Engine, Session};
pub use error::CommandError;
pub use reply::{Protocol, Reply};
