//! MOVE and SWAPDB: keys between databases.
//!
//! ```text
//! MOVE key db             https://redis.io/docs/latest/commands/move/
//! SWAPDB index1 index2    https://redis.io/docs/latest/commands/swapdb/
//! ```
//!
//! MOVE, as Redis's `moveCommand` (checked on 8.2.3): the index (a C `int`, then a
//! database), then the same database (`ERR source and destination objects are the same`,
//! even for a missing key), then a missing key (0), then a key that exists in the target
//! database (0, nothing moves). Otherwise the value goes with its deadline and field TTLs.
//!
//! SWAPDB exchanges two databases' contents; every client stays on its index and so sees
//! the other data. A bad index is `invalid first DB index` / `invalid second DB index`
//! whether it is not an integer or past a C `int`; then `DB index is out of range`.

use super::args::parse_i64;
use super::copy::db_index;
use super::ctx::{CommandResult, Ctx};
use super::spec::{CommandSpec, KeySpec};
use crate::error::CommandError;
use crate::reply::Reply;
use crate::session::DATABASES;

/// `MOVE key db`
pub fn move_(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let dst = db_index(&argv[2])?;
    let src = ctx.session.db;
    if src == dst {
        return Err(CommandError::SameObject);
    }
    let key = &argv[1];
    if !ctx.dbs[src].contains(key) {
        return Ok(Reply::Integer(0));
    }
    let now_ms = ctx.now();
    ctx.dbs[dst].expire_if_needed(key, now_ms);
    if ctx.dbs[dst].contains(key) {
        return Ok(Reply::Integer(0));
    }
    let (value, deadline) = ctx.dbs[src].take(key).expect("checked above");
    ctx.dbs[dst].put(key, value, deadline);
    Ok(Reply::Integer(1))
}

/// `SWAPDB index1 index2`
pub fn swapdb(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let int = |arg: &[u8], bad: CommandError| {
        parse_i64(arg)
            .filter(|n| i32::try_from(*n).is_ok())
            .ok_or(bad)
    };
    let first = int(&argv[1], CommandError::InvalidFirstDbIndex)?;
    let second = int(&argv[2], CommandError::InvalidSecondDbIndex)?;
    let index = |n: i64| usize::try_from(n).ok().filter(|&db| db < DATABASES);
    let (Some(a), Some(b)) = (index(first), index(second)) else {
        return Err(CommandError::DbIndexOutOfRange);
    };
    ctx.dbs.swap(a, b);
    Ok(Reply::ok())
}

/// MOVE's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const MOVE_SPEC: CommandSpec = CommandSpec::support("move", 3, "1.0.0", move_).info(
    "write fast",
    "@keyspace @write @fast",
    "",
    Some(KeySpec::range("RW access update", 1, 0)),
);

/// SWAPDB's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const SWAPDB_SPEC: CommandSpec = CommandSpec::support("swapdb", 3, "4.0.0", swapdb).info(
    "write fast",
    "@keyspace @write @fast @dangerous",
    "",
    None,
);

#[cfg(test)]
mod tests {
    use crate::reply::Reply;
    use crate::test_support::*;

    #[test]
    fn move_carries_ttls_and_never_overwrites() {
        let mut t = TestEngine::new();
        for (line, want) in [
            ("MOVE h abc", "ERR value is not an integer or out of range"),
            ("MOVE h 16", "ERR DB index is out of range"),
            ("MOVE h -1", "ERR DB index is out of range"),
            (
                "MOVE missing 0",
                "ERR source and destination objects are the same",
            ),
            (
                "MOVE h 99999999999",
                "ERR value is out of range, value must between -2147483648 and 2147483647",
            ),
        ] {
            assert_eq!(t.run(line), err(want), "{line}");
        }
        assert_eq!(t.run("MOVE missing 1"), int(0));
        t.run("HSET h a 1 b 2");
        t.run("HPEXPIRE h 5000 FIELDS 1 a");
        t.run("PEXPIRE h 8000");
        t.run("SELECT 1");
        t.run("SET h there");
        t.run("SELECT 0");
        assert_eq!(t.run("MOVE h 1"), int(0), "the key exists in db 1");
        assert_eq!(t.run("EXISTS h"), int(1));
        assert_eq!(t.run("MOVE h 2"), int(1));
        assert_eq!(t.run("EXISTS h"), int(0));
        t.run("SELECT 2");
        assert_eq!(t.run("HPTTL h FIELDS 2 a b"), arr(vec![int(5000), int(-1)]));
        assert_eq!(t.run("PTTL h"), int(8000));
        // An expired key in the target does not block the move.
        t.run("SELECT 1");
        t.run("PEXPIRE h 10");
        t.advance(10);
        t.run("SELECT 2");
        assert_eq!(t.run("MOVE h 1"), int(1));
    }

    #[test]
    fn swapdb_swaps_contents_not_clients() {
        let mut t = TestEngine::new();
        for (line, want) in [
            ("SWAPDB a b", "ERR invalid first DB index"),
            ("SWAPDB 0 b", "ERR invalid second DB index"),
            ("SWAPDB 99999999999 0", "ERR invalid first DB index"),
            ("SWAPDB 0 16", "ERR DB index is out of range"),
            ("SWAPDB -1 0", "ERR DB index is out of range"),
        ] {
            assert_eq!(t.run(line), err(want), "{line}");
        }
        t.run("HSET h a 1");
        t.run("PEXPIRE h 5000");
        assert_eq!(t.run("SWAPDB 0 0"), Reply::ok());
        assert_eq!(t.run("SWAPDB 0 3"), Reply::ok());
        assert_eq!(t.run("EXISTS h"), int(0));
        t.run("SELECT 3");
        assert_eq!(t.run("PTTL h"), int(5000));
    }
}
