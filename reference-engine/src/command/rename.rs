//! RENAME and RENAMENX: a key's value, deadline and field TTLs under a new name.
//!
//! ```text
//! RENAME key newkey       https://redis.io/docs/latest/commands/rename/
//! RENAMENX key newkey     https://redis.io/docs/latest/commands/renamenx/
//! ```
//!
//! Redis's `renameGenericCommand` (checked on 8.2.3): a missing source is `ERR no such
//! key`, even when both names are the same; the same name on an existing key is `OK` (or
//! 0 for RENAMENX) and changes nothing. Otherwise the value moves whole, with the key's
//! deadline and every field TTL, expired-but-unreclaimed fields included; RENAME replaces
//! what `newkey` held (and its deadline), RENAMENX replies 0 and changes nothing if
//! `newkey` exists. Both keys were lazily expired by dispatch before this runs.

use super::ctx::{CommandResult, Ctx};
use super::spec::{CommandSpec, KeySpec};
use crate::error::CommandError;
use crate::reply::Reply;

fn rename_generic(ctx: &mut Ctx<'_>, argv: &[Vec<u8>], nx: bool) -> CommandResult {
    let (key, newkey) = (&argv[1], &argv[2]);
    let db = ctx.db();
    if !db.contains(key) {
        return Err(CommandError::NoSuchKey);
    }
    let done = |moved: bool| {
        if nx {
            Reply::Integer(i64::from(moved))
        } else {
            Reply::ok()
        }
    };
    if key == newkey {
        return Ok(done(false));
    }
    if nx && db.contains(newkey) {
        return Ok(done(false));
    }
    let (value, deadline) = db.take(key).expect("checked above");
    db.put(newkey, value, deadline);
    Ok(done(true))
}

/// `RENAME key newkey`
pub fn rename(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    rename_generic(ctx, argv, false)
}

/// `RENAMENX key newkey`
pub fn renamenx(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    rename_generic(ctx, argv, true)
}

/// RENAME's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const RENAME_SPEC: CommandSpec = CommandSpec::support("rename", 3, "1.0.0", rename)
    .info(
        "write",
        "@keyspace @write @slow",
        "",
        Some(KeySpec::range("RW access delete", 1, 0)),
    )
    .second_key(KeySpec::range("OW update", 2, 0));

/// RENAMENX's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const RENAMENX_SPEC: CommandSpec = CommandSpec::support("renamenx", 3, "1.0.0", renamenx)
    .info(
        "write fast",
        "@keyspace @write @fast",
        "",
        Some(KeySpec::range("RW access delete", 1, 0)),
    )
    .second_key(KeySpec::range("OW insert", 2, 0));

#[cfg(test)]
mod tests {
    use crate::reply::Reply;
    use crate::test_support::*;

    #[test]
    fn rename_carries_the_deadline_and_the_field_ttls() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("RENAME missing x"), err("ERR no such key"));
        assert_eq!(t.run("RENAMENX missing missing"), err("ERR no such key"));
        t.run("HSET h a 1 b 2 c 3");
        t.run("HPEXPIRE h 10 FIELDS 1 a");
        t.run("HPEXPIRE h 5000 FIELDS 1 b");
        t.run("PEXPIRE h 8000");
        t.advance(20);
        assert_eq!(t.run("RENAME h h"), Reply::ok());
        assert_eq!(t.run("RENAMENX h h"), int(0));
        t.run("SET y old");
        t.run("PEXPIRE y 100");
        assert_eq!(t.run("RENAME h y"), Reply::ok());
        assert_eq!(t.run("EXISTS h"), int(0));
        assert_eq!(t.run("PTTL y"), int(7980));
        assert_eq!(t.run("HLEN y"), int(3), "the expired field came along");
        assert_eq!(
            t.run("HPTTL y FIELDS 3 a b c"),
            arr(vec![int(-2), int(4980), int(-1)])
        );
        t.run("SET z 1");
        assert_eq!(t.run("RENAMENX y z"), int(0));
        assert_eq!(t.run("GET z"), bulk("1"));
        assert_eq!(t.run("RENAMENX y w"), int(1));
        assert_eq!(t.run("PTTL w"), int(7980));
        // A source whose deadline passed is missing; a destination whose passed is free.
        t.run("SET gone 1");
        t.run("PEXPIRE gone 5");
        t.advance(5);
        assert_eq!(t.run("RENAME gone q"), err("ERR no such key"));
        t.run("SET old 1");
        t.run("PEXPIRE old 5");
        t.advance(5);
        assert_eq!(t.run("RENAMENX w old"), int(1));
        assert_eq!(t.run("TYPE old"), Reply::Simple("hash".into()));
    }
}
