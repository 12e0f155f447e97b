//! What the engine keeps about itself as a server, beside the data: the settings CONFIG and
//! DEBUG change, and the counters INFO stats reports.
//!
//! The counts of expired fields live with each database ([`crate::keyspace::Keyspace`]),
//! where lazy expiry happens; the rest is here.

use crate::hash::HashLimits;

/// Settings a client can change (CONFIG SET, DEBUG SET-ACTIVE-EXPIRE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// `hash-max-listpack-entries` and `-value`.
    pub hash_limits: HashLimits,
    /// Whether the background expiry cycle runs (`DEBUG SET-ACTIVE-EXPIRE`). Only a server
    /// that drives [`crate::Engine::active_expire_cycle`] has a cycle to switch; the embedded
    /// engine never runs one, whatever this says.
    pub active_expire: bool,
    /// `sanitize-dump-payload`: `no`, `yes` or `clients` (see `command/config.rs`), kept as
    /// its index in that list so the settings stay `Copy`. Only CONFIG reads it.
    pub sanitize_dump_payload: u8,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            hash_limits: HashLimits::default(),
            active_expire: true,
            sanitize_dump_payload: 0,
        }
    }
}

/// INFO stats counters that are not per database. CONFIG RESETSTAT zeroes them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// `expired_time_cap_reached_count`: background cycles stopped by their time limit.
    pub expired_time_cap_reached_count: u64,
    /// Time spent in background cycles, in microseconds (INFO shows
    /// `expire_cycle_cpu_milliseconds`; most cycles take well under a millisecond).
    pub expire_cycle_us: u64,
}

/// The engine's server-wide state, handed to commands through `Ctx`.
#[derive(Debug, Clone, Default)]
pub struct ServerState {
    pub config: Config,
    pub stats: Stats,
}
