//! The command table and dispatch.
//!
//! One file per command (or per family that shares one grammar), each holding the syntax,
//! the parsing and the behaviour. Adding a command means writing its file and adding one row
//! to `COMMANDS`. Dispatch checks the arity from the table, as Redis does before calling the
//! command, and turns a `CommandError` into an error reply.

use std::sync::LazyLock;

use hashbrown::HashMap;

use crate::clock::Clock;
use crate::deferred::DeferredReply;
use crate::engine::Session;
use crate::error::CommandError;
use crate::hash::fold::FixedState;
use crate::keyspace::Keyspace;
use crate::reply::{Protocol, Reply};
use crate::rng::Rng;

pub mod args;
pub mod grammar;
pub mod spec;

pub use spec::{CommandInfo, CommandSpec, KeySpec, ReplyPolicy, Subcommand};

mod connection;
mod fields;
mod glob;
mod hdel;
mod hexists;
mod hexpire;
mod hget;
mod hgetall;
mod hgetdel;
mod hgetex;
mod hincrby;
mod hincrbyfloat;
mod hlen;
mod hmget;
mod hpersist;
mod hrandfield;
mod hscan;
mod hset;
mod hsetex;
mod hsetnx;
mod hstrlen;
mod httl;
mod keys;

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
        clock: &'a dyn Clock,
    ) -> Self {
        Self {
            dbs,
            session,
            now_ms: 0,
            rng,
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

/// Every command the engine knows, one row each; the facts live in the command's file.
pub static COMMANDS: &[CommandSpec] = &[
    hdel::HDEL_SPEC,
    hexists::HEXISTS_SPEC,
    hexpire::HEXPIRE_SPEC,
    hexpire::HEXPIREAT_SPEC,
    httl::HEXPIRETIME_SPEC,
    hget::HGET_SPEC,
    hgetall::HGETALL_SPEC,
    hgetdel::HGETDEL_SPEC,
    hgetex::HGETEX_SPEC,
    hincrby::HINCRBY_SPEC,
    hincrbyfloat::HINCRBYFLOAT_SPEC,
    hgetall::HKEYS_SPEC,
    hlen::HLEN_SPEC,
    hmget::HMGET_SPEC,
    hset::HMSET_SPEC,
    hpersist::HPERSIST_SPEC,
    hexpire::HPEXPIRE_SPEC,
    hexpire::HPEXPIREAT_SPEC,
    httl::HPEXPIRETIME_SPEC,
    httl::HPTTL_SPEC,
    hrandfield::HRANDFIELD_SPEC,
    hscan::HSCAN_SPEC,
    hset::HSET_SPEC,
    hsetex::HSETEX_SPEC,
    hsetnx::HSETNX_SPEC,
    hstrlen::HSTRLEN_SPEC,
    httl::HTTL_SPEC,
    hgetall::HVALS_SPEC,
    keys::DEL_SPEC,
    keys::EXISTS_SPEC,
    keys::TYPE_SPEC,
    keys::SET_SPEC,
    keys::GET_SPEC,
    keys::DBSIZE_SPEC,
    keys::FLUSHDB_SPEC,
    keys::FLUSHALL_SPEC,
    keys::OBJECT_SPEC,
    connection::PING_SPEC,
    connection::ECHO_SPEC,
    connection::SELECT_SPEC,
    connection::HELLO_SPEC,
    connection::CLIENT_SPEC,
    connection::TIME_SPEC,
    connection::COMMAND_SPEC,
    connection::INFO_SPEC,
];

/// The table by packed name (see `packed_name`).
static BY_NAME: LazyLock<HashMap<u128, &'static CommandSpec, FixedState>> = LazyLock::new(|| {
    COMMANDS
        .iter()
        .map(|c| (packed_name(c.name.as_bytes()).expect("short name"), c))
        .collect()
});

/// A command name, lower-cased, as one integer: the bytes, zero-padded, with the length in
/// the last byte (so `hget` and `hget\0` differ). `None` when it is too long to be a name.
///
/// WHY: one integer hashes and compares in a few instructions, where a string key needs a
/// length check, a byte loop and a memcmp call; lookup runs on every command.
fn packed_name(name: &[u8]) -> Option<u128> {
    if name.len() > 15 {
        return None;
    }
    // Shifted in byte by byte: copying into a buffer and reading it back as one integer
    // stalls on store forwarding, and names are a few bytes long.
    let mut packed = (name.len() as u128) << 120;
    for (i, byte) in name.iter().enumerate() {
        packed |= u128::from(byte.to_ascii_lowercase()) << (8 * i);
    }
    Some(packed)
}

/// Looks a command up by name, case-insensitively.
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    BY_NAME.get(&packed_name(name)?).copied()
}

/// The names of the 28 hash commands, in table order.
pub fn hash_command_names() -> impl Iterator<Item = &'static str> {
    COMMANDS.iter().filter(|c| c.hash).map(|c| c.name)
}

/// Runs one command: lookup, arity, then the command itself.
pub fn dispatch(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> Reply {
    let Some(name) = argv.first() else {
        return Reply::Error(CommandError::unknown_command(b"", &[]).to_string());
    };
    let Some(spec) = lookup(name) else {
        return Reply::Error(CommandError::unknown_command(name, &argv[1..]).to_string());
    };
    let argc = argv.len() as i32;
    if (spec.arity > 0 && argc != spec.arity) || argc < -spec.arity {
        return Reply::Error(CommandError::WrongArity(spec.name.to_string()).to_string());
    }
    if !spec.lazy_clock {
        ctx.now();
    }
    match (spec.run)(ctx, argv) {
        Ok(reply) => reply,
        Err(e) => Reply::Error(e.to_string()),
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! A one-line way to run commands in unit tests: `t.run("HSET k f v")`.
    use std::sync::Arc;

    use crate::clock::ManualClock;
    use crate::engine::{Engine, Session};
    use crate::reply::{Protocol, Reply};

    pub struct TestEngine {
        pub engine: Engine,
        pub session: Session,
        pub clock: ManualClock,
    }

    impl TestEngine {
        /// An engine on a manual clock at 1_700_000_000_000 ms, speaking RESP3.
        pub fn new() -> Self {
            let clock = ManualClock::new(1_700_000_000_000);
            let engine = Engine::with_seed(Arc::new(clock.clone()), 1);
            let session = Session {
                protocol: Protocol::Resp3,
                ..Session::default()
            };
            Self {
                engine,
                session,
                clock,
            }
        }

        /// Runs a command given as whitespace-separated words.
        pub fn run(&mut self, line: &str) -> Reply {
            let argv: Vec<Vec<u8>> = line
                .split_whitespace()
                .map(|w| w.as_bytes().to_vec())
                .collect();
            self.engine.execute(&mut self.session, &argv)
        }

        /// Runs a command given as separate arguments (for empty or spaced arguments).
        pub fn run_args(&mut self, args: &[&[u8]]) -> Reply {
            let argv: Vec<Vec<u8>> = args.iter().map(|a| a.to_vec()).collect();
            self.engine.execute(&mut self.session, &argv)
        }

        /// Runs a command and renders the reply the way redis-cli would, in RESP2 form.
        pub fn resp2(&mut self, line: &str) -> Reply {
            self.session.protocol = Protocol::Resp2;
            let r = self.run(line);
            self.session.protocol = Protocol::Resp3;
            r
        }

        pub fn advance(&self, ms: i64) {
            self.clock.advance(ms);
        }
    }

    pub fn bulk(s: &str) -> Reply {
        Reply::bulk(s)
    }

    pub fn err(s: &str) -> Reply {
        Reply::Error(s.to_string())
    }

    pub fn int(n: i64) -> Reply {
        Reply::Integer(n)
    }

    pub fn arr(items: Vec<Reply>) -> Reply {
        Reply::Array(items)
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;

    #[test]
    fn table_has_the_28_hash_commands() {
        assert_eq!(super::hash_command_names().count(), 28);
    }

    #[test]
    fn lookup_is_exact_and_case_insensitive() {
        for c in super::COMMANDS {
            let upper = c.name.to_ascii_uppercase();
            assert_eq!(super::lookup(upper.as_bytes()).unwrap().name, c.name);
            assert_eq!(super::lookup(c.name.as_bytes()).unwrap().name, c.name);
            // A NUL, a prefix or an extra byte is another name.
            assert!(super::lookup(format!("{}\0", c.name).as_bytes()).is_none());
            assert!(super::lookup(&c.name.as_bytes()[..c.name.len() - 1]).is_none());
            assert!(super::lookup(format!("{}x", c.name).as_bytes()).is_none());
        }
        assert!(super::lookup(b"").is_none());
        assert!(super::lookup(b"hincrbyfloat-and-more").is_none());
        // Only ASCII letters fold: a Kelvin sign or Latin-1 byte is not a `k`.
        assert!(super::lookup("h\u{212a}eys".as_bytes()).is_none());
        assert!(super::lookup(b"hg\xc9t").is_none());
    }

    /// A `lazy_clock` command finds no time in `ctx.now_ms` unless it asked for it first, and
    /// nothing but its source shows whether it reads the field: so the source is checked.
    #[test]
    fn lazy_clock_commands_never_read_now_ms() {
        let sources = [
            ("hget", include_str!("hget.rs")),
            ("hmset", include_str!("hset.rs")),
            ("hset", include_str!("hset.rs")),
        ];
        let lazy: Vec<&str> = super::COMMANDS
            .iter()
            .filter(|c| c.lazy_clock)
            .map(|c| c.name)
            .collect();
        let checked: Vec<&str> = sources.iter().map(|(name, _)| *name).collect();
        assert_eq!(
            lazy, checked,
            "add the file of every lazy_clock command here"
        );
        for (name, source) in sources {
            assert!(!source.contains("now_ms"), "{name} mentions now_ms");
        }
    }

    #[test]
    fn the_clock_is_read_once_per_command_and_only_when_needed() {
        use crate::clock::Clock;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;

        /// A clock that counts its readings.
        struct Counting(AtomicUsize);
        impl Clock for Counting {
            fn now_ms(&self) -> i64 {
                self.0.fetch_add(1, Ordering::SeqCst);
                1_700_000_000_000
            }
        }
        let clock = Arc::new(Counting(AtomicUsize::new(0)));
        let mut engine = crate::Engine::new(clock.clone());
        let mut session = crate::Session::default();
        let mut run = |line: &str| {
            let before = clock.0.load(Ordering::SeqCst);
            let argv: Vec<Vec<u8>> = line.split(' ').map(|w| w.as_bytes().to_vec()).collect();
            engine.execute(&mut session, &argv);
            clock.0.load(Ordering::SeqCst) - before
        };
        assert_eq!(run("HSET h a 1 b 2"), 0);
        assert_eq!(run("HGET h a"), 0);
        assert_eq!(run("HLEN h"), 1);
        assert_eq!(run("HPEXPIRE h 100 FIELDS 1 a"), 1);
        // Now `a` has a TTL: HGET must know the time, and reads it once.
        assert_eq!(run("HGET h a"), 1);
        assert_eq!(run("HGET h b"), 0);
        assert_eq!(run("HGET h nosuchfield"), 0);
        assert_eq!(run("NOSUCHCOMMAND"), 0);
    }

    #[test]
    fn arity_and_unknown_commands() {
        let mut t = TestEngine::new();
        assert_eq!(
            t.run("HGET k"),
            err("ERR wrong number of arguments for 'hget' command")
        );
        assert_eq!(
            t.run("hGeT k"),
            err("ERR wrong number of arguments for 'hget' command")
        );
        assert_eq!(
            t.run("foo a b"),
            err("ERR unknown command 'foo', with args beginning with: 'a' 'b' ")
        );
    }
}
