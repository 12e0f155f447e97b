//! The command table and dispatch.
//!
//! One file per command (or per family that shares one grammar), each holding the syntax,
//! the parsing and the behaviour. Adding a command means writing its file and adding one row
//! to `COMMANDS`. Dispatch checks the arity from the table, as Redis does before calling the
//! command, and turns a `CommandError` into an error reply.

use std::sync::LazyLock;

use hashbrown::HashMap;

use crate::error::CommandError;
use crate::hash::fold::FixedState;
use crate::reply::Reply;
use grammar::Grammar;

pub use ctx::{CommandResult, Ctx, Run};

pub mod args;
pub mod ctx;
pub mod grammar;

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
mod keyspace_support;
#[cfg(test)]
mod table_tests;

/// One row of the command table.
pub struct CommandSpec {
    /// Lower case, as Redis prints it in errors.
    pub name: &'static str,
    /// Redis's arity: N means exactly N arguments (name included), -N means at least N.
    pub arity: i32,
    /// Whether this is one of the 28 hash commands hashcheck exists to check.
    pub hash: bool,
    /// Whether the command reads the time itself, when it needs it, through `Ctx::now` or
    /// `Ctx::db_and_now`, instead of `ctx.now_ms`. Dispatch then does not read the clock
    /// up front, which is ~15% of the cost of an HSET or HGET (a vDSO call under KVM).
    /// A test checks that such a command's file never mentions `now_ms`.
    pub lazy_clock: bool,
    pub run: Run,
    /// What a hash command accepts (keywords, argument shape, errors), declared in its
    /// file; `None` for the support commands.
    pub grammar: Option<&'static Grammar>,
}

macro_rules! hash_cmd {
    ($name:literal, $arity:literal, $run:path, $grammar:path) => {
        CommandSpec {
            name: $name,
            arity: $arity,
            hash: true,
            lazy_clock: false,
            run: $run,
            grammar: Some(&$grammar),
        }
    };
}
macro_rules! hash_cmd_lazy_clock {
    ($name:literal, $arity:literal, $run:path, $grammar:path) => {
        CommandSpec {
            name: $name,
            arity: $arity,
            hash: true,
            lazy_clock: true,
            run: $run,
            grammar: Some(&$grammar),
        }
    };
}
macro_rules! support_cmd {
    ($name:literal, $arity:literal, $run:path) => {
        CommandSpec {
            name: $name,
            arity: $arity,
            hash: false,
            lazy_clock: false,
            run: $run,
            grammar: None,
        }
    };
}

/// Every command the engine knows, with the arity Redis 8.2.3's COMMAND INFO reports.
pub static COMMANDS: &[CommandSpec] = &[
    hash_cmd!("hdel", -3, hdel::hdel, hdel::HDEL),
    hash_cmd!("hexists", 3, hexists::hexists, hexists::HEXISTS),
    hash_cmd!("hexpire", -6, hexpire::hexpire, hexpire::HEXPIRE),
    hash_cmd!("hexpireat", -6, hexpire::hexpireat, hexpire::HEXPIREAT),
    hash_cmd!("hexpiretime", -5, httl::hexpiretime, httl::HEXPIRETIME),
    hash_cmd_lazy_clock!("hget", 3, hget::hget, hget::HGET),
    hash_cmd!("hgetall", 2, hgetall::hgetall, hgetall::HGETALL),
    hash_cmd!("hgetdel", -5, hgetdel::hgetdel, hgetdel::HGETDEL),
    hash_cmd!("hgetex", -5, hgetex::hgetex, hgetex::HGETEX),
    hash_cmd!("hincrby", 4, hincrby::hincrby, hincrby::HINCRBY),
    hash_cmd!(
        "hincrbyfloat",
        4,
        hincrbyfloat::hincrbyfloat,
        hincrbyfloat::HINCRBYFLOAT
    ),
    hash_cmd!("hkeys", 2, hgetall::hkeys, hgetall::HKEYS),
    hash_cmd!("hlen", 2, hlen::hlen, hlen::HLEN),
    hash_cmd!("hmget", -3, hmget::hmget, hmget::HMGET),
    hash_cmd_lazy_clock!("hmset", -4, hset::hmset, hset::HMSET),
    hash_cmd!("hpersist", -5, hpersist::hpersist, hpersist::HPERSIST),
    hash_cmd!("hpexpire", -6, hexpire::hpexpire, hexpire::HPEXPIRE),
    hash_cmd!("hpexpireat", -6, hexpire::hpexpireat, hexpire::HPEXPIREAT),
    hash_cmd!("hpexpiretime", -5, httl::hpexpiretime, httl::HPEXPIRETIME),
    hash_cmd!("hpttl", -5, httl::hpttl, httl::HPTTL),
    hash_cmd!(
        "hrandfield",
        -2,
        hrandfield::hrandfield,
        hrandfield::HRANDFIELD
    ),
    hash_cmd!("hscan", -3, hscan::hscan, hscan::HSCAN),
    hash_cmd_lazy_clock!("hset", -4, hset::hset, hset::HSET),
    hash_cmd!("hsetex", -6, hsetex::hsetex, hsetex::HSETEX),
    hash_cmd!("hsetnx", 4, hsetnx::hsetnx, hsetnx::HSETNX),
    hash_cmd!("hstrlen", 3, hstrlen::hstrlen, hstrlen::HSTRLEN),
    hash_cmd!("httl", -5, httl::httl, httl::HTTL),
    hash_cmd!("hvals", 2, hgetall::hvals, hgetall::HVALS),
    support_cmd!("del", -2, keyspace_support::del),
    support_cmd!("exists", -2, keyspace_support::exists),
    support_cmd!("type", 2, keyspace_support::type_),
    support_cmd!("set", -3, keyspace_support::set),
    support_cmd!("get", 2, keyspace_support::get),
    support_cmd!("dbsize", 1, keyspace_support::dbsize),
    support_cmd!("flushdb", -1, keyspace_support::flushdb),
    support_cmd!("flushall", -1, keyspace_support::flushall),
    support_cmd!("object", -2, keyspace_support::object),
    support_cmd!("ping", -1, connection::ping),
    support_cmd!("echo", 2, connection::echo),
    support_cmd!("select", 2, connection::select),
    support_cmd!("hello", -1, connection::hello),
    support_cmd!("client", -2, connection::client),
    support_cmd!("time", 1, connection::time),
    support_cmd!("command", -1, connection::command),
    support_cmd!("info", -1, connection::info),
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
mod tests {
    use crate::test_support::*;

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
