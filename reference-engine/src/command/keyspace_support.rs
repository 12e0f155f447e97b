//! The support commands that act on the keyspace (DEL, EXISTS, TYPE, SET, GET, DBSIZE,
//! FLUSHDB, FLUSHALL, OBJECT): what cases need to set up, provoke WRONGTYPE and inspect. (Not
//! to be confused with the harness's key prefixing, which decides which of a case's arguments
//! are keys.)
//!
//! ```text
//! DEL key [key ...]                      https://redis.io/docs/latest/commands/del/
//! EXISTS key [key ...]                   https://redis.io/docs/latest/commands/exists/
//! TYPE key                               https://redis.io/docs/latest/commands/type/
//! SET key value                          https://redis.io/docs/latest/commands/set/
//! GET key                                https://redis.io/docs/latest/commands/get/
//! DBSIZE                                 https://redis.io/docs/latest/commands/dbsize/
//! FLUSHDB [ASYNC | SYNC]                 https://redis.io/docs/latest/commands/flushdb/
//! FLUSHALL [ASYNC | SYNC]                https://redis.io/docs/latest/commands/flushall/
//! OBJECT ENCODING key                    https://redis.io/docs/latest/commands/object-encoding/
//! ```
//!
//! None of these look at field TTLs: a hash whose fields have all expired but were not yet
//! reclaimed still exists, has TYPE hash, counts in DBSIZE and EXISTS, and DEL deletes it
//! (reply 1), exactly as on Redis 8.2.3 with active expiry off.
//!
//! SET takes no options here. Its option grammar is still checked, so a malformed option list
//! gets Redis's own `syntax error`; a well-formed one that asks for NX, XX, GET, KEEPTTL or an
//! expiry is refused with a `NotSupported` error naming the option, since string TTLs and
//! conditional sets are outside what hashcheck models.

use super::args::{is_c_word, parse_i64, subcommand};
use super::ctx::{CommandResult, Ctx};
use super::spec::{CommandInfo, CommandSpec, KeySpec, Subcommand};
use crate::error::CommandError;
use crate::keyspace::Value;
use crate::reply::Reply;

/// `DEL key [key ...]`: how many of the keys existed. A key named twice counts once, because
/// the second time it is already gone.
pub fn del(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let db = ctx.db();
    let removed = argv[1..].iter().filter(|key| db.remove(key)).count();
    Ok(Reply::Integer(removed as i64))
}

/// `EXISTS key [key ...]`: how many of the named keys exist, counting repeats each time.
pub fn exists(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let db = ctx.db();
    let found = argv[1..].iter().filter(|key| db.contains(key)).count();
    Ok(Reply::Integer(found as i64))
}

/// `TYPE key`: `+none` for a missing key, else the type name, as a simple string.
pub fn type_(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let name = ctx.db().get(&argv[1]).map_or("none", Value::type_name);
    Ok(Reply::Simple(name.to_string()))
}

/// `SET key value`: stores a string, replacing a value of any type.
pub fn set(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    if let Some(option) = check_set_options(&argv[3..])? {
        return Err(CommandError::NotSupported(format!(
            "SET option '{option}' is not modelled; only plain SET key value is"
        )));
    }
    ctx.db().set_string(&argv[1], &argv[2]);
    Ok(Reply::ok())
}

/// Walks SET's options with the rules of Redis's `parseExtendedStringArgumentsOrReply`:
/// options compare as C strings, NX excludes XX, KEEPTTL and the four expiry forms exclude
/// each other (but the same expiry form may repeat), and an expiry needs a following value.
/// Returns the first option's name if the list is well formed and not empty.
fn check_set_options(args: &[Vec<u8>]) -> Result<Option<&'static str>, CommandError> {
    const EXPIRY: [&str; 4] = ["EX", "PX", "EXAT", "PXAT"];
    let (mut nx, mut xx, mut keepttl) = (false, false, false);
    let mut expiry: Option<&str> = None;
    let mut first = None;
    let mut i = 0;
    while i < args.len() {
        let opt = &args[i];
        let has_value = i + 1 < args.len();
        let name = if is_c_word(opt, "NX") && !xx {
            nx = true;
            "NX"
        } else if is_c_word(opt, "XX") && !nx {
            xx = true;
            "XX"
        } else if is_c_word(opt, "GET") {
            "GET"
        } else if is_c_word(opt, "KEEPTTL") && expiry.is_none() {
            keepttl = true;
            "KEEPTTL"
        } else if let Some(form) = EXPIRY.iter().find(|form| is_c_word(opt, form)) {
            if keepttl || expiry.is_some_and(|e| e != *form) || !has_value {
                return Err(CommandError::Syntax);
            }
            expiry = Some(form);
            i += 1;
            form
        } else {
            return Err(CommandError::Syntax);
        };
        first.get_or_insert(name);
        i += 1;
    }
    Ok(first)
}

/// `GET key`: the string, null if missing, WRONGTYPE for a hash.
pub fn get(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    match ctx.db().get(&argv[1]) {
        None => Ok(Reply::Null),
        Some(Value::String(s)) => Ok(Reply::bulk(s)),
        Some(_) => Err(CommandError::WrongType),
    }
}

/// `DBSIZE`: the number of keys in the selected database.
pub fn dbsize(ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Ok(Reply::Integer(ctx.db().len() as i64))
}

/// `FLUSHDB [ASYNC | SYNC]`: empties the selected database.
pub fn flushdb(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    check_flush_mode(argv)?;
    ctx.db().clear();
    Ok(Reply::ok())
}

/// `FLUSHALL [ASYNC | SYNC]`: empties every database.
pub fn flushall(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    check_flush_mode(argv)?;
    ctx.dbs.iter_mut().for_each(|db| db.clear());
    Ok(Reply::ok())
}

/// Redis's `getFlushCommandFlags`: nothing, or exactly one of SYNC/ASYNC. Both modes are the
/// same thing for an in-memory model.
fn check_flush_mode(argv: &[Vec<u8>]) -> Result<(), CommandError> {
    match argv {
        [_] => Ok(()),
        [_, mode] if is_c_word(mode, "sync") || is_c_word(mode, "async") => Ok(()),
        _ => Err(CommandError::Syntax),
    }
}

/// OBJECT's subcommands with Redis 8.2.3's arities, so that unknown names and wrong argument
/// counts get Redis's errors even for the subcommands the engine does not model.
#[rustfmt::skip]
pub(super) const OBJECT_SUBCOMMANDS: &[Subcommand] = &[
    Subcommand::new("encoding", 3, CommandInfo::new("readonly", "@keyspace @read @slow", "nondeterministic_output", Some(KeySpec::range("RO", 2, 0)))),
    Subcommand::new("freq", 3, CommandInfo::new("readonly", "@keyspace @read @slow", "nondeterministic_output", Some(KeySpec::range("RO", 2, 0)))),
    Subcommand::new("help", 2, CommandInfo::new("loading stale", "@keyspace @slow", "", None)),
    Subcommand::new("idletime", 3, CommandInfo::new("readonly", "@keyspace @read @slow", "nondeterministic_output", Some(KeySpec::range("RO", 2, 0)))),
    Subcommand::new("refcount", 3, CommandInfo::new("readonly", "@keyspace @read @slow", "nondeterministic_output", Some(KeySpec::range("RO", 2, 0)))),
];

/// `OBJECT ENCODING key`. The other subcommands report LRU/LFU bookkeeping and allocator
/// sharing that the engine does not model, so they get a `NotSupported` error.
pub fn object(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let sub = subcommand(argv, OBJECT_SUBCOMMANDS)?;
    if sub != "encoding" {
        return Err(CommandError::NotSupported(format!(
            "OBJECT {} is not modelled; only OBJECT ENCODING is",
            sub.to_ascii_uppercase()
        )));
    }
    let key = &argv[2];
    Ok(match ctx.db().get(key) {
        None => Reply::Null,
        Some(Value::Hash(h)) => Reply::bulk(h.encoding().name()),
        Some(Value::String(s)) => Reply::bulk(string_encoding(key, s)),
    })
}

/// The encoding Redis 8.2.3 gives a string stored by SET:
/// - `int` when the value is the canonical text of an i64 (at most 20 bytes, `string2l`);
/// - `embstr` when key and value fit the embedded object together: measured on 8.2.3,
///   that is exactly when `key.len() + value.len() <= 41` (keys of 0 to 69 bytes, values
///   up to 80). Redis 8 embeds the key in the same allocation, so a long key pushes even a
///   short value out to `raw`; older Redis used a flat 44-byte value limit.
/// - `raw` otherwise.
pub(super) fn string_encoding(key: &[u8], value: &[u8]) -> &'static str {
    const EMBSTR_KEY_PLUS_VALUE: usize = 41;
    if value.len() <= 20 && parse_i64(value).is_some() {
        "int"
    } else if key.len() + value.len() <= EMBSTR_KEY_PLUS_VALUE {
        "embstr"
    } else {
        "raw"
    }
}

/// DEL's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const DEL_SPEC: CommandSpec = CommandSpec::support("del", -2, "1.0.0", del).info(
    "write",
    "@keyspace @write @slow",
    "request_policy:multi_shard response_policy:agg_sum",
    Some(KeySpec::range("RM delete", 1, -1)),
);

/// EXISTS's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const EXISTS_SPEC: CommandSpec = CommandSpec::support("exists", -2, "1.0.0", exists).info(
    "readonly fast",
    "@keyspace @read @fast",
    "request_policy:multi_shard response_policy:agg_sum",
    Some(KeySpec::range("RO", 1, -1)),
);

/// TYPE's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const TYPE_SPEC: CommandSpec = CommandSpec::support("type", 2, "1.0.0", type_).info(
    "readonly fast",
    "@keyspace @read @fast",
    "",
    Some(KeySpec::range("RO", 1, 0)),
);

/// SET's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const SET_SPEC: CommandSpec = CommandSpec::support("set", -3, "1.0.0", set).info(
    "write denyoom",
    "@write @string @slow",
    "",
    Some(
        KeySpec::range("RW access update variable_flags", 1, 0)
            .notes("RW and ACCESS due to the optional `GET` argument"),
    ),
);

/// GET's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const GET_SPEC: CommandSpec = CommandSpec::support("get", 2, "1.0.0", get).info(
    "readonly fast",
    "@read @string @fast",
    "",
    Some(KeySpec::range("RO access", 1, 0)),
);

/// DBSIZE's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const DBSIZE_SPEC: CommandSpec = CommandSpec::support("dbsize", 1, "1.0.0", dbsize).info(
    "readonly fast",
    "@keyspace @read @fast",
    "request_policy:all_shards response_policy:agg_sum",
    None,
);

/// FLUSHDB's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const FLUSHDB_SPEC: CommandSpec = CommandSpec::support("flushdb", -1, "1.0.0", flushdb).info(
    "write",
    "@keyspace @write @slow @dangerous",
    "request_policy:all_shards response_policy:all_succeeded",
    None,
);

/// FLUSHALL's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const FLUSHALL_SPEC: CommandSpec = CommandSpec::support("flushall", -1, "1.0.0", flushall)
    .info(
        "write",
        "@keyspace @write @slow @dangerous",
        "request_policy:all_shards response_policy:all_succeeded",
        None,
    );

/// OBJECT's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const OBJECT_SPEC: CommandSpec = CommandSpec::support("object", -2, "2.2.3", object)
    .info("", "@slow", "", None)
    .subcommands(OBJECT_SUBCOMMANDS);

#[cfg(test)]
mod tests {
    use crate::reply::Reply;
    use crate::test_support::*;

    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    fn simple(s: &str) -> Reply {
        Reply::Simple(s.to_string())
    }

    #[test]
    fn set_get_type_and_overwrite() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("SET s hello"), Reply::ok());
        assert_eq!(t.run("GET s"), bulk("hello"));
        assert_eq!(t.run("TYPE s"), simple("string"));
        assert_eq!(t.run("GET missing"), Reply::Null);
        assert_eq!(t.run("TYPE missing"), simple("none"));
        t.run("HSET h f v");
        assert_eq!(t.run("TYPE h"), simple("hash"));
        assert_eq!(t.run("GET h"), err(WRONGTYPE));
        // SET replaces a value of any type.
        assert_eq!(t.run("SET h x"), Reply::ok());
        assert_eq!(t.run("TYPE h"), simple("string"));
        assert_eq!(t.run("HSET h f v"), err(WRONGTYPE));
        assert_eq!(t.run_args(&[b"SET", b"e", b""]), Reply::ok());
        assert_eq!(t.run("GET e"), bulk(""));
    }

    #[test]
    fn set_options_are_refused_but_their_grammar_is_redis() {
        let mut t = TestEngine::new();
        let syntax = err("ERR syntax error");
        for bad in [
            "SET a 1 foo",
            "SET a 1 EX",
            "SET a 1 EX 5 PX 6",
            "SET a 1 KEEPTTL EX 5",
            "SET a 1 EX 5 KEEPTTL",
            "SET a 1 NX XX",
            "SET a 1 IFEQ x",
            "SET a b c d",
        ] {
            assert_eq!(t.run(bad), syntax, "{bad}");
        }
        for (line, option) in [
            ("SET a 1 EX 10", "EX"),
            ("SET a 1 nx", "NX"),
            ("SET a 1 GET GET", "GET"),
            ("SET a 1 EX 5 EX 6", "EX"),
            ("SET a 1 KEEPTTL XX", "KEEPTTL"),
            ("SET a 1 PXAT 5", "PXAT"),
        ] {
            assert_eq!(
                t.run(line),
                err(&format!(
                    "ERR hashcheck engine: SET option '{option}' is not modelled; only plain SET key value is"
                )),
                "{line}"
            );
        }
        // Options compare as C strings, like Redis's.
        assert!(matches!(
            t.run_args(&[b"SET", b"a", b"1", b"NX\0z"]),
            Reply::Error(e) if e.contains("'NX'")
        ));
        assert_eq!(t.run("EXISTS a"), int(0), "a refused SET changes nothing");
    }

    #[test]
    fn del_and_exists_count_like_redis() {
        let mut t = TestEngine::new();
        t.run("SET a 1");
        t.run("HSET h f v");
        assert_eq!(t.run("EXISTS a a missing"), int(2));
        assert_eq!(t.run("DEL a a h missing"), int(2));
        assert_eq!(t.run("EXISTS a h"), int(0));
    }

    #[test]
    fn fully_expired_hash_still_exists_until_reclaimed() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1");
        t.run("HPEXPIRE h 1 FIELDS 1 a");
        t.advance(2);
        assert_eq!(t.run("EXISTS h h"), int(2));
        assert_eq!(t.run("TYPE h"), simple("hash"));
        assert_eq!(t.run("DBSIZE"), int(1));
        assert_eq!(t.run("OBJECT ENCODING h"), bulk("listpackex"));
        assert_eq!(t.run("GET h"), err(WRONGTYPE));
        assert_eq!(t.run("DEL h"), int(1));
    }

    #[test]
    fn dbsize_and_flushes() {
        let mut t = TestEngine::new();
        t.run("SET a 1");
        t.run("SET b 1");
        assert_eq!(t.run("DBSIZE"), int(2));
        for bad in ["FLUSHDB x", "FLUSHDB async sync", "FLUSHALL x"] {
            assert_eq!(t.run(bad), err("ERR syntax error"), "{bad}");
        }
        assert_eq!(t.run("DBSIZE"), int(2), "a refused flush flushes nothing");
        assert_eq!(t.run("FLUSHDB ASYNC"), Reply::ok());
        assert_eq!(t.run("DBSIZE"), int(0));

        t.run("SET a 1");
        t.run("SELECT 3");
        t.run("SET b 1");
        assert_eq!(t.run("FLUSHDB sync"), Reply::ok());
        t.run("SELECT 0");
        assert_eq!(
            t.run("DBSIZE"),
            int(1),
            "FLUSHDB clears only the selected db"
        );
        t.run("SELECT 5");
        t.run("SET c 1");
        assert_eq!(
            t.run_args(&[b"FLUSHALL", b"async\0"]),
            Reply::ok(),
            "C-string compare"
        );
        assert_eq!(t.run("DBSIZE"), int(0));
        t.run("SELECT 0");
        assert_eq!(t.run("DBSIZE"), int(0));
        assert_eq!(t.run("FLUSHALL"), Reply::ok());
    }

    #[test]
    fn object_encoding_of_hashes() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1");
        assert_eq!(t.run("OBJECT ENCODING h"), bulk("listpack"));
        t.run("HEXPIRE h 100 FIELDS 1 nosuchfield");
        assert_eq!(t.run("object encoding h"), bulk("listpackex"));
        t.run(&format!("HSET big f {}", "v".repeat(65)));
        assert_eq!(t.run("OBJECT ENCODING big"), bulk("hashtable"));
        assert_eq!(t.run("OBJECT ENCODING missing"), Reply::Null);
    }

    #[test]
    fn object_encoding_of_strings() {
        let mut t = TestEngine::new();
        let k100 = "k".repeat(100);
        for (key, value, want) in [
            ("a", "1".to_string(), "int"),
            ("a", "-9223372036854775808".into(), "int"),
            ("a", "9223372036854775807".into(), "int"),
            ("a", "9223372036854775808".into(), "embstr"),
            ("a", "01".into(), "embstr"),
            ("a", "".into(), "embstr"),
            ("a", "x".repeat(40), "embstr"),
            ("a", "x".repeat(41), "raw"),
            ("", "x".repeat(41), "embstr"),
            ("kkkkkkkkkkkkkkkkkkkk", "x".repeat(21), "embstr"),
            ("kkkkkkkkkkkkkkkkkkkk", "x".repeat(22), "raw"),
            (&k100, "5".into(), "int"),
            (&k100, "".into(), "raw"),
        ] {
            t.run_args(&[b"SET", key.as_bytes(), value.as_bytes()]);
            assert_eq!(
                t.run_args(&[b"OBJECT", b"ENCODING", key.as_bytes()]),
                bulk(want),
                "{key:?} {value:?}"
            );
        }
        t.run_args(&[b"SET", b"a", b"1\0"]);
        assert_eq!(t.run("OBJECT ENCODING a"), bulk("embstr"));
    }

    #[test]
    fn object_errors() {
        let mut t = TestEngine::new();
        t.run("SET s 1");
        assert_eq!(
            t.run("object foo a b"),
            err("ERR unknown subcommand 'foo'. Try OBJECT HELP.")
        );
        assert_eq!(
            t.run_args(&[b"OBJECT", b"ENCODING\0x", b"s"]),
            err("ERR unknown subcommand 'ENCODING'. Try OBJECT HELP.")
        );
        assert_eq!(
            t.run("OBJECT ENCODING"),
            err("ERR wrong number of arguments for 'object|encoding' command")
        );
        assert_eq!(
            t.run("OBJECT encoding a b"),
            err("ERR wrong number of arguments for 'object|encoding' command")
        );
        assert_eq!(
            t.run("OBJECT help x"),
            err("ERR wrong number of arguments for 'object|help' command")
        );
        assert_eq!(
            t.run("OBJECT REFCOUNT s"),
            err("ERR hashcheck engine: OBJECT REFCOUNT is not modelled; only OBJECT ENCODING is")
        );
    }
}
