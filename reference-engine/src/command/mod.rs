//! The command table and dispatch.
//!
//! One file per command (or per family that shares one grammar), each holding the syntax,
//! the parsing and the behaviour. Adding a command means writing its file and adding one row
//! to `COMMANDS`. Dispatch checks the arity from the table, as Redis does before calling the
//! command, and turns a `CommandError` into an error reply.

use std::sync::LazyLock;

use crate::error::CommandError;
use crate::keyspace::{Keyspace, Value};
use crate::reply::Reply;
use grammar::Shape;

pub use ctx::{CommandResult, Ctx, Run};

pub mod args;
pub mod ctx;
pub mod grammar;
pub mod spec;

pub use spec::{CommandInfo, CommandSpec, KeySpec, ReplyPolicy, Subcommand};

mod config;
mod connection;
mod copy;
mod dbmove;
mod debug;
mod dump;
mod expire;
mod fields;
mod function;
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
mod keyspace_support;
mod memory;
mod rename;
mod restore;
mod script;
#[cfg(test)]
mod table_tests;
mod ttl;

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
    keyspace_support::DEL_SPEC,
    keyspace_support::EXISTS_SPEC,
    keyspace_support::TYPE_SPEC,
    keyspace_support::SET_SPEC,
    keyspace_support::GET_SPEC,
    keyspace_support::DBSIZE_SPEC,
    keyspace_support::FLUSHDB_SPEC,
    keyspace_support::FLUSHALL_SPEC,
    keyspace_support::OBJECT_SPEC,
    dump::DUMP_SPEC,
    restore::RESTORE_SPEC,
    expire::EXPIRE_SPEC,
    expire::PEXPIRE_SPEC,
    expire::EXPIREAT_SPEC,
    expire::PEXPIREAT_SPEC,
    expire::PERSIST_SPEC,
    ttl::TTL_SPEC,
    ttl::PTTL_SPEC,
    ttl::EXPIRETIME_SPEC,
    ttl::PEXPIRETIME_SPEC,
    rename::RENAME_SPEC,
    rename::RENAMENX_SPEC,
    copy::COPY_SPEC,
    dbmove::MOVE_SPEC,
    dbmove::SWAPDB_SPEC,
    keys::KEYS_SPEC,
    keys::SCAN_SPEC,
    memory::MEMORY_SPEC,
    function::FUNCTION_SPEC,
    script::SCRIPT_SPEC,
    connection::PING_SPEC,
    connection::ECHO_SPEC,
    connection::SELECT_SPEC,
    connection::HELLO_SPEC,
    connection::CLIENT_SPEC,
    connection::TIME_SPEC,
    connection::COMMAND_SPEC,
    connection::INFO_SPEC,
    config::CONFIG_SPEC,
    debug::DEBUG_SPEC,
];

/// The table by packed name (see `packed_name`).
static BY_NAME: LazyLock<NameTable> = LazyLock::new(|| {
    assert!(
        COMMANDS.len() * 4 <= NAME_SLOTS,
        "NAME_SLOTS: room for four times the rows"
    );
    let mut table = NameTable {
        slots: vec![(EMPTY, 0); NAME_SLOTS].into_boxed_slice(),
    };
    for (row, spec) in COMMANDS.iter().enumerate() {
        let packed = packed_name(spec.name.as_bytes()).expect("short name");
        let mut i = name_slot(packed);
        while table.slots[i].0 != EMPTY {
            i = (i + 1) % NAME_SLOTS;
        }
        table.slots[i] = (packed, row);
    }
    table
});

/// Open addressing over packed names, at most a quarter full. WHY not a hash map: the
/// lookup runs several times per command in a fuzz run, and a multiply, one load and
/// one compare is all a hit costs here (the map's hashing was most of it).
struct NameTable {
    /// A packed name and its row in `COMMANDS`; `EMPTY` where there is none.
    slots: Box<[(u128, usize)]>,
}

const NAME_SLOTS: usize = 512;
/// No packed name: its length byte would be 255.
const EMPTY: u128 = u128::MAX;

fn name_slot(packed: u128) -> usize {
    let folded = (packed as u64) ^ ((packed >> 64) as u64).rotate_left(29);
    (folded.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - NAME_SLOTS.trailing_zeros())) as usize
}

impl NameTable {
    fn get(&self, packed: u128) -> Option<usize> {
        let mut i = name_slot(packed);
        loop {
            let (name, row) = self.slots[i];
            if name == packed {
                return Some(row);
            }
            if name == EMPTY {
                return None;
            }
            i = (i + 1) % NAME_SLOTS;
        }
    }
}

/// A command name, lower-cased, as one integer: the bytes, zero-padded, with the length in
/// the last byte (so `hget` and `hget\0` differ). `None` when it is too long to be a name.
///
/// WHY: one integer hashes and compares in a few instructions, where a string key needs a
/// length check, a byte loop and a memcmp call; lookup runs on every command.
fn packed_name(name: &[u8]) -> Option<u128> {
    let n = name.len();
    // Whole words, loaded straight from the name (overlapping where the length is not a
    // multiple), not byte by byte: the byte loop was most of a lookup, and lookup runs
    // several times per command in a fuzz run. Copying into a buffer to load it as one
    // integer stalls on store forwarding instead.
    let (low, high) = match n {
        16.. => return None,
        8.. => {
            let low = word(name, 0);
            // Bytes 8.. of the name, at the bottom of `high`: the last word, shifted.
            let high = if n == 8 {
                0
            } else {
                word(name, n - 8) >> (8 * (16 - n))
            };
            (low, high)
        }
        4.. => {
            let first = u64::from(half(name, 0));
            let last = u64::from(half(name, n - 4)) << (8 * (n - 4));
            (first | last, 0)
        }
        _ => (
            name.iter().rev().fold(0, |acc, &b| acc << 8 | u64::from(b)),
            0,
        ),
    };
    let low = u128::from(ascii_lowercase(low));
    let high = u128::from(ascii_lowercase(high));
    Some((n as u128) << 120 | high << 64 | low)
}

fn word(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

fn half(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

/// Each byte of `x` that is an ASCII capital letter, lower-cased; every other byte (a byte
/// of 0x80 or more too) as it is.
fn ascii_lowercase(x: u64) -> u64 {
    const EACH: u64 = 0x0101_0101_0101_0101;
    let seven_bits = x & (0x7f * EACH);
    // Per byte, the top bit of the sum says `b >= 'A'` and `b > 'Z'`; no sum carries into
    // the next byte, since each is at most 0x7f + 0x3f.
    let at_least_a = seven_bits + (0x80 - u64::from(b'A')) * EACH;
    let beyond_z = seven_bits + (0x80 - u64::from(b'Z') - 1) * EACH;
    let capital = at_least_a & !beyond_z & !x & (0x80 * EACH);
    x | capital >> 2
}

/// Looks a command up by name, case-insensitively.
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    row(name).map(|i| &COMMANDS[i])
}

/// The command's row in [`COMMANDS`], by name, case-insensitively: for a caller that keeps
/// something of its own per command in a vector (the fuzzer's per-command facts).
pub fn row(name: &[u8]) -> Option<usize> {
    BY_NAME.get(packed_name(name)?)
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
    if ctx.db().has_deadlines() {
        expire_named_keys(ctx, spec, argv);
    }
    match (spec.run)(ctx, argv) {
        Ok(reply) => reply,
        Err(e) => Reply::Error(e.to_string()),
    }
}

/// A hint that `argv` runs next on `db`: starts loading the entry of its first field, for
/// the commands whose grammar puts a field right after the key (HGET, HSET, HINCRBY, ...).
/// Changes nothing, replies nothing, checks nothing: dispatch does all that when it runs.
pub fn prefetch(db: &Keyspace, argv: &[Vec<u8>]) {
    let [name, key, field, ..] = argv else {
        return;
    };
    let Some(grammar) = lookup(name).and_then(|spec| spec.grammar) else {
        return;
    };
    if !matches!(
        grammar.shape,
        Shape::Fields | Shape::Pairs | Shape::IntIncrement | Shape::FloatIncrement
    ) {
        return;
    }
    if let Some(Value::Hash(hash)) = db.get(key) {
        hash.prefetch(field);
    }
}

/// Lazy expiry of the keys `argv` names (by its key specs, or its subcommand's), as Redis's
/// key lookups do: a key whose deadline has passed is deleted before the command sees it.
/// Called only when some key has a deadline, so the clock is read only then.
fn expire_named_keys(ctx: &mut Ctx<'_>, spec: &CommandSpec, argv: &[Vec<u8>]) {
    let sub = argv.get(1).and_then(|name| {
        spec.subcommands
            .iter()
            .find(|s| s.name.as_bytes().eq_ignore_ascii_case(name))
    });
    let info = sub.map_or(&spec.info, |s| &s.info);
    let now_ms = ctx.now();
    let db = ctx.db();
    for i in info.key_positions(argv.len()) {
        db.expire_if_needed(&argv[i], now_ms);
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    /// The packed name is the name lower-cased (ASCII letters only), zero-padded, with the
    /// length in the last byte: checked against the plain byte-by-byte definition for every
    /// length and every byte value at each position.
    #[test]
    fn packed_names_follow_their_definition() {
        fn by_bytes(name: &[u8]) -> Option<u128> {
            (name.len() <= 15).then(|| {
                let mut packed = (name.len() as u128) << 120;
                for (i, byte) in name.iter().enumerate() {
                    packed |= u128::from(byte.to_ascii_lowercase()) << (8 * i);
                }
                packed
            })
        }
        for len in 0..=17usize {
            for at in 0..len.max(1) {
                for byte in 0..=255u8 {
                    let mut name: Vec<u8> = (0..len).map(|i| b"HgEtAlLxYz!09@[`{"[i]).collect();
                    if at < len {
                        name[at] = byte;
                    }
                    assert_eq!(super::packed_name(&name), by_bytes(&name), "{name:?}");
                }
            }
        }
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
    /// The file is the one that declares the command's spec, found by reading the folder, so
    /// a new lazy command needs no entry here.
    #[test]
    fn lazy_clock_commands_never_read_now_ms() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/command");
        let sources: Vec<(String, String)> = std::fs::read_dir(&dir)
            .expect("src/command")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .map(|p| {
                (
                    p.display().to_string(),
                    std::fs::read_to_string(&p).expect("read"),
                )
            })
            .collect();
        let lazy: Vec<&str> = super::COMMANDS
            .iter()
            .filter(|c| c.lazy_clock)
            .map(|c| c.name)
            .collect();
        assert!(!lazy.is_empty(), "HGET and HSET read the clock lazily");
        for name in lazy {
            let declares = format!("(\"{name}\",");
            let declared = |s: &str| {
                s.lines()
                    .any(|l| l.contains("CommandSpec::") && l.contains(&declares))
            };
            let files: Vec<_> = sources.iter().filter(|(_, s)| declared(s)).collect();
            assert_eq!(files.len(), 1, "one file declares {name}'s spec");
            let (path, source) = files[0];
            assert!(!source.contains("now_ms"), "{name}: {path} mentions now_ms");
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
