//! What a command gets to work with ([`Ctx`]) and what it gives back ([`CommandResult`]).
//! Kept apart from the table in `mod.rs`, so that the command files the table names do not
//! import the table's module back.

use crate::clock::Clock;
use crate::deferred::DeferredReply;
use crate::error::CommandError;
use crate::keyspace::Keyspace;
use crate::reply::{Protocol, Reply};
use crate::rng::Rng;
use crate::server::ServerState;
use crate::session::Session;

/// What a command sees while it runs.
pub struct Ctx<'a> {
    /// All databases; `db()` picks the session's.
    pub dbs: &'a mut [Keyspace],
    pub session: &'a mut Session,
    /// The command's time snapshot in unix ms, read once from the clock before the command
    /// runs. Not for commands marked `lazy_clock` in the table: they ask `now` or
    /// `db_and_now`, which read the clock on first use (and fill this in).
    pub now_ms: i64,
    pub rng: &'a mut Rng,
    /// Settings and counters (CONFIG, DEBUG, INFO stats).
    pub server: &'a mut ServerState,
    clock: &'a dyn Clock,
    clock_read: bool,
    /// Whether the caller takes a long reply as a `DeferredReply` (see `deferred`).
    pub(crate) may_defer: bool,
    /// Where a command that defers its reply leaves it; its `Reply` is then a placeholder.
    pub(crate) deferred: Option<DeferredReply>,
}

impl<'a> Ctx<'a> {
    /// A context whose time snapshot is not taken yet (`dispatch` takes it).
    pub(crate) fn new(
        dbs: &'a mut [Keyspace],
        session: &'a mut Session,
        rng: &'a mut Rng,
        server: &'a mut ServerState,
        clock: &'a dyn Clock,
    ) -> Self {
        Self {
            dbs,
            session,
            now_ms: 0,
            rng,
            server,
            clock,
            clock_read: false,
            may_defer: false,
            deferred: None,
        }
    }

    /// The session's selected database.
    pub fn db(&mut self) -> &mut Keyspace {
        &mut self.dbs[self.session.db]
    }

    /// The command's time snapshot, read from the clock on first use; every later call
    /// returns the same value.
    pub fn now(&mut self) -> i64 {
        snapshot(self.clock, &mut self.clock_read, &mut self.now_ms)
    }

    /// The session's database, and the time snapshot as a function that reads the clock
    /// only if called: for a command that needs the time only sometimes (HGET, when the
    /// field it reads has a TTL).
    pub fn db_and_now(&mut self) -> (&mut Keyspace, impl FnOnce() -> i64 + '_) {
        let Ctx {
            dbs,
            session,
            now_ms,
            clock,
            clock_read,
            ..
        } = self;
        let clock: &dyn Clock = *clock;
        (&mut dbs[session.db], move || {
            snapshot(clock, clock_read, now_ms)
        })
    }

    /// The hash encoding limits in force (CONFIG SET hash-max-listpack-*).
    pub fn hash_limits(&self) -> crate::hash::HashLimits {
        self.server.config.hash_limits
    }

    pub fn protocol(&self) -> Protocol {
        self.session.protocol
    }
}

/// Reads `clock` into `now_ms` unless that was done already, and returns the snapshot.
fn snapshot(clock: &dyn Clock, read: &mut bool, now_ms: &mut i64) -> i64 {
    if !*read {
        *now_ms = clock.now_ms();
        *read = true;
    }
    *now_ms
}

/// The outcome of a command: a reply, or an error that becomes an error reply.
pub type CommandResult = Result<Reply, CommandError>;

/// A command's behaviour. `argv` includes the command name at index 0.
pub type Run = fn(&mut Ctx<'_>, &[Vec<u8>]) -> CommandResult;
