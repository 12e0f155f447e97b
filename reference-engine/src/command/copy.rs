//! COPY: a second key holding the same value, deadline and field TTLs.
//!
//! ```text
//! COPY source destination [DB destination-db] [REPLACE]
//! ```
//!
//! <https://redis.io/docs/latest/commands/copy/>
//!
//! Redis's `copyCommand`, in its order (checked on 8.2.3): the options (anything but
//! REPLACE or `DB n` is a syntax error; the index is a C `int`, then a database), then the
//! same key in the same database (`ERR source and destination objects are the same`), then
//! a missing source (0), then an existing destination (0 unless REPLACE). The copy keeps
//! the source's deadline and every field with its TTL, expired-but-unreclaimed fields
//! included (HLEN of the copy counts them, as on 8.2.3 with active expiry off).

use super::args::{int_arg, is_c_word};
use super::ctx::{CommandResult, Ctx};
use super::spec::{CommandSpec, KeySpec};
use crate::error::CommandError;
use crate::reply::Reply;
use crate::session::DATABASES;

/// A database index argument as Redis's `getIntFromObjectOrReply` then `selectDb` read it
/// (COPY's DB, MOVE): an integer, within a C `int`, then an existing database.
pub(super) fn db_index(arg: &[u8]) -> Result<usize, CommandError> {
    let index = int_arg(arg)?;
    let (min, max) = (i64::from(i32::MIN), i64::from(i32::MAX));
    if !(min..=max).contains(&index) {
        return Err(CommandError::ValueMustBetween { min, max });
    }
    usize::try_from(index)
        .ok()
        .filter(|&db| db < DATABASES)
        .ok_or(CommandError::DbIndexOutOfRange)
}

/// `COPY source destination [DB destination-db] [REPLACE]`
pub fn copy(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let src = ctx.session.db;
    let (mut dst, mut replace) = (src, false);
    let mut j = 3;
    while j < argv.len() {
        if is_c_word(&argv[j], "replace") {
            replace = true;
        } else if is_c_word(&argv[j], "db") && j + 1 < argv.len() {
            dst = db_index(&argv[j + 1])?;
            j += 1;
        } else {
            return Err(CommandError::Syntax);
        }
        j += 1;
    }
    let (key, newkey) = (&argv[1], &argv[2]);
    if src == dst && key == newkey {
        return Err(CommandError::SameObject);
    }
    let Some(value) = ctx.dbs[src].get(key).cloned() else {
        return Ok(Reply::Integer(0));
    };
    let deadline = ctx.dbs[src].deadline(key);
    // Dispatch expired `newkey` in the session's database only.
    let now_ms = ctx.now();
    let target = &mut ctx.dbs[dst];
    target.expire_if_needed(newkey, now_ms);
    if target.contains(newkey) && !replace {
        return Ok(Reply::Integer(0));
    }
    target.put(newkey, value, deadline);
    Ok(Reply::Integer(1))
}

/// COPY's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const COPY_SPEC: CommandSpec = CommandSpec::support("copy", -3, "6.2.0", copy)
    .info(
        "write denyoom",
        "@keyspace @write @slow",
        "",
        Some(KeySpec::range("RO access", 1, 0)),
    )
    .second_key(KeySpec::range("OW update", 2, 0));

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn errors_in_redis_order() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1");
        for (line, want) in [
            (
                "COPY h h",
                "ERR source and destination objects are the same",
            ),
            (
                "COPY h h DB 0",
                "ERR source and destination objects are the same",
            ),
            ("COPY h x foo", "ERR syntax error"),
            ("COPY h x db", "ERR syntax error"),
            (
                "COPY h x db abc",
                "ERR value is not an integer or out of range",
            ),
            ("COPY h x db 16", "ERR DB index is out of range"),
            ("COPY h x db -1", "ERR DB index is out of range"),
            (
                "COPY h x db 99999999999",
                "ERR value is out of range, value must between -2147483648 and 2147483647",
            ),
            ("COPY missing missing db 16", "ERR DB index is out of range"),
        ] {
            assert_eq!(t.run(line), err(want), "{line}");
        }
        assert_eq!(t.run("COPY missing x"), int(0));
        assert_eq!(t.run("EXISTS x"), int(0));
    }

    #[test]
    fn copies_carry_the_deadline_and_the_field_ttls() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2 c 3");
        t.run("HPEXPIRE h 10 FIELDS 1 a");
        t.run("HPEXPIRE h 5000 FIELDS 1 b");
        t.run("PEXPIRE h 8000");
        t.advance(20);
        assert_eq!(t.run("COPY h x"), int(1));
        assert_eq!(t.run("HLEN x"), int(3), "the expired field was copied too");
        assert_eq!(
            t.run("HPTTL x FIELDS 3 a b c"),
            arr(vec![int(-2), int(4980), int(-1)])
        );
        assert_eq!(t.run("PTTL x"), int(7980));
        assert_eq!(t.run("HLEN h"), int(3), "the source is untouched");
        t.run("SET s v");
        assert_eq!(t.run("COPY h s"), int(0));
        assert_eq!(t.run("COPY h s REPLACE"), int(1));
        assert_eq!(t.run("PTTL s"), int(7980));
        assert_eq!(t.run("COPY h h DB 1"), int(1));
        assert_eq!(t.run("COPY h h DB 1"), int(0));
        t.run("SELECT 1");
        assert_eq!(t.run("HPTTL h FIELDS 2 b c"), arr(vec![int(4980), int(-1)]));
        assert_eq!(t.run("PTTL h"), int(7980));
        // A persistent source replaces a destination that had a deadline: none is left.
        t.run("SELECT 0");
        t.run("SET p 1");
        t.run("PEXPIRE s 100");
        assert_eq!(t.run("COPY p s REPLACE"), int(1));
        assert_eq!(t.run("PTTL s"), int(-1));
    }
}
