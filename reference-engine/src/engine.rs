//! The engine: databases, the clock, the random source, and the one entry point; the
//! per-client state it runs commands for is a [`Session`].

use std::sync::Arc;

use crate::clock::Clock;
use crate::command::{self, Ctx};
use crate::deferred::Execution;
use crate::keyspace::Keyspace;
use crate::reply::Reply;
use crate::rng::Rng;
use crate::server::ServerState;
/// Re-exported from their own module, below `command`, which needs them too.
pub use crate::session::{Session, DATABASES};

/// The reference engine. `execute` is the one entry point: argv in, reply out.
pub struct Engine {
    pub(crate) dbs: Vec<Keyspace>,
    clock: Arc<dyn Clock>,
    rng: Rng,
    pub(crate) server: ServerState,
    /// Where the background expiry cycle goes on from (see [`crate::active_expire`]).
    pub(crate) expire_walk: crate::active_expire::Walk,
}

impl Engine {
    /// An engine on `clock`, with a fixed random seed.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self::with_seed(clock, 0x5eed)
    }

    /// An engine whose HRANDFIELD picks follow `seed`.
    pub fn with_seed(clock: Arc<dyn Clock>, seed: u64) -> Self {
        Self {
            dbs: vec![Keyspace::new(); DATABASES],
            clock,
            rng: Rng::seeded(seed),
            server: ServerState::default(),
            expire_walk: Default::default(),
        }
    }

    /// Runs one command for `session`. Redis errors come back as `Reply::Error`. The reply
    /// is in RESP3 shape; encode it with `session.protocol` (or call `to_resp2`).
    pub fn execute(&mut self, session: &mut Session, argv: &[Vec<u8>]) -> Reply {
        // The time snapshot is taken by dispatch, once it knows whether the command needs it.
        let mut ctx = Ctx::new(
            &mut self.dbs,
            session,
            &mut self.rng,
            &mut self.server,
            &*self.clock,
        );
        command::dispatch(&mut ctx, argv)
    }

    /// [`Engine::execute`] for a caller that can stream: a reply too long to build at once
    /// (today only HRANDFIELD's repeated picks, past `hrandfield::DEFER_MIN_PICKS`) comes
    /// back as a [`DeferredReply`](crate::DeferredReply) to encode later, without the engine; see [`crate::deferred`].
    pub fn execute_deferrable(&mut self, session: &mut Session, argv: &[Vec<u8>]) -> Execution {
        let mut ctx = Ctx::new(
            &mut self.dbs,
            session,
            &mut self.rng,
            &mut self.server,
            &*self.clock,
        );
        ctx.may_defer = true;
        let reply = command::dispatch(&mut ctx, argv);
        match ctx.deferred.take() {
            Some(deferred) => Execution::Deferred(deferred),
            None => Execution::Reply(reply),
        }
    }

    /// A hint that `argv` is the next command for `session`: starts loading what it will
    /// read into the CPU cache (see [`command::prefetch`]). Changes nothing. A server that
    /// already holds the next command of a pipeline calls it before running this one.
    pub fn prefetch(&self, session: &Session, argv: &[Vec<u8>]) {
        if let Some(db) = self.dbs.get(session.db) {
            command::prefetch(db, argv);
        }
    }

    /// Settings and counters (what CONFIG, DEBUG and INFO stats show).
    pub fn server(&self) -> &ServerState {
        &self.server
    }

    /// The clock the engine reads.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Database `db`, for inspection.
    pub fn keyspace(&self, db: usize) -> &Keyspace {
        &self.dbs[db]
    }

    /// Database `db`, for set-up and for modelling background work (active expiry).
    pub fn keyspace_mut(&mut self, db: usize) -> &mut Keyspace {
        &mut self.dbs[db]
    }

    /// Does what Redis's background expiry cycle may have done to `key` by now: deletes
    /// its expired fields, and the key if that empties it. The engine never does this on
    /// its own; a harness calls it to model a server whose cycle has run. Returns how many
    /// fields went.
    pub fn reclaim_expired(&mut self, db: usize, key: &[u8]) -> usize {
        let now_ms = self.clock.now_ms();
        let keyspace = &mut self.dbs[db];
        let reclaimed = match keyspace.hash_mut(key) {
            Ok(Some(hash)) => hash.purge_expired(now_ms),
            _ => 0,
        };
        keyspace.count_expired(reclaimed);
        keyspace.remove_if_empty(key);
        reclaimed
    }

    /// Whether `key` holds a hash with fields that are expired but not yet reclaimed.
    pub fn has_expired_fields(&self, db: usize, key: &[u8]) -> bool {
        let now_ms = self.clock.now_ms();
        matches!(self.dbs[db].hash(key), Ok(Some(h)) if h.live_len(now_ms) < h.len())
    }
}
